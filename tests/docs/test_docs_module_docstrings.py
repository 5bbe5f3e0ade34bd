"""Module docstrings say what the module is in a few lines; the long text lives in docs/ (issue 15).

A module docstring names the module's job, its entry points and, where there is more to say,
a ``docs/<page>.md#<section>`` link to the page that says it. Every such link must resolve.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("moks_graph", "nodes", "hosts", "editor")
MAX_LINES = 12

DOCS_LINK = re.compile(r"docs/([\w.-]+\.md)(?:#([\w-]+))?")


def _modules(tops):
    for top in tops:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not {".venv", "build"} & set(path.parts):
                yield rel, ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_anchor(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def test_module_docstrings_are_short():
    long = {rel: len(doc.splitlines()) for rel, doc in _modules(PACKAGES)
            if len(doc.splitlines()) > MAX_LINES}
    assert not long, (f"module docstrings over {MAX_LINES} lines (move the detail into the "
                      f"docs page that explains it and link it): {long}")


def test_docstring_docs_links_resolve():
    broken = []
    for rel, doc in _modules((*PACKAGES, "bench")):
        for page, anchor in DOCS_LINK.findall(doc):
            path = ROOT / "docs" / page
            if not path.exists():
                broken.append(f"{rel}: docs/{page}")
            elif anchor and anchor not in _anchors(path):
                broken.append(f"{rel}: docs/{page}#{anchor}")
    assert not broken, broken


def test_anchor_matches_github():
    assert _anchor("`hosts/blender/addon/__init__.py`") == "hostsblenderaddon__init__py"
    assert _anchor("Look and ambient in the host file") == "look-and-ambient-in-the-host-file"
