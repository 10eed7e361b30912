"""Sign in and out, the caller's account, and account administration."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask.views import MethodView

from api.auth import bearer_token, current_user, hasher, public, requires
from api.extensions import limiter, login_limit
from api.schemas.auth import (
    LoginSchema,
    PasswordChangeSchema,
    RegistrationSchema,
    RoleChangeSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from api.smorest import Blueprint
from models import db
from services import accounts, auth
from services.auth import ScopeSpec

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Accounts and sign-in")


@blp.route("/login")
class Login(MethodView):
    @public
    @limiter.limit(login_limit)
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, credentials):
        """Sign in with a username and password; returns a bearer token."""
        ttl = timedelta(hours=current_app.config["LINKAGE_TOKEN_TTL_HOURS"])
        token, row = auth.login(session=db.session, hasher=hasher(), ttl=ttl, **credentials)
        return {"token": token, "expires_at": row.expires_at, "user": row.user}


@blp.route("/register")
class Register(MethodView):
    @public
    @limiter.limit(login_limit)
    @blp.arguments(RegistrationSchema)
    @blp.response(201, UserSchema)
    def post(self, registration):
        """Register yourself: a coordinator approves the account before you can sign in."""
        return accounts.register_person(session=db.session, hasher=hasher(), **registration)


@blp.route("/logout")
class Logout(MethodView):
    @requires()
    @blp.response(204)
    def post(self):
        """Revoke the token this request was signed with."""
        auth.logout(session=db.session, token=bearer_token() or "")


@blp.route("/me")
class Me(MethodView):
    @requires()
    @blp.response(200, UserSchema)
    def get(self):
        """The caller's own account."""
        return current_user()


@blp.route("/me/password")
class MyPassword(MethodView):
    @requires()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def post(self, change):
        """Change the caller's password; every token of the account is revoked."""
        auth.change_password(session=db.session, hasher=hasher(), user=current_user(), **change)


@blp.route("/users")
class Users(MethodView):
    @requires("admin", "coordinator")
    @blp.response(200, UserSchema(many=True))
    def get(self):
        """Accounts (admins see all; coordinators see the people and staff accounts)."""
        return accounts.list_users(session=db.session, actor=current_user())

    @requires("admin", "coordinator")
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, new_user):
        """Create an account (coordinators may create only person and org_staff accounts)."""
        scopes = [ScopeSpec(**scope) for scope in new_user.pop("scopes")]
        return accounts.create_account(
            session=db.session, hasher=hasher(), actor=current_user(), scopes=scopes, **new_user
        )


@blp.route("/users/<int:user_id>/approve")
class ApproveUser(MethodView):
    @requires("admin", "coordinator")
    @blp.response(200, UserSchema)
    def post(self, user_id):
        """Approve a self-registered account: it can sign in and its person can be matched."""
        return accounts.approve_user(session=db.session, user_id=user_id, actor=current_user())


@blp.route("/users/<int:user_id>/role")
class UserRole(MethodView):
    @requires("admin")
    @blp.arguments(RoleChangeSchema)
    @blp.response(200, UserSchema)
    def put(self, change, user_id):
        """Change a staff account's role; its tokens are revoked."""
        return auth.change_role(
            session=db.session, user_id=user_id, role=change["role"], actor=current_user()
        )
