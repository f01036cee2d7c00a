"""How every dataset CSV is opened, so a byte-order mark means the same thing everywhere.

Spreadsheet tools often save "CSV UTF-8" with a byte-order mark. Read as plain UTF-8, the mark
becomes part of the first column's name (`\\ufeffUSER_ID`), and a reader then finds no USER_ID
column. Opened with `utf-8-sig`, the mark is dropped and files without one read the same.
Personalize itself reads CSV imports as UTF-8 text; the data check accepts a mark too, so
whatever passes the check reads the same in the converters, the API's smoke test and the
rehearsal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

CSV_ENCODING = "utf-8-sig"


def open_csv(path: str | Path) -> TextIO:
    """Open a dataset CSV for `csv.reader` / `csv.DictReader`: text, mark dropped, newline=""."""
    return Path(path).open(encoding=CSV_ENCODING, newline="")
