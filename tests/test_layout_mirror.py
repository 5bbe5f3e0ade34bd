"""The tests mirror the code's folders (issue 15): every folder of ``tests/`` that holds a file
is the test folder of one code folder (``engine`` -> ``moks_graph``, ``nodes/<area>`` ->
``nodes/<area>``, ``hosts/<area>`` -> ``hosts/<area>``, ``editor`` -> ``editor``), apart from
the shared data in ``fixtures/`` and the docs checks in ``docs/``. See docs/architecture.md."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The first folder under tests/ -> the code folder it mirrors (deeper folders mirror alike).
TOP = {"engine": "moks_graph", "nodes": "nodes", "hosts": "hosts", "editor": "editor"}
#: Folders of tests/ that mirror no code folder: shared data, the checks of docs/.
NOT_CODE = {"fixtures", "docs"}


def folders_with_files(tests: Path) -> set[str]:
    """Every folder under ``tests`` that holds a file, or a folder that does (no caches)."""
    folders: set[str] = set()
    for path in tests.rglob("*"):
        rel = path.relative_to(tests)
        if not path.is_file() or any(p == "__pycache__" or p.startswith(".") for p in rel.parts):
            continue
        for parent in rel.parents:
            if parent != Path("."):
                folders.add(parent.as_posix())
    return folders


def mirrored_code_folder(folder: str) -> str | None:
    """The code folder that the test folder ``folder`` (relative to tests/) mirrors, or None."""
    top, *rest = folder.split("/")
    if top in NOT_CODE:
        return None
    if top not in TOP:
        return "?"  # no code folder: a stray test folder
    return "/".join([TOP[top], *rest])


def stray_test_folders(tests: Path, code: Path) -> list[str]:
    """Test folders whose code folder does not exist, each with what it would mirror."""
    stray = []
    for folder in sorted(folders_with_files(tests)):
        mirrored = mirrored_code_folder(folder)
        if mirrored is not None and (mirrored == "?" or not (code / mirrored).is_dir()):
            stray.append(f"tests/{folder} (mirrors {mirrored if mirrored != '?' else 'nothing'})")
    return stray


def test_every_test_folder_mirrors_a_code_folder():
    assert stray_test_folders(ROOT / "tests", ROOT) == []


@pytest.mark.parametrize("folder, expected", [
    ("foo", ["tests/foo (mirrors nothing)"]),
    ("nodes/lighting", ["tests/nodes/lighting (mirrors nodes/lighting)"]),
    ("hosts/katana", ["tests/hosts/katana (mirrors hosts/katana)"]),
    ("engine/gone", ["tests/engine/gone (mirrors moks_graph/gone)"]),
    ("nodes/lights", []),
    ("hosts/usd", []),
    ("fixtures/images", []),
    ("foo/__pycache__", []),
])
def test_a_stray_folder_is_found(tmp_path, folder, expected):
    """The check on a small tree: a new tests/foo/ or a test folder of a missing area fails."""
    for code_folder in ("moks_graph", "nodes/lights", "hosts/usd", "editor"):
        (tmp_path / "code" / code_folder).mkdir(parents=True)
    (tmp_path / "tests" / folder).mkdir(parents=True)
    (tmp_path / "tests" / folder / "test_x.py").write_text("", encoding="utf-8")
    assert stray_test_folders(tmp_path / "tests", tmp_path / "code") == expected
