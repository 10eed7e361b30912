"""A person's own profile: name, languages, travel, weekly hours and skills with levels."""

from __future__ import annotations

import math
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from api.web import i18n, security
from api.web.blueprint import bp
from models import Person, db
from services import people, self_service, skills
from services.errors import Conflict, Invalid, NotFound, ServiceError

LEVELS = (1, 2, 3, 4, 5)
MAX_TRAVEL_KM = 1000
MAX_WEEKLY_HOURS = 168


def language_labels() -> list[tuple[str, str]]:
    """The languages a person may speak (services.people.LANGUAGES), named in the page language."""
    labels = {
        "cmn": _("Mandarin"),
        "yue": _("Cantonese"),
        "hak": _("Hakka"),
        "nan": _("Min Nan (Teochew, Hokkien)"),
        "wuu": _("Wu (Shanghainese)"),
        "csl": _("Chinese Sign Language"),
        "en": _("English"),
        "ja": _("Japanese"),
        "ko": _("Korean"),
        "fr": _("French"),
    }
    return [(code, labels.get(code, name)) for code, name in people.LANGUAGES.items()]


def level_labels() -> dict[int, str]:
    return {
        1: _("1 · beginner"),
        2: _("2 · some experience"),
        3: _("3 · experienced"),
        4: _("4 · very experienced"),
        5: _("5 · expert, can teach others"),
    }


def skill_name(skill: Any) -> str:
    return skill.name_en if i18n.current_locale() == "en" else skill.name_zh


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _form_of(person: Person) -> dict[str, Any]:
    minutes = person.max_minutes_per_week
    return {
        "version": person.version,
        "name": person.name,
        "languages": list(person.languages or []),
        "max_travel_km": _number(person.max_travel_km),
        "weekly_hours": _number(None if minutes is None else round(minutes / 60, 2)),
        "levels": {s.skill.code: str(s.level) for s in person.skills},
        "remove": [],
        "add_skill": "",
        "add_level": "1",
    }


def _submitted() -> dict[str, Any]:
    form = request.form
    return {
        "version": form.get("version", ""),
        "name": form.get("name", "").strip(),
        "languages": form.getlist("languages"),
        "max_travel_km": form.get("max_travel_km", "").strip(),
        "weekly_hours": form.get("weekly_hours", "").strip(),
        "levels": {
            key.removeprefix("level-"): value
            for key, value in form.items()
            if key.startswith("level-")
        },
        "remove": form.getlist("remove"),
        "add_skill": form.get("add_skill", "").strip(),
        "add_level": form.get("add_level", "1"),
    }


def _optional_number(text: str, upper: float) -> float | None:
    """None for blank; ValueError unless a finite number in [0, upper]."""
    if not text:
        return None
    value = float(text.replace(",", "."))
    if not math.isfinite(value) or not 0 <= value <= upper:
        raise ValueError(text)
    return value


def _level(text: str) -> int:
    level = int(text)
    if level not in LEVELS:
        raise ValueError(text)
    return level


