"""Calibration library: vitality decay, Jaccard lookups, prune/export, concurrent writers, CLI."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from moks_graph.hosts.inverse.library import (
    DAY_S,
    WARM_START_SIMILARITY,
    CalibrationLibrary,
    jaccard,
    normalise_tags,
    still_tags,
    tags_for,
    vitality,
    warm_seed,
)
from moks_graph.hosts.inverse.library_cli import library
from moks_graph.nodes.inverse.interfaces import MatchResult
from moks_graph.nodes.scenescript.schema import SceneScript

T0 = 1_700_000_000.0


class Clock:
    """A settable clock [s]."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def days(self, d: float) -> None:
        self.t += d * DAY_S


def _script(az: float = 45.0, ratio: float = 4.0) -> SceneScript:
    return SceneScript().with_slot("key", azimuth_deg=az).with_slot("fill_rim",
                                                                    key_fill_ratio=ratio)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lib(tmp_path: Path, clock: Clock):
    with CalibrationLibrary(tmp_path / "lib.sqlite", half_life_days=10.0, clock=clock) as lib:
        yield lib


def test_vitality_formula() -> None:
    h = 10.0
    assert vitality(0.0, 0, h) == 1.0
    assert vitality(h, 0, h) == pytest.approx(0.5)
    assert vitality(3 * h, 0, h) == pytest.approx(0.125)
    assert vitality(0.0, 1, h) == pytest.approx(1.0 + 0.5 * math.log(2.0))
    assert vitality(h, 3, h, boost=1.0) == pytest.approx(0.5 * (1.0 + math.log(4.0)))
    with pytest.raises(ValueError, match="half_life"):
        vitality(1.0, 0, 0.0)


def test_jaccard_and_tags() -> None:
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), set()) == 0.0
    assert normalise_tags([" Low-Key ", "rig:Dolly"]) == {"low-key", "rig:dolly"}
    with pytest.raises(ValueError, match="tag"):
        normalise_tags(["bad/tag"])
    with pytest.raises(TypeError):
        normalise_tags("low-key")
    tags = tags_for(_script(-70.0, 8.0).with_slot("atmosphere", phi=0.2))
    assert {"key:camera_left", "low-key", "haze", "rig:tripod_locked", "shot:medium",
            "rim:none", "stock:vision3_250d", "daylight"} <= tags


def test_lookup_prefers_similar_then_vital(lib: CalibrationLibrary, clock: Clock) -> None:
    old = lib.add(_script(30.0), ["rig:dolly", "shot:medium", "low-key"], residual=0.02)
    clock.days(10.0)  # one half-life later
    new = lib.add(_script(60.0), ["rig:dolly", "shot:medium", "low-key"], residual=0.05)
    other = lib.add(_script(-90.0), ["rig:drone", "shot:wide"])
    query = ["rig:dolly", "shot:medium", "low-key"]
    hit = lib.lookup(query, touch=False)
    assert hit is not None and hit.id == new
    assert hit.score == pytest.approx(1.0) and lib.get(old).vitality == pytest.approx(0.5)
    # a partly matching query still prefers the vital entry: J = 2/5 for both
    hit = lib.lookup(["rig:dolly", "shot:medium", "rim:top", "tungsten"], touch=False)
    assert hit is not None and hit.id == new and hit.score == pytest.approx(0.4)
    # no shared tag -> nothing; min_similarity filters
    assert lib.lookup(["rig:wirecam"]) is None
    assert lib.lookup(["rig:drone", "x", "y", "z"], min_similarity=0.5) is None
    assert lib.lookup(["rig:drone"], touch=False).id == other


def test_reuse_boosts_and_restarts_the_clock(lib: CalibrationLibrary, clock: Clock) -> None:
    a = lib.add(_script(10.0), ["studio", "low-key"])
    b = lib.add(_script(20.0), ["studio", "low-key", "extra"])
    clock.days(20.0)  # both at 0.25
    hit = lib.lookup(["studio", "low-key"])  # touch=True: a (J = 1) is reused
    assert hit is not None and hit.id == a
    entry = lib.get(a)
    assert entry.uses == 1 and entry.last_used == clock.t
    assert entry.vitality == pytest.approx(1.0 + 0.5 * math.log(2.0))
    assert lib.get(b).vitality == pytest.approx(0.25)
    clock.days(10.0)
    assert lib.get(a).vitality == pytest.approx(0.5 * (1.0 + 0.5 * math.log(2.0)))
    assert [e.id for e in lib.entries()] == [a, b]


