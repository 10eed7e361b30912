"""The page language: the user's setting, else the `lang` switch or cookie, else the browser."""

from __future__ import annotations

from flask import request
from flask_babel import get_locale

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LANG_COOKIE = "lang"


def normalize(value: str | None) -> str | None:
    """`zh`, `zh-CN`, `zh_cn`, `zh-Hans` -> zh_CN; `en`, `en-GB` -> en; anything else -> None."""
    if not value:
        return None
    language = value.strip().replace("_", "-").split("-")[0].lower()
    return {"zh": "zh_CN", "en": "en"}.get(language)


def select_locale() -> str:
    from api.web.security import web_user

    user = web_user()
    # A signed-in user's saved language (settings page, header switch) comes first.
    setting = normalize(user.locale) if user is not None else None
    if setting:
        return setting
    chosen = normalize(request.args.get("lang")) or normalize(request.cookies.get(LANG_COOKIE))
    if chosen:
        return chosen
    # Accept-Language in the browser's order of preference (werkzeug sorts by quality).
    for value, _quality in request.accept_languages:
        browser = normalize(value)
        if browser:
            return browser
    return DEFAULT_LOCALE


def current_locale() -> str:
    """zh_CN or en (Babel spells the Chinese locale zh_Hans_CN)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LOCALE
