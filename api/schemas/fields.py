"""Field builders shared by the schemas: ids, bounded text, strict JSON types."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

# Ids are 32-bit integers in PostgreSQL: a larger one could never match and must not reach it.
MAX_ID = 2**31 - 1


def no_nul(value: str) -> None:
    # PostgreSQL text cannot hold NUL characters: reject them here rather than fail there.
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


def text(max_length: int, *, min_length: int = 1, **kwargs) -> fields.String:
    """A string field of bounded length without NUL characters."""
    return fields.String(validate=[validate.Length(min_length, max_length), no_nul], **kwargs)


def identifier(*, strict: bool = True, **kwargs) -> fields.Integer:
    """A positive database id; query strings need `strict=False` (their values are text)."""
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


def strict_int(**kwargs) -> fields.Integer:
    """An integer field that refuses strings and floats in JSON bodies."""
    return fields.Integer(strict=True, **kwargs)


def strict_bool(**kwargs) -> fields.Boolean:
    """A boolean field that accepts only JSON true/false, not "yes" or 1."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)
