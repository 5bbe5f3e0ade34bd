"""Security: a garbage, truncated or tampered calibration library is one clear error naming
the file (issue 20), never ``sqlite3.DatabaseError`` or a ``TypeError`` traceback."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from moks_graph.cli import main
from moks_graph.errors import MoksError
from moks_graph.hosts.inverse.library import CalibrationLibrary
from moks_graph.nodes.scenescript.schema import SceneScript


def _library(path):
    with CalibrationLibrary(path) as lib:
        lib.add(SceneScript(), tags={"key:left", "mood:low"})
    return path


def test_garbage_and_truncated_files(tmp_path):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database " * 200)
    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(_library(tmp_path / "good.sqlite").read_bytes()[:120])
    for path in (garbage, truncated):
        with pytest.raises(MoksError) as err, CalibrationLibrary(path) as lib:
            lib.entries()
        assert err.value.code == "MG112" and str(path) in str(err.value)
        r = CliRunner().invoke(main, ["library", "list", "--db", str(path)])
        assert r.exit_code == 1 and str(path) in " ".join(r.output.split()), r.output
        assert not isinstance(r.exception, sqlite3.Error)


@pytest.mark.parametrize("column,value", [("uses", "'many'"), ("last_used", "'yesterday'"),
                                          ("script", "'{not json'"), ("tags", "'[1'")])
def test_tampered_rows(tmp_path, column, value):
    path = _library(tmp_path / "lib.sqlite")
    db = sqlite3.connect(path)
    db.execute(f"UPDATE entries SET {column} = {value}")
    db.commit()
    db.close()
    with CalibrationLibrary(path) as lib, pytest.raises(MoksError) as err:
        lib.entries()
    assert str(path) in str(err.value) and err.value.code in ("MG110", "MG112")
    r = CliRunner().invoke(main, ["library", "list", "--db", str(path)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert not isinstance(r.exception, TypeError | ValueError)