def test_same_match_refreshes_instead_of_duplicating(lib: CalibrationLibrary,
                                                      clock: Clock) -> None:
    first = lib.add(_script(), ["x"], {"note": 1}, residual=0.1)
    clock.days(5.0)
    again = lib.add(_script(), ["x"], {"note": 2}, residual=0.05)
    assert again == first and len(lib) == 1
    entry = lib.get(first)
    assert entry.summary == {"note": 2} and entry.residual == 0.05 and entry.vitality == 1.0
    assert lib.add(_script(), ["y"]) != first  # different tags: a different entry


def test_add_match_and_bad_input(lib: CalibrationLibrary) -> None:
    script = _script(-50.0, 8.0)
    result = MatchResult(image="/abs/ref.png", key_azimuth_deg=-50.0, key_elevation_deg=30.0,
                         key_fill_ratio=8.0, key_cct_K=5600.0, rim=False, rim_mode="none",
                         haze=0.0, film_stock="vision3_250d", iterations=2, residual=0.01,
                         seconds=1.0)
    eid = lib.add_match(script, result, extra_tags=["client:acme"])
    entry = lib.get(eid)
    assert "client:acme" in entry.tags and "low-key" in entry.tags
    assert entry.summary["key_azimuth_deg"] == -50.0 and "image" not in entry.summary
    with pytest.raises(ValueError, match="only matched"):
        lib.add_match(script, result.model_copy(update={"status": "failed"}))
    with pytest.raises(ValueError, match="residual"):
        lib.add(script, ["a"], residual=float("nan"))
    with pytest.raises(ValueError, match="summary"):
        lib.add(script, ["a"], summary={"x": object()})
    with pytest.raises(TypeError, match="script"):
        lib.add({"key": {}}, ["a"])  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        lib.touch(999)
    with pytest.raises(ValueError, match="half_life"):
        CalibrationLibrary(":memory:", half_life_days=0)


def test_prune_and_export(lib: CalibrationLibrary, clock: Clock, tmp_path: Path) -> None:
    old = lib.add(_script(1.0), ["a"])
    clock.days(40.0)  # 4 half-lives: 0.0625
    mid = lib.add(_script(2.0), ["a"])
    clock.days(10.0)  # old 0.03125, mid 0.5
    fresh = lib.add(_script(3.0), ["a"])
    assert lib.prune(0.1) == 1
    assert {e.id for e in lib.entries()} == {mid, fresh} and old not in {e.id for e in
                                                                         lib.entries()}
    out = lib.export(tmp_path / "lib.json")
    doc = json.loads(out.read_text())
    assert doc["schema"] == "moks.calibration_library/1" and doc["half_life_days"] == 10.0
    assert [e["id"] for e in doc["entries"]] == [fresh, mid]
    assert [e["vitality"] for e in doc["entries"]] == pytest.approx([1.0, 0.5])
    assert SceneScript.model_validate(doc["entries"][1]["script"]) == _script(2.0)
    with pytest.raises(ValueError, match="min_vitality"):
        lib.prune(-1.0)


