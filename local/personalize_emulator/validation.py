"""Input validation driven by the botocore model shapes.

botocore's client-side validator checks required members, types and minimums only; the service
also enforces max lengths, enums, patterns and numeric ranges. Everything here is read from the
model, so every operation gets the same checks without per-field code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import regex  # type: ignore[import-untyped,unused-ignore]
from botocore.model import (  # type: ignore[import-untyped,unused-ignore]
    ListShape,
    MapShape,
    Shape,
    StructureShape,
)

from .errors import InvalidInputException


class PatternError(Exception):
    """A pattern in the service model that this validator cannot apply: an emulator bug."""


@functools.cache
def compiled(pattern: str) -> regex.Pattern[str]:
    """The model's (Java-flavoured) pattern, compiled with the same meaning.

    The models use Unicode property classes (``\\p{L}``, ``\\p{Z}``, ``\\p{N}``, ``\\p{ASCII}``)
    that Python's ``re`` lacks and that no ``re`` class matches exactly (``\\s`` takes tabs and
    newlines, which ``\\p{Z}`` does not). The ``regex`` package implements these classes as Java
    does. Java's ``\\d``, ``\\w`` and ``\\s`` are ASCII-only (java.util.regex.Pattern, without
    UNICODE_CHARACTER_CLASS) while ``regex``'s take every script's digits and letters, so those
    three are spelled out as ASCII sets. A pattern that does not compile raises instead of
    switching its check off.
    """
    try:
        return regex.compile(_java_shorthands(pattern), regex.DOTALL)
    except regex.error as exc:
        raise PatternError(f"cannot compile model pattern {pattern!r}: {exc}") from exc


# Java's ASCII meaning of the shorthand classes, as the members of a character set.
_JAVA_SHORTHANDS = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \\t\\n\\x0B\\f\\r"}


def _java_shorthands(pattern: str) -> str:
    """The pattern with ``\\d``, ``\\w`` and ``\\s`` as ASCII sets (inside a set: their members)."""
    out: list[str] = []
    in_set = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            members = _JAVA_SHORTHANDS.get(escaped)
            if members is None:
                out.append(pattern[i : i + 2])
            else:
                out.append(members if in_set else f"[{members}]")
            i += 2
            continue
        if char == "[" and not in_set:
            in_set = True
        elif char == "]" and in_set:
            in_set = False
        out.append(char)
        i += 1
    return "".join(out)


def _fmt(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:97] + "..."


def validate(shape: StructureShape | None, params: dict[str, Any]) -> None:
    """Raise InvalidInputException listing every constraint the input violates."""
    if shape is None:
        return
    problems: list[str] = []
    _check(shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise InvalidInputException(f"{count} validation {noun} detected: " + "; ".join(problems))


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    checker = _CHECKERS.get(shape.type_name)
    if checker is not None:
        checker(shape, value, path, problems)


def _check_structure(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    assert isinstance(shape, StructureShape)
    if not isinstance(value, dict):
        problems.append(
            f"Value at '{path or 'input'}' failed to satisfy constraint: must be an object"
        )
        return
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(
                f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                "Member must not be null"
            )
    for name, member in shape.members.items():
        if value.get(name) is not None:
            _check(member, value[name], _join(path, name), problems)


def _check_list(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    assert isinstance(shape, ListShape)
    if not isinstance(value, list):
        problems.append(f"Value at '{path}' failed to satisfy constraint: must be a list")
        return
    _length(shape, len(value), value, path, problems)
    for index, item in enumerate(value, start=1):
        _check(shape.member, item, f"{path}.{index}.member", problems)


def _check_map(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    assert isinstance(shape, MapShape)
    if not isinstance(value, dict):
        problems.append(f"Value at '{path}' failed to satisfy constraint: must be a map")
        return
    _length(shape, len(value), value, path, problems)
    for key, item in value.items():
        _check(shape.key, key, f"{path}.key", problems)
        _check(shape.value, item, f"{path}.{key}", problems)


def _check_string(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(f"Value at '{path}' failed to satisfy constraint: must be a string")
        return
    shown = "***" if shape.metadata.get("sensitive") else _fmt(value)
    _length(shape, len(value), shown, path, problems)
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        problems.append(
            f"Value '{shown}' at '{path}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(enum)}]"
        )
    pattern = shape.metadata.get("pattern")
    if pattern and compiled(pattern).fullmatch(value) is None:
        problems.append(
            f"Value '{shown}' at '{path}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}"
        )


def _check_number(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric or (kind in ("integer", "long") and not float(value).is_integer()):
        problems.append(
            f"Value '{_fmt(value)}' at '{path}' failed to satisfy constraint: "
            f"must be a number of type {kind}"
        )
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        problems.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {low}"
        )
    if high is not None and value > high:
        problems.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {high}"
        )


def _check_boolean(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, bool):
        problems.append(
            f"Value '{_fmt(value)}' at '{path}' failed to satisfy constraint: must be a boolean"
        )


def _check_timestamp(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"Value at '{path}' failed to satisfy constraint: must be a timestamp")


_CHECKERS: dict[str, Callable[[Shape, Any, str, list[str]], None]] = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "integer": _check_number,
    "long": _check_number,
    "float": _check_number,
    "double": _check_number,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
}


def _length(shape: Shape, length: int, value: Any, where: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        problems.append(
            f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {low}"
        )
    if high is not None and length > high:
        problems.append(
            f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {high}"
        )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
