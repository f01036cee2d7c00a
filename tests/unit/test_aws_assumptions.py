"""docs/aws-assumptions.md stays true to the code: every table row's references exist.

The file has any number of second-level sections, each with one table of the columns below. For
every row: each code reference (`path` or `path:SYMBOL`) names a file that exists and, with a
SYMBOL, a file the symbol appears in; each test reference (`tests/...py::test_name`) names a test
function that exists; the source is a URL, a botocore model, or "undocumented" with a sandbox
check saying how to verify it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.stack_harness import ROOT

DOCUMENT = ROOT / "docs" / "aws-assumptions.md"
COLUMNS = ("Behaviour", "Source", "Relied on in", "Held by", "Sandbox check")
BACKTICKED = re.compile(r"`([^`]+)`")
CODE_REFERENCE = re.compile(r"^(?P<path>[\w./-]+\.[\w]+)(?::(?P<symbol>[\w.]+))?$")
TEST_REFERENCE = re.compile(r"^(?P<path>tests/[\w./-]+\.py)::(?P<name>[\w:]+)$")
URL = re.compile(r"https?://\S+")
BOTOCORE_MODEL = re.compile(r"`botocore/data/[\w./-]+`")


@dataclass(frozen=True)
class Row:
    section: str
    line: int  # 1-based line number in the document
    cells: dict[str, str]

    def where(self) -> str:
        return f"{DOCUMENT.relative_to(ROOT)}:{self.line} ({self.section})"


def split_cells(line: str) -> list[str]:
    """A markdown table line's cells; `\\|` is a literal bar inside a cell."""
    body = line.strip().removeprefix("|").removesuffix("|")
    return [cell.replace("\\|", "|").strip() for cell in re.split(r"(?<!\\)\|", body)]


def parse(text: str) -> tuple[list[Row], list[str]]:
    """Every data row of every table, and every problem with the tables' shape."""
    rows: list[Row] = []
    problems: list[str] = []
    section = ""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.lstrip().startswith("|"):
            index += 1
            continue
        start = index
        table = []
        while index < len(lines) and lines[index].lstrip().startswith("|"):
            table.append(lines[index])
            index += 1
        where = f"{DOCUMENT.relative_to(ROOT)}:{start + 1}"
        if not section:
            problems.append(f"{where}: a table before any '## ' section")
        header = tuple(split_cells(table[0]))
        if header != COLUMNS:
            problems.append(f"{where}: columns must be {' | '.join(COLUMNS)}, got {header}")
            continue
        if len(table) < 2 or not re.fullmatch(r"[\s|:-]+", table[1]):
            problems.append(f"{where}: the header must be followed by a |---| separator line")
            continue
        for offset, row_line in enumerate(table[2:], start=start + 3):
            cells = split_cells(row_line)
            if len(cells) != len(COLUMNS):
                problems.append(
                    f"{DOCUMENT.relative_to(ROOT)}:{offset}: {len(cells)} cells, "
                    f"expected {len(COLUMNS)}"
                )
                continue
            rows.append(Row(section, offset, dict(zip(COLUMNS, cells, strict=True))))
    return rows, problems


def defines_test(path: Path, name: str) -> bool:
    test = name.rsplit("::", maxsplit=1)[-1]
    return re.search(rf"^\s*(async\s+)?def {re.escape(test)}\(", path.read_text(), re.M) is not None


def check_source(row: Row) -> list[str]:
    where = row.where()
    source = row.cells["Source"]
    undocumented = source.lower().startswith("undocumented")
    if not (URL.search(source) or BOTOCORE_MODEL.search(source) or undocumented):
        return [f"{where}: Source must be a URL, a botocore model or 'undocumented'"]
    sandbox = row.cells["Sandbox check"]
    if undocumented and sandbox.strip("-— ").lower() in ("", "none", "n/a"):
        return [f"{where}: an undocumented behaviour needs a sandbox check"]
    return []


def check_code(row: Row, root: Path) -> list[str]:
    where = row.where()
    references = BACKTICKED.findall(row.cells["Relied on in"])
    if not references:
        return [f"{where}: 'Relied on in' names no `path` or `path:SYMBOL`"]
    problems: list[str] = []
    for reference in references:
        found = CODE_REFERENCE.match(reference)
        if found is None:
            problems.append(f"{where}: `{reference}` is not `path` or `path:SYMBOL`")
            continue
        path = root / found["path"]
        if not path.is_file():
            problems.append(f"{where}: `{reference}`: no file {found['path']}")
            continue
        text = path.read_text()
        parts = (found["symbol"] or "").split(".") if found["symbol"] else []
        missing = [p for p in parts if not re.search(rf"\b{re.escape(p)}\b", text)]
        if missing:
            problems.append(f"{where}: `{reference}`: {', '.join(missing)} not in the file")
    return problems