def test_wal_mode_and_tag_rows_follow_deletes(lib: CalibrationLibrary, tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "lib.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    eid = lib.add(_script(), ["a", "b"])
    lib.prune(10.0)
    assert db.execute("SELECT COUNT(*) FROM entry_tags WHERE entry_id = ?", (eid,)).fetchone()[
        0] == 0
    db.close()


WORKER = """
import sys, time
from moks_graph.hosts.inverse.library import CalibrationLibrary
from moks_graph.nodes.scenescript.schema import SceneScript
path, worker, count, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
with CalibrationLibrary(path, timeout_s=60.0) as lib:
    while time.time() < start:  # both processes begin writing at the same moment
        time.sleep(0.005)
    for i in range(count):
        script = SceneScript().with_slot("key", azimuth_deg=float(i)).with_slot(
            "fill_rim", key_fill_ratio=1.0 + worker)
        eid = lib.add(script, [f"worker:{worker}", "shared"], {"i": i}, residual=0.001 * i)
        assert lib.lookup(["shared", f"worker:{worker}"]) is not None
        lib.touch(eid)
"""


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    CalibrationLibrary(path).close()
    count = 150
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, path, str(w), str(count),
                               str(start)], stderr=subprocess.PIPE) for w in (0, 1)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with CalibrationLibrary(path) as lib:
        entries = lib.entries()
        assert len(entries) == 2 * count
        for w in (0, 1):
            assert len([e for e in entries if f"worker:{w}" in e.tags]) == count
        # each entry: its own touch, plus the lookups that returned it
        assert sum(e.uses for e in entries) == 2 * count * 2
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_cli_list_prune_export(tmp_path: Path) -> None:
    path = tmp_path / "cli.sqlite"
    clock = Clock()
    with CalibrationLibrary(path, clock=clock) as lib:
        lib.add(_script(33.0), ["rig:dolly", "low-key"], residual=0.01)
    runner = CliRunner()
    out = runner.invoke(library, ["list", "--db", str(path)])
    assert out.exit_code == 0, out.output
    assert "33.0" in out.output and "rig:dolly" in out.output
    js = runner.invoke(library, ["list", "--db", str(path), "--json", "--tag", "low-key"])
    assert json.loads(js.output)[0]["script"]["key"]["azimuth_deg"] == 33.0
    exported = runner.invoke(library, ["export", str(tmp_path / "e.json"), "--db", str(path)])
    assert exported.exit_code == 0 and "exported 1" in exported.output
    assert len(json.loads((tmp_path / "e.json").read_text())["entries"]) == 1
    # the entry is now (real clock) decades old at T0 ~ 2023: prune removes it
    pruned = runner.invoke(library, ["prune", "--db", str(path), "--min-vitality", "0.5"])
    assert pruned.exit_code == 0 and "pruned 1 entries (0 left)" in pruned.output
    missing = runner.invoke(library, ["list", "--db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 1 and "no calibration library" in missing.output
    assert not (tmp_path / "none.sqlite").exists()


# --------------------------------------------------------------------------- warm starts
# issue 13, defect 5: every match was stored and looked up under the fused start's
# tags_for, which are mostly defaults every still shares (rig, subject, angle, shot...), so
# unrelated stills scored as similar; and the warm start's calibrated script replaced the
# result wholesale (a black-and-white still came back with a colour stock).

BW_LEFT = SceneScript.model_validate({
    "shot": {"size": "medium_close_up"},
    "key": {"azimuth_deg": -70.0, "elevation_deg": 15.0},
    "fill_rim": {"key_fill_ratio": 12.0, "rim": "camera_right", "rim_ev": 0.5},
    "look": {"stock": "tri_x", "grain": 0.0}})
COLOUR_RIGHT = SceneScript.model_validate({
    "shot": {"size": "medium_close_up"},
    "key": {"azimuth_deg": 80.0, "elevation_deg": 45.0, "cct_K": 3200.0},
    "fill_rim": {"key_fill_ratio": 1.6},
    "atmosphere": {"phi": 0.3},
    "look": {"stock": "vision3_500t", "grain": 0.0}})
#: BW_LEFT's mirror image in colour: the key on the other side, another stock.
MIRROR_COLOUR = SceneScript.model_validate({
    "shot": {"size": "medium_close_up"},
    "key": {"azimuth_deg": 75.0, "elevation_deg": 20.0},
    "fill_rim": {"key_fill_ratio": 10.0, "rim": "camera_right", "rim_ev": 0.5},
    "look": {"stock": "vision3_250d", "grain": 0.0}})


def _measure(script: SceneScript):
    """The still of ``script`` and what the match loop measures on it: (still, sig, start)."""
    from moks_graph.nodes.inverse.calibrate import analyse
    from moks_graph.nodes.inverse.fuse import fuse, signature
    from moks_graph.nodes.inverse.render import BuiltinRenderer, preview_size, resample

    still = BuiltinRenderer().render(script)
    reference = resample(still, preview_size(still.shape))
    sig = signature(reference, analyse(reference))
    return still, sig, fuse(sig)


@pytest.fixture(scope="module")
def measured():
    return {"bw": _measure(BW_LEFT), "colour": _measure(COLOUR_RIGHT),
            "mirror": _measure(MIRROR_COLOUR)}


def test_still_tags_come_from_the_measurements_and_separate_unrelated_stills(measured):
    _, sig_bw, start_bw = measured["bw"]
    _, sig_c, start_c = measured["colour"]
    bw, colour = still_tags(sig_bw, start_bw), still_tags(sig_c, start_c)
    assert {"monochrome", "key:camera_left", "low-key"} <= bw
    assert {"colour", "key:camera_right", "high-key", "tungsten"} <= colour
    assert not any(t.startswith(("rig:", "subject:", "angle:", "stock:")) for t in bw | colour)
    assert jaccard(bw, colour) < WARM_START_SIMILARITY
    assert still_tags(sig_bw, start_bw) == bw                       # deterministic
    # the defect: by the fused starts' script tags (rig, subject, angle, shot shared by
    # default) a colour still lit from the other side passed the old 0.5 similarity floor
    _, sig_m, start_m = measured["mirror"]
    assert jaccard(tags_for(start_bw), tags_for(start_m)) >= 0.5
    assert jaccard(bw, still_tags(sig_m, start_m)) < WARM_START_SIMILARITY


def test_warm_seed_takes_the_lighting_and_keeps_what_was_measured():
    start = BW_LEFT
    past = COLOUR_RIGHT.with_slot("fill_rim", rim="camera_left", rim_ev=-1.0)
    seed = warm_seed(start, past)
    assert seed.look.stock == "tri_x" and seed.look.grain == start.look.grain
    assert seed.fill_rim.rim == "camera_right" and seed.fill_rim.rim_ev == 0.5
    assert seed.key.cct_K == start.key.cct_K            # no colour to measure on Tri-X
    assert seed.subject == start.subject and seed.shot == start.shot
    assert seed.camera == start.camera
    assert (seed.key.azimuth_deg, seed.key.elevation_deg) == (80.0, 45.0)
    assert seed.fill_rim.key_fill_ratio == 1.6 and seed.atmosphere.phi == 0.3
    colour = warm_seed(COLOUR_RIGHT.with_slot("key", cct_K=5600.0), COLOUR_RIGHT)
    assert colour.key.cct_K == 3200.0 and colour.look.stock == "vision3_500t"
    same_rim = warm_seed(BW_LEFT.with_slot("fill_rim", rim_ev=0.0), BW_LEFT)
    assert same_rim.fill_rim.rim_ev == 0.5


def test_a_warm_start_seeds_the_fit_but_never_changes_the_stills_stock(measured, tmp_path,
                                                                      monkeypatch):
    import moks_graph.hosts.inverse.match as M

    seeds: list[tuple[SceneScript, SceneScript]] = []
    real_seed = M.warm_seed

    def spy(start, stored):
        seeds.append((start, stored))
        return real_seed(start, stored)

    monkeypatch.setattr(M, "warm_seed", spy)
    monkeypatch.setattr(M, "still_tags", lambda sig, script: still_tags(sig, start))
    still, sig, start = measured["bw"]
    db = tmp_path / "lib.sqlite"
    with CalibrationLibrary(db) as store:       # a colour match filed under this still's tags
        entry = store.add(COLOUR_RIGHT, still_tags(sig, start), residual=0.0)
    out = M.match(still, library=db, max_iterations=1, alternatives=0)
    assert any(label == f"library:{entry}" for label, _ in out.candidates)
    ((current, stored),) = seeds                # the warm start only seeded a second fit
    seeded = real_seed(current, stored)
    assert stored == COLOUR_RIGHT
    assert seeded.look.stock == "tri_x" and seeded.key.azimuth_deg == 80.0
    assert out.result.film_stock == "tri_x" == start.look.stock
    assert out.script is not None and out.script.look.stock == "tri_x"
    history = [h for h in out.result.history if h.proposed_by == "library"]
    assert len(history) == 1 and str(entry) in history[0].proposal
    if out.result.status == "matched":         # stored back under its measured tags
        with CalibrationLibrary(db) as store:
            stored_rows = [e for e in store.entries() if e.id != entry]
            assert [e.tags for e in stored_rows] == [still_tags(sig, start)]


def test_an_unrelated_still_does_not_warm_start(measured, tmp_path):
    from moks_graph.hosts.inverse.match import match

    db = tmp_path / "lib.sqlite"
    first = match(measured["mirror"][0], library=db, max_iterations=0, alternatives=0)
    assert first.result.status == "matched"
    second = match(measured["bw"][0], library=db, max_iterations=0, alternatives=0)
    assert not any(label.startswith("library:") for label, _ in second.candidates)
    assert second.result.film_stock == "tri_x"
    again = match(measured["mirror"][0], library=db, max_iterations=0, alternatives=0)
    assert any(label.startswith("library:") for label, _ in again.candidates)
