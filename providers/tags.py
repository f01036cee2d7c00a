"""The tag keys and values Personalize accepts, and the one function that makes tag values.

Sources:
- botocore's Personalize model, shapes ``TagKey`` (1-128 characters) and ``TagValue`` (0-256
  characters), both with the pattern ``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$``: letters, separators
  (space), numbers and ``_ . : / = + - @``. No comma, no quote, no bracket.
- https://docs.aws.amazon.com/personalize/latest/dg/personalize-managing-tags.html: at most 50
  tags per resource; neither keys nor values may start with ``aws:``.

``tests/providers/test_tags.py`` holds these constants to the botocore model and checks, with
hypothesis, that whatever ``tag_value`` returns matches the model's pattern. Kept free of boto3
and of third-party regex engines: the program process imports it too.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_MAX = 50
RESERVED_PREFIX = "aws:"
# The characters the pattern lists besides the Unicode classes L (letters), Z (separators) and
# N (numbers).
TAG_PUNCTUATION = frozenset("_.:/=+-@")
TAG_PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
HASH_PREFIX = "sha256:"


def _allowed(char: str) -> bool:
    return char in TAG_PUNCTUATION or unicodedata.category(char)[0] in "LZN"


def tag_text_problem(text: str) -> str | None:
    """Why ``text`` breaks the characters rule shared by keys and values, if it does."""
    bad = sorted({char for char in text if not _allowed(char)})
    if bad:
        shown = " ".join(repr(char) for char in bad[:5])
        return (
            f"contains {shown}: only letters, digits, spaces and _ . : / = + - @ are allowed "
            f"(pattern {TAG_PATTERN})"
        )
    if text.lower().startswith(RESERVED_PREFIX):
        return f"starts with {RESERVED_PREFIX!r}, which AWS reserves"
    return None


def tag_key_problem(key: object) -> str | None:
    if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX:
        return f"must be a string of 1-{TAG_KEY_MAX} characters"
    return tag_text_problem(key)


def tag_value_problem(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > TAG_VALUE_MAX:
        return f"must be a string of at most {TAG_VALUE_MAX} characters"
    return tag_text_problem(value)


def tag_value(text: str) -> str:
    """Any text as a tag value Personalize accepts: itself when it is one, else its SHA-256.

    Deterministic, so a value computed again (to find a resource by its tag) is the same; the
    hash form is ``sha256:<64 hex digits>``, within every rule above.
    """
    if tag_value_problem(text) is None:
        return text
    return HASH_PREFIX + hashlib.sha256(text.encode()).hexdigest()


def tags_problems(tags: Mapping[object, object]) -> list[str]:
    """Every problem of a tag map, each naming the tag."""
    problems = []
    if len(tags) > TAGS_MAX:
        problems.append(f"at most {TAGS_MAX} tags per resource, got {len(tags)}")
    for key, value in tags.items():
        key_problem = tag_key_problem(key)
        if key_problem:
            problems.append(f"tag key {key!r} {key_problem}")
        value_problem = tag_value_problem(value)
        if value_problem:
            problems.append(f"tag {key!r}: value {value!r} {value_problem}")
    return problems