def check_tests(row: Row, root: Path) -> list[str]:
    where = row.where()
    held = row.cells["Held by"]
    references = BACKTICKED.findall(held)
    if not references and not re.match(r"^none\b\W+\w+", held, re.I):
        return [f"{where}: 'Held by' names no test and is not 'none' with a reason"]
    problems: list[str] = []
    for reference in references:
        found = TEST_REFERENCE.match(reference)
        if found is None:
            problems.append(f"{where}: `{reference}` is not `tests/...py::test_name`")
            continue
        path = root / found["path"]
        if not path.is_file():
            problems.append(f"{where}: `{reference}`: no file {found['path']}")
        elif not defines_test(path, found["name"]):
            problems.append(f"{where}: `{reference}`: no test {found['name']} in the file")
    return problems


def check(row: Row, root: Path = ROOT) -> list[str]:
    """Every problem with one row's references, each naming the row."""
    behaviour = [] if row.cells["Behaviour"] else [f"{row.where()}: no behaviour"]
    return behaviour + check_source(row) + check_code(row, root) + check_tests(row, root)


def test_the_document_has_an_intro_and_sections() -> None:
    text = DOCUMENT.read_text()
    assert text.startswith("# "), "the document starts with its title"
    intro = text.split("\n## ", 1)[0]
    assert len(intro.split()) > 40, "an intro says what the document is and how to read it"
    assert "## Deploy: storage, streaming, API" in text


def test_every_table_has_the_shared_columns() -> None:
    rows, problems = parse(DOCUMENT.read_text())
    assert problems == []
    assert len(rows) >= 20


def test_every_reference_points_at_code_and_tests_that_exist() -> None:
    rows, _ = parse(DOCUMENT.read_text())
    problems = [problem for row in rows for problem in check(row)]
    assert problems == [], "\n".join(problems)


# ---- the checks themselves fail on what they exist to catch ----------------------------------

CODE = "`components/storage.py:DATASETS_PREFIX`"
TEST = "`tests/unit/test_storage.py::test_all_public_access_is_blocked`"
GOOD = f"{CODE} | {TEST} | - |"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (f"| b | https://docs.aws.amazon.com/x | {GOOD}", None),
        (f"| b | undocumented | {CODE} | {TEST} | try it: a minute |", None),
        (f"| b | undocumented | {GOOD}", "needs a sandbox check"),
        (f"| b | a blog | {GOOD}", "Source must be"),
        (
            "| b | https://a | `components/nowhere.py` | none: only prose | - |",
            "no file components/nowhere.py",
        ),
        (
            "| b | https://a | `components/storage.py:NoSuchSymbol` | none: x y | - |",
            "NoSuchSymbol not in the file",
        ),
        (
            "| b | https://a | `components/storage.py` | "
            "`tests/unit/test_storage.py::test_nothing_like_this` | - |",
            "no test test_nothing_like_this",
        ),
        ("| b | https://a | `components/storage.py` | none | - |", "not 'none' with a reason"),
        ("| b | https://a | components/storage.py | none: why | - |", "names no `path`"),
    ],
)
def test_the_checks_catch_broken_rows(row: str, expected: str | None) -> None:
    text = f"# T\n\n## S\n\n| {' | '.join(COLUMNS)} |\n|---|---|---|---|---|\n{row}\n"
    rows, shape = parse(text)
    assert shape == []
    (parsed,) = rows
    problems = check(parsed)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_the_parser_reports_tables_of_another_shape() -> None:
    text = "# T\n\n## S\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n| x |\n"
    _, problems = parse(text)
    assert len(problems) == 2
    assert "columns must be" in problems[0]


def test_any_number_of_sections_is_read() -> None:
    table = f"| {' | '.join(COLUMNS)} |\n|---|---|---|---|---|\n"
    row = f"| b | https://a | {GOOD}\n"
    text = "# T\n\nintro\n\n" + "".join(f"## S{i}\n\n{table}{row}{row}\n" for i in range(3))
    rows, problems = parse(text)
    assert problems == []
    assert [r.section for r in rows] == ["S0", "S0", "S1", "S1", "S2", "S2"]