def _validate(form: dict[str, Any], person: Person, catalogue: dict[str, Any]) -> tuple[dict, dict]:
    """The changes the form asks for, and the field messages of what is wrong with it."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    if not form["name"]:
        errors["name"] = _("Please enter your name.")
    elif len(form["name"]) > 120:
        errors["name"] = _("At most 120 characters.")
    elif "\x00" in form["name"]:
        # PostgreSQL text cannot hold NUL (the API's `no_nul`): refuse it here, per field.
        errors["name"] = _("Remove the invisible control characters.")
    else:
        data["name"] = form["name"]
    languages = form["languages"]
    if any(code not in people.LANGUAGES for code in languages):
        errors["languages"] = _("Please choose languages from the list.")
    else:
        data["languages"] = list(dict.fromkeys(languages))
    try:
        data["max_travel_km"] = _optional_number(form["max_travel_km"], MAX_TRAVEL_KM)
    except ValueError:
        errors["max_travel_km"] = _(
            "Enter kilometres between 0 and %(most)s, or leave empty.", most=MAX_TRAVEL_KM
        )
    try:
        hours = _optional_number(form["weekly_hours"], MAX_WEEKLY_HOURS)
        data["max_minutes_per_week"] = None if hours is None else round(hours * 60)
    except ValueError:
        errors["weekly_hours"] = _(
            "Enter hours between 0 and %(most)s, or leave empty.", most=MAX_WEEKLY_HOURS
        )
    held = {s.skill.code for s in person.skills}
    levels: dict[str, int] = {}
    for code, text in form["levels"].items():
        if code not in held:
            continue  # removed elsewhere meanwhile: the version check reports it
        try:
            levels[code] = _level(text)
        except ValueError:
            errors["level-" + code] = _("Choose a level from 1 to 5.")
    add = None
    if form["add_skill"]:
        if form["add_skill"] not in catalogue:
            errors["add_skill"] = _("Choose a skill from the list.")
        elif form["add_skill"] in held:
            errors["add_skill"] = _("You already have this skill; change its level above.")
        else:
            try:
                add = (form["add_skill"], _level(form["add_level"]))
            except ValueError:
                errors["add_skill"] = _("Choose a level from 1 to 5.")
    try:
        version = int(form["version"])
    except ValueError:
        version = -1  # a form without its version is as good as stale
    changes = {
        "data": data,
        "levels": levels,
        "remove": frozenset(form["remove"]) & held,
        "add": add,
        "version": version,
    }
    return changes, errors


def _render(person: Person, form: dict[str, Any], errors=None, conflict=None, status=200):
    catalogue = _catalogue()
    held = sorted(person.skills, key=lambda s: skill_name(s.skill))
    addable = sorted(
        (s for code, s in catalogue.items() if code not in {h.skill.code for h in held}),
        key=skill_name,
    )
    return (
        render_template(
            "web/profile.html",
            person=person,
            form=form,
            errors=errors or {},
            conflict=conflict,
            languages=language_labels(),
            levels=level_labels(),
            held=held,
            addable=addable,
            skill_name=skill_name,
        ),
        status,
    )


def _catalogue() -> dict[str, Any]:
    rows, _total = skills.list_skills(session=db.session, offset=0, limit=None)
    return {s.code: s for s in rows}


def _my_person() -> Person:
    user = security.web_user()
    assert user is not None and user.person_id is not None  # signed_in("person")
    return people.get_person(session=db.session, person_id=user.person_id)


@bp.get("/profile")
@security.signed_in("person")
def profile():
    person = _my_person()
    return _render(person, _form_of(person))


@bp.post("/profile")
@security.signed_in("person")
def save_profile():
    person = _my_person()
    form = _submitted()
    changes, errors = _validate(form, person, _catalogue())
    if errors:
        return _render(person, form, errors=errors, status=422)
    try:
        self_service.save_profile(
            session=db.session,
            person_id=person.id,
            actor=security.web_user(),
            expected_version=changes["version"],
            data=changes["data"],
            levels=changes["levels"],
            remove=changes["remove"],
            add=changes["add"],
        )
    except (Conflict, NotFound, StaleDataError):
        # A stale version, a skill added or removed meanwhile in another tab: reload.
        db.session.rollback()
        person = _my_person()
        return _render(person, form, conflict=_changed_elsewhere(), status=409)
    except ServiceError as error:
        db.session.rollback()
        person = _my_person()
        return _render(person, form, errors=_service_errors(error), status=422)
    flash(_("Your profile was saved."))
    return redirect(url_for("web.profile"))


def _changed_elsewhere() -> str:
    return _(
        "Your profile was changed elsewhere meanwhile. Please reload it and make your change again."
    )


def _service_errors(error: ServiceError) -> dict[str, str]:
    """The page's own field messages for a refused save: the service's English text (field
    names of the API, codes) is never shown."""
    if isinstance(error, Invalid) and "code" in error.errors:
        # The skill left the catalogue between the form's check and the save.
        return {"add_skill": _("Choose a skill from the list.")}
    return {"form": _("Your profile could not be saved. Please try again.")}
