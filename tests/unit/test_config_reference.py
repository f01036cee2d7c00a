"""The README's configuration reference against the config's declaration: a key added without a
row, or a row naming a key the stack file cannot set, fails here."""

from __future__ import annotations

import re

from components.config import PROJECT_ROOT, config_keys

# A row's first cell: one or more backticked key paths; `<name>` marks a mapping's free keys.
KEY = re.compile(r"`([A-Za-z0-9_.\[\]<>]+)`")


def documented_keys() -> set[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows, "the configuration reference table has no key rows"
    keys: set[str] = set()
    for row in rows:
        first_cell = row.split("|")[1]
        # filters.<name>, models[].qualityGate.<metric>: the mapping itself is the declared key.
        keys |= {re.sub(r"\.<[a-z]+>$", "", key) for key in KEY.findall(first_cell)}
    return keys


def test_every_declared_key_is_documented() -> None:
    missing = set(config_keys()) - documented_keys()
    assert not missing, f"README's configuration reference has no row for {sorted(missing)}"


def test_every_documented_key_is_declared() -> None:
    declared = set(config_keys())
    # A row may document a section as a whole (`models`, `tags`): any prefix of a declared key.
    sections = {key[: m.start()] for key in declared for m in re.finditer(r"\[\]|\.", key)}
    unknown = documented_keys() - declared - sections
    assert not unknown, f"README documents keys the stack file cannot set: {sorted(unknown)}"
