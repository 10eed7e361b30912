"""ETag and If-Match for versioned objects (needs, shifts, positions, people)."""

from __future__ import annotations

from typing import Any

from flask import request

from services.errors import Invalid


def etag(obj: Any) -> dict[str, str]:
    """The response header naming the object's version, as a strong ETag."""
    return {"ETag": f'"{obj.version}"'}


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise Invalid(
            'If-Match must be an ETag of this API, such as "3"',
            errors={"If-Match": [f"not a version: {raw[:40]}"]},
        )
    return int(value)


def expected_version(changes: dict[str, Any]) -> int | None:
    """The version a PATCH was made against (If-Match or a body `version`), if it says.

    Pops `version` from the changes: it is a precondition, not a field to set.
    """
    body = changes.pop("version", None)
    header = _if_match()
    if body is not None and header is not None and body != header:
        raise Invalid(
            "If-Match and the body's version disagree",
            errors={"version": [f"the body says {body}, If-Match says {header}"]},
        )
    return body if body is not None else header
