"""Typed, HTTP-agnostic errors raised by services; the API maps them to status codes."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(ServiceError):
    """The object asked for does not exist."""


class Invalid(ServiceError):
    """The input is well-formed but breaks a rule; `errors` maps field names to messages."""


class Conflict(ServiceError):
    """The request clashes with the current state (a duplicate, an overlap, a stale version)."""


class Forbidden(ServiceError):
    """The caller's role may never do this, wherever the object is."""
