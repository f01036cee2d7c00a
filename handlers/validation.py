"""Small validators shared by the API handlers and the forwarder.

Every failure raises :class:`ValidationError` naming the offending field (with its position for
nested values, e.g. ``events[2].itemId``) and what is allowed, so callers can return it verbatim.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

# Personalize ids (userId, itemId, sessionId, eventType, ...): 1..256 characters (botocore model).
ID_MAX = 256
# Characters an id may not hold: C0 controls and DEL. The OpenAPI document states the same rule
# as a pattern (handlers.contract.ID_PATTERN is built from this class).
ID_FORBIDDEN = "\\x00-\\x1f\\x7f"
# Integers in query strings: ASCII digits only. Python's \d also matches other scripts' digits
# (ARABIC-INDIC FIVE, FULLWIDTH FIVE), which the contract does not allow.
INT_TEXT = re.compile(r"[0-9]{1,18}")


class ValidationError(ValueError):
    """A value the caller sent is not acceptable; ``field`` names it."""

    def __init__(self, field: str, message: str, code: str = "InvalidParameter") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


def describe(value: Any) -> str:
    """Short, safe rendering of a bad value for an error message."""
    names = {type(None): "null", bool: "a boolean", list: "an array", dict: "an object"}
    if type(value) in names:
        return names[type(value)]
    if isinstance(value, int | float | str):
        text = repr(value[:37] + "..." if isinstance(value, str) and len(value) > 40 else value)
        return text if len(text) <= 44 else text[:40] + "..."
    return type(value).__name__


def require_object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(field, f"{field} must be a JSON object, got {describe(value)}")
    return value


def reject_unknown(obj: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    """Unknown keys are an error: a typo such as ``itemID`` must not be silently dropped."""
    unknown = sorted(k for k in obj if k not in allowed)
    if unknown:
        name = unknown[0]
        field = f"{where}.{name}" if where else name
        raise ValidationError(
            field,
            f"unknown field {name!r}{' in ' + where if where else ''}; "
            f"allowed: {', '.join(sorted(allowed))}",
            code="UnknownField",
        )


def require_str(
    value: Any, field: str, *, max_len: int = ID_MAX, min_len: int = 1, free_text: bool = False
) -> str:
    """A string of min_len..max_len characters; ids (not free_text) have no control chars."""
    if not isinstance(value, str):
        if value is None:
            raise ValidationError(field, f"{field} is required", code="MissingParameter")
        raise ValidationError(field, f"{field} must be a string, got {describe(value)}")
    if has_surrogates(value):
        raise ValidationError(field, f"{field} must not contain unpaired UTF-16 surrogates")
    if not min_len <= len(value) <= max_len:
        raise ValidationError(
            field,
            f"{field} must be {min_len} to {max_len} characters long, got {len(value)}",
        )
    if not free_text and _has_control_chars(value):
        raise ValidationError(field, f"{field} must not contain control characters")
    return value


def optional_str(value: Any, field: str, *, max_len: int = ID_MAX) -> str | None:
    return None if value is None else require_str(value, field, max_len=max_len)


def reject_nulls(obj: Mapping[str, Any], where: str) -> None:
    """JSON null is not a value of any field the contract declares, and must not read as absent:
    ``{"sessionId": null}`` is refused, not given a new session. Call before reading fields with
    ``.get()``, after which None means the field was not sent."""
    for key, value in obj.items():
        if value is None:
            field = f"{where}.{key}" if where else key
            raise ValidationError(field, f"{field} must not be null; leave it out instead")


def has_surrogates(text: str) -> bool:
    """True when ``text`` holds a lone UTF-16 surrogate (JSON allows ``"\\ud800"``), which no
    UTF-8 encoder, and so no AWS API, accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_int(value: Any, field: str, *, low: int, high: int) -> int:
    """An integer from a query string or JSON, within ``low..high``."""
    bad = f"{field} must be an integer from {low} to {high}, got {describe(value)}"
    if isinstance(value, bool):
        raise ValidationError(field, bad)
    if isinstance(value, str):
        if not INT_TEXT.fullmatch(value):
            raise ValidationError(field, bad)
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        raise ValidationError(field, bad)
    if not low <= number <= high:
        raise ValidationError(field, bad)
    return number


def finite_float(value: Any, field: str) -> float:
    """A JSON number that fits a double; anything larger is a client error, never a crash."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, f"{field} must be a number, got {describe(value)}")
    number = to_float(value)
    if number is None:
        raise ValidationError(
            field, f"{field} must be a finite number of magnitude at most {FLOAT_MAX:.17g}"
        )
    return number


FLOAT_MAX = 1.7976931348623157e308  # the largest double (sys.float_info.max)


def to_float(value: int | float) -> float | None:
    """``float(value)``, or None where it is not finite (json gives Python ints of any size and
    ``float()`` raises OverflowError past the double range instead of returning inf)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def string_list(
    value: Any, field: str, *, min_items: int, max_items: int, max_len: int = ID_MAX
) -> list[str]:
    if not isinstance(value, list):
        raise ValidationError(field, f"{field} must be an array of strings, got {describe(value)}")
    if not min_items <= len(value) <= max_items:
        raise ValidationError(
            field, f"{field} must have {min_items} to {max_items} entries, got {len(value)}"
        )
    return [require_str(v, f"{field}[{i}]", max_len=max_len) for i, v in enumerate(value)]


# Personalize context / filter keys: [A-Za-z0-9_]+ (botocore model), values <= 1000 characters.
KEY_PATTERN = "^[A-Za-z0-9_]+$"
# Avro field names, which are also the Items columns a client may ask for (metadataColumns).
FIELD_NAME_PATTERN = "[A-Za-z_][A-Za-z0-9_]*"
_KEY = re.compile(KEY_PATTERN)


def string_map(
    value: Any, field: str, *, max_entries: int, key_max: int, value_max: int
) -> dict[str, str]:
    """A map of simple keys to string values, e.g. Personalize ``context``."""
    if not isinstance(value, dict):
        raise ValidationError(field, f"{field} must be an object of strings, got {describe(value)}")
    if len(value) > max_entries:
        raise ValidationError(
            field, f"{field} may have at most {max_entries} entries, got {len(value)}"
        )
    reject_nulls(value, field)
    result: dict[str, str] = {}
    for key, item in value.items():
        check_key(key, field, key_max)
        result[key] = require_str(item, f"{field}.{key}", max_len=value_max)
    return result


def check_key(key: Any, field: str, key_max: int) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key) or len(key) > key_max:
        raise ValidationError(
            field,
            f"{field} keys must be 1 to {key_max} letters, digits or underscores, "
            f"got {describe(key)}",
        )
    return key


_CONTROL = re.compile(f"[{ID_FORBIDDEN}]")


def _has_control_chars(text: str) -> bool:
    return _CONTROL.search(text) is not None
