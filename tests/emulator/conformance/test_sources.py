"""Every conformance test names where its behaviour is documented.

A test's own docstring, or its module's, must cite a page (a URL) or a public AWS sample
(aws-samples/<repository> and a file); a behaviour nobody can cite belongs in the README's
"Known differences" and says so ("undocumented").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

CITATION = re.compile(r"https://\S+|aws-samples/[\w.-]+|undocumented")


def test_every_conformance_test_names_its_source() -> None:
    missing: list[str] = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        module_cites = bool(CITATION.search(ast.get_docstring(tree) or ""))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                cites = CITATION.search(ast.get_docstring(node) or "")
                if not (cites or module_cites):
                    missing.append(f"{path.name}::{node.name}")
    assert not missing, f"conformance tests without a source: {missing}"
