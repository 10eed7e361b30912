"""Sign in, sign out, the language switch and the home page."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.auth import hasher
from api.extensions import limiter, login_limit
from api.web import i18n, security
from api.web.blueprint import bp
from models import db
from services import auth, self_service
from services.errors import Conflict, Invalid


def _local_path(target: str | None) -> str | None:
    """Only paths on this site: `next` must never send a signed-in user elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


def _home_for(role: str) -> str:
    """Where each role starts: coordinators on the week board, staff on their needs."""
    if role in ("admin", "coordinator"):
        return url_for("web.board")
    if role == "org_staff":
        return url_for("web.needs")
    return url_for("web.my_shifts")


@bp.get("/")
def home():
    user = security.web_user()
    if user is None:
        return redirect(url_for("web.sign_in"))
    return redirect(_home_for(user.role))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def sign_in():
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        ttl = timedelta(hours=current_app.config["LINKAGE_TOKEN_TTL_HOURS"])
        try:
            token, row = auth.login(
                session=db.session, hasher=hasher(), username=username, password=password, ttl=ttl
            )
        except Invalid:
            db.session.rollback()
            error = _("Wrong username or password.")
        except Conflict:
            db.session.rollback()
            error = _("This account is not active yet.")
        else:
            security.start_session(token)
            target = _local_path(request.args.get("next")) or _home_for(row.user.role)
            return redirect(target)
    status = 200 if error is None else 422
    return render_template("web/sign_in.html", error=error, username=username), status


@bp.post("/sign-out")
def sign_out():
    token = security.end_session()
    if token:
        auth.logout(session=db.session, token=token)
    flash(_("You have signed out."))
    return redirect(url_for("web.sign_in"))


@bp.route("/language/<code>", methods=["GET", "POST"])
def language(code: str):
    """Switch language and go back. The header's switch is a form (POST, CSRF-checked): a
    signed-in user's choice is then also kept on the account. A plain link (GET) only sets
    the cookie, so that no other site can change an account by linking here."""
    chosen = i18n.normalize(code) or i18n.DEFAULT_LOCALE
    user = security.web_user()
    if request.method == "POST" and user is not None and user.locale != chosen:
        self_service.set_locale(session=db.session, user_id=user.id, locale=chosen)
    target = _local_path(request.values.get("next")) or url_for("web.home")
    response = redirect(target)
    response.set_cookie(i18n.LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response
