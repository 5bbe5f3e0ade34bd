"""The calibration library: past matches in SQLite, keyed by semantic tags, with vitality decay.

The details (moved from this docstring): docs/inverse-hosts.md, "Module notes",
`hosts/inverse/library.py`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from moks_graph.cache import atomic_write_bytes
from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.nodes.inverse.fuse import MONO_SATURATION
from moks_graph.nodes.inverse.interfaces import MatchResult
from moks_graph.nodes.scenescript.schema import SceneScript

__all__ = [
    "DEFAULT_HALF_LIFE_DAYS",
    "DEFAULT_REUSE_BOOST",
    "WARM_START_SIMILARITY",
    "CalibrationLibrary",
    "Entry",
    "default_library_path",
    "jaccard",
    "normalise_tags",
    "still_tags",
    "tags_for",
    "vitality",
    "warm_seed",
]

DEFAULT_HALF_LIFE_DAYS = 30.0
DEFAULT_REUSE_BOOST = 0.5
DAY_S = 86_400.0
#: Environment variable naming the library file; else ``~/.moks/calibration.sqlite``.
LIBRARY_ENV = "MOKS_LIBRARY"
EXPORT_SCHEMA = "moks.calibration_library/1"
_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:+-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    digest    TEXT    NOT NULL UNIQUE,
    tags      TEXT    NOT NULL,
    script    TEXT    NOT NULL,
    summary   TEXT    NOT NULL,
    residual  REAL,
    created   REAL    NOT NULL,
    last_used REAL    NOT NULL,
    uses      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entry_tags (
    tag      TEXT    NOT NULL,
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    PRIMARY KEY (tag, entry_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entry_tags_by_entry ON entry_tags(entry_id);
"""


def vitality(age_s: float, uses: int, half_life_s: float,
             boost: float = DEFAULT_REUSE_BOOST) -> float:
    """``exp(-ln2 * age / half_life) * (1 + boost * ln(1 + uses))`` (module doc)."""
    if not half_life_s > 0:
        raise ValueError(f"half_life_s must be > 0, got {half_life_s}")
    return math.exp(-math.log(2.0) * max(age_s, 0.0) / half_life_s) * (
        1.0 + boost * math.log1p(max(uses, 0)))


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """``|A n B| / |A u B|`` (0 for two empty sets)."""
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else 0.0


def normalise_tags(tags: Iterable[str]) -> frozenset[str]:
    """Lower-case, stripped tags; each 1-64 of ``a-z 0-9 _ . : + -`` (ValueError otherwise)."""
    if isinstance(tags, str):
        raise TypeError("tags must be an iterable of strings, not one string")
    out = set()
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"tags: every tag must be a string, got {type(tag).__name__}")
        t = tag.strip().lower().replace(" ", "-")
        if not _TAG.match(t):
            raise ValueError(f"tags: {tag!r} is not a tag (1-64 of a-z 0-9 _ . : + -)")
        out.add(t)
    return frozenset(out)


def tags_for(script: SceneScript) -> frozenset[str]:
    """Semantic tags of a SceneScript: rig, shot, angle, subject, rim, stock, key side, mood.

    ``key:<side>`` is ``frontal`` (|azimuth| < 30), ``camera_right`` / ``camera_left``
    (up to 120) or ``back``; ``low-key`` for key/fill >= 6, ``high-key`` for <= 2;
    ``tungsten`` (CCT < 4000 K), ``daylight`` (4000-7000 K) or ``cool`` (above);
    ``haze`` for phi >= 0.15, ``fog`` for phi >= 0.45.
    """
    if not isinstance(script, SceneScript):
        raise TypeError(f"script must be a SceneScript, got {type(script).__name__}")
    az = script.key.azimuth_deg
    side = ("frontal" if abs(az) < 30 else "back" if abs(az) > 120
            else "camera_right" if az > 0 else "camera_left")
    tags = {f"rig:{script.camera.rig}", f"shot:{script.shot.size}", f"angle:{script.shot.angle}",
            f"subject:{script.subject.kind}", f"rim:{script.fill_rim.rim}",
            f"stock:{script.look.stock}", f"key:{side}"}
    ratio, cct, phi = script.fill_rim.key_fill_ratio, script.key.cct_K, script.atmosphere.phi
    if ratio >= 6.0:
        tags.add("low-key")
    elif ratio <= 2.0:
        tags.add("high-key")
    tags.add("tungsten" if cct < 4000 else "daylight" if cct <= 7000 else "cool")
    if phi >= 0.45:
        tags.add("fog")
    elif phi >= 0.15:
        tags.add("haze")
    return frozenset(tags)


#: Jaccard similarity of :func:`still_tags` a library entry needs to warm-start a match:
#: one tag per measured category, so all but one category must agree (7 tags of which 6
#: shared score 0.75, 5 shared 0.56).
WARM_START_SIMILARITY = 0.7


def _key_side(azimuth_deg: float) -> str:
    return ("frontal" if abs(azimuth_deg) < 30 else "back" if abs(azimuth_deg) > 120
            else "camera_right" if azimuth_deg > 0 else "camera_left")


def still_tags(signature: Mapping[str, float], start: SceneScript) -> frozenset[str]:
    """Tags of what was measured about a still, one per category.

    ``signature``: :func:`moks_graph.nodes.inverse.fuse.signature` of the still;
    ``start``: the fused start (:func:`~moks_graph.nodes.inverse.fuse.fuse`), the
    still's measurements in SceneScript terms. Categories: ``key:<side>`` (as
    :func:`tags_for`); ``elevation:high`` (>= 35 deg), ``elevation:low`` (< 0) or
    ``elevation:level``; ``low-key`` (key/fill >= 6), ``high-key`` (<= 2) or
    ``mid-key``; ``monochrome`` (mean saturation below ``MONO_SATURATION``) or
    ``colour``; ``rim:<mode>``; ``fog`` (phi >= 0.45), ``haze`` (>= 0.15) or
    ``clear``; and for colour stills ``tungsten`` (CCT < 4000 K), ``daylight``
    (4000-7000 K) or ``cool``. Nothing a script only carries by default (rig,
    subject, angle) is a tag, so unrelated stills share few tags.
    """
    if not isinstance(start, SceneScript):
        raise TypeError(f"start must be a SceneScript, got {type(start).__name__}")
    mono = float(signature["saturation"]) < MONO_SATURATION
    el, ratio = start.key.elevation_deg, start.fill_rim.key_fill_ratio
    phi = start.atmosphere.phi
    tags = {f"key:{_key_side(start.key.azimuth_deg)}",
            "elevation:high" if el >= 35.0 else "elevation:low" if el < 0.0
            else "elevation:level",
            "low-key" if ratio >= 6.0 else "high-key" if ratio <= 2.0 else "mid-key",
            "monochrome" if mono else "colour",
            f"rim:{start.fill_rim.rim}",
            "fog" if phi >= 0.45 else "haze" if phi >= 0.15 else "clear"}
    if not mono:
        cct = start.key.cct_K
        tags.add("tungsten" if cct < 4000 else "daylight" if cct <= 7000 else "cool")
    return frozenset(tags)


def warm_seed(start: SceneScript, past: SceneScript) -> SceneScript:
    """A second starting point for the fit: ``start`` with ``past``'s fitted lighting.

    From ``past`` come only the values the calibration moves anyway: key
    azimuth and elevation, key/fill ratio, haze ``phi`` and exposure; the key
    CCT only when both are colour (``start`` not Tri-X), the rim level only for
    the same rim mode. Everything else is the still's own measurement: the
    stock (so a black-and-white still stays black-and-white), the rim mode,
    subject, shot, camera and grain.
    """
    data = start.model_dump()
    data["key"].update(azimuth_deg=past.key.azimuth_deg,
                       elevation_deg=past.key.elevation_deg)
    if start.look.stock != "tri_x" and past.look.stock != "tri_x":
        data["key"]["cct_K"] = past.key.cct_K
    data["fill_rim"]["key_fill_ratio"] = past.fill_rim.key_fill_ratio
    if past.fill_rim.rim == start.fill_rim.rim:
        data["fill_rim"]["rim_ev"] = past.fill_rim.rim_ev
    data["atmosphere"]["phi"] = past.atmosphere.phi
    data["look"]["exposure_ev"] = past.look.exposure_ev
    return SceneScript.model_validate(data)


def default_library_path() -> Path:
    """``$MOKS_LIBRARY`` or ``~/.moks/calibration.sqlite``."""
    env = os.environ.get(LIBRARY_ENV, "").strip()
    return Path(env) if env else Path.home() / ".moks" / "calibration.sqlite"


@dataclass(frozen=True)
class Entry:
    """One stored match, with its vitality (and lookup score) at query time."""

    id: int
    tags: frozenset[str]
    script: SceneScript
    summary: dict[str, Any]
    residual: float | None
    created: float
    last_used: float
    uses: int
    vitality: float
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tags sorted)."""
        return {"id": self.id, "tags": sorted(self.tags),
                "script": self.script.model_dump(mode="json"), "summary": self.summary,
                "residual": self.residual, "created": self.created,
                "last_used": self.last_used, "uses": self.uses,
                "vitality": round(self.vitality, 9)}


class _BadRow(Exception):
    """A library row whose columns do not hold what the schema says (a foreign writer)."""


def _library_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A library method whose SQLite errors (garbage, truncated or locked file) and bad rows
    become one :class:`MoksError` naming the library file, not ``sqlite3.DatabaseError``."""
    @functools.wraps(fn)
    def guarded(self: CalibrationLibrary, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise MoksError(Problem("MG112", f"calibration library cannot be read as SQLite: "
                                    f"{exc}", NO_PATH), getattr(self, "path", None)) from None
        except _BadRow as exc:
            raise MoksError(Problem("MG110", f"calibration library: {exc}", NO_PATH),
                            getattr(self, "path", None)) from None
    return guarded


class CalibrationLibrary:
    """A SQLite calibration library (module doc); use as a context manager or ``close()``.

    ``path``: the database file (created with its folder; ``":memory:"`` for a
    private in-memory library). ``half_life_days`` > 0, ``reuse_boost`` >= 0,
    ``clock``: seconds since the epoch (injectable for tests), ``timeout_s``: how
    long a writer waits for the lock.
    """

    @_library_errors
    def __init__(self, path: str | os.PathLike[str] | None = None, *,
                 half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
                 reuse_boost: float = DEFAULT_REUSE_BOOST,
                 clock: Callable[[], float] = time.time, timeout_s: float = 30.0) -> None:
        if not (isinstance(half_life_days, int | float) and math.isfinite(half_life_days)
                and half_life_days > 0):
            raise ValueError(f"half_life_days must be a finite number > 0, got {half_life_days!r}")
        if not (isinstance(reuse_boost, int | float) and math.isfinite(reuse_boost)
                and reuse_boost >= 0):
            raise ValueError(f"reuse_boost must be a finite number >= 0, got {reuse_boost!r}")
        if not (isinstance(timeout_s, int | float) and timeout_s > 0):
            raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
        target = default_library_path() if path is None else path
        if str(target) != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(target)
        self.half_life_s = float(half_life_days) * DAY_S
        self.reuse_boost = float(reuse_boost)
        self.clock = clock
        self._db = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        self._db.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"could not switch {self.path} to WAL ({mode})")
            self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(_SCHEMA)  # idempotent (IF NOT EXISTS), safe to race

    # -- plumbing
    def __enter__(self) -> CalibrationLibrary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _vitality(self, last_used: float, uses: int, now: float) -> float:
        if isinstance(uses, bool) or not isinstance(uses, int):
            raise _BadRow(f"column 'uses' holds {type(uses).__name__} {str(uses)[:40]!r}, "
                          "not an integer")
        if isinstance(last_used, bool) or not isinstance(last_used, int | float) \
                or not math.isfinite(last_used):
            raise _BadRow(f"column 'last_used' holds {type(last_used).__name__} "
                          f"{str(last_used)[:40]!r}, not a time")
        return vitality(now - last_used, uses, self.half_life_s, self.reuse_boost)

    def _entry(self, row: tuple[Any, ...], now: float, score: float = 0.0) -> Entry:
        eid, tags, script, summary, residual, created, last_used, uses = row
        try:
            return Entry(id=eid, tags=frozenset(json.loads(tags)),
                         script=SceneScript.model_validate_json(script),
                         summary=json.loads(summary), residual=residual, created=created,
                         last_used=last_used, uses=uses,
                         vitality=self._vitality(last_used, uses, now), score=score)
        except (ValueError, TypeError, _BadRow) as exc:  # JSON, schema, column types
            raise _BadRow(f"entry {str(eid)[:40]}: {str(exc)[:300]}") from None

    _COLUMNS = "id, tags, script, summary, residual, created, last_used, uses"

    # -- writing
    @_library_errors
    def add(self, script: SceneScript, tags: Iterable[str] | None = None,
            summary: Mapping[str, Any] | None = None, residual: float | None = None) -> int:
        """Store a match; returns its id. ``tags`` default to :func:`tags_for`.

        Storing the same script with the same tags again refreshes that entry
        (summary, residual, ``t_last`` = now) instead of adding a twin.
        """
        if not isinstance(script, SceneScript):
            raise TypeError(f"script must be a SceneScript, got {type(script).__name__}")
        tagset = tags_for(script) if tags is None else normalise_tags(tags)
        if not tagset:
            raise ValueError("tags: at least one tag is needed")
        if residual is not None and not (isinstance(residual, int | float)
                                         and math.isfinite(residual)):
            raise ValueError(f"residual must be a finite number or None, got {residual!r}")
        try:
            summary_text = json.dumps(dict(summary or {}), sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"summary must be JSON data: {exc}") from None
        script_text = script.model_dump_json()
        tag_text = json.dumps(sorted(tagset))
        digest = hashlib.sha256(f"{script_text}\x1f{tag_text}".encode()).hexdigest()
        now = float(self.clock())
        with self._write() as db:
            (eid,) = db.execute(
                "INSERT INTO entries (digest, tags, script, summary, residual, created,"
                " last_used, uses) VALUES (?, ?, ?, ?, ?, ?, ?, 0)"
                " ON CONFLICT(digest) DO UPDATE SET summary = excluded.summary,"
                " residual = excluded.residual, last_used = excluded.last_used"
                " RETURNING id",
                (digest, tag_text, script_text, summary_text, residual, now, now)).fetchone()
            db.executemany("INSERT OR IGNORE INTO entry_tags (tag, entry_id) VALUES (?, ?)",
                           [(t, eid) for t in sorted(tagset)])
        return int(eid)

    @_library_errors
    def add_match(self, script: SceneScript, result: MatchResult,
                  extra_tags: Iterable[str] = (), *, tags: Iterable[str] | None = None) -> int:
        """Store an accepted :class:`MatchResult`.

        Tags: ``tags`` (the match loop passes the still's :func:`still_tags`), else
        :func:`tags_for` of ``script``; plus ``extra_tags``.
        """
        if result.status != "matched":
            raise ValueError(f"result: only matched results go in the library "
                             f"(status {result.status!r})")
        summary = result.model_dump(mode="json", exclude={"script", "image", "message"})
        base = tags_for(script) if tags is None else normalise_tags(tags)
        return self.add(script, base | normalise_tags(extra_tags), summary, result.residual)

    @_library_errors
    def touch(self, entry_id: int) -> None:
        """Count a reuse of ``entry_id``: ``uses += 1``, ``t_last`` = now."""
        with self._write() as db:
            cur = db.execute("UPDATE entries SET uses = uses + 1, last_used = ? WHERE id = ?",
                             (float(self.clock()), int(entry_id)))
            if cur.rowcount == 0:
                raise KeyError(f"entry_id: no entry {entry_id}")

    @_library_errors
    def prune(self, min_vitality: float) -> int:
        """Delete the entries whose vitality is below ``min_vitality``; returns how many."""
        if not (isinstance(min_vitality, int | float) and math.isfinite(min_vitality)
                and min_vitality >= 0):
            raise ValueError(f"min_vitality must be a finite number >= 0, got {min_vitality!r}")
        now = float(self.clock())
        with self._write() as db:
            rows = db.execute("SELECT id, last_used, uses FROM entries").fetchall()
            doomed = [(eid,) for eid, last, uses in rows
                      if self._vitality(last, uses, now) < min_vitality]
            db.executemany("DELETE FROM entries WHERE id = ?", doomed)
        return len(doomed)

    # -- reading
    @_library_errors
    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    @_library_errors
    def get(self, entry_id: int) -> Entry:
        """The entry ``entry_id`` (KeyError if none)."""
        row = self._db.execute(f"SELECT {self._COLUMNS} FROM entries WHERE id = ?",
                               (int(entry_id),)).fetchone()
        if row is None:
            raise KeyError(f"entry_id: no entry {entry_id}")
        return self._entry(row, float(self.clock()))

    @_library_errors
    def entries(self) -> list[Entry]:
        """Every entry, most vital first (ties: by id)."""
        now = float(self.clock())
        rows = self._db.execute(f"SELECT {self._COLUMNS} FROM entries ORDER BY id").fetchall()
        return sorted((self._entry(r, now) for r in rows), key=lambda e: (-e.vitality, e.id))

    @_library_errors
    def lookup(self, tags: Iterable[str] | SceneScript, *, min_similarity: float = 0.0,
               touch: bool = True) -> Entry | None:
        """The most vital similar entry for ``tags`` (or a script's :func:`tags_for`), or None.

        Score = Jaccard similarity x vitality (module doc); entries sharing no
        tag, or below ``min_similarity``, are skipped. ``touch`` counts the
        returned entry as reused.
        """
        query = tags_for(tags) if isinstance(tags, SceneScript) else normalise_tags(tags)
        if not 0.0 <= min_similarity <= 1.0:
            raise ValueError(f"min_similarity must be in [0, 1], got {min_similarity}")
        if not query:
            return None
        marks = ",".join("?" * len(query))
        rows = self._db.execute(
            "SELECT id, tags, residual, last_used, uses FROM entries WHERE id IN"
            f" (SELECT entry_id FROM entry_tags WHERE tag IN ({marks}))",
            sorted(query)).fetchall()
        now = float(self.clock())
        best: tuple[float, float, int] | None = None
        for eid, tags_text, residual, last_used, uses in rows:
            similarity = jaccard(query, json.loads(tags_text))
            if similarity <= 0.0 or similarity < min_similarity:
                continue
            score = similarity * self._vitality(last_used, uses, now)
            rank = (score, -(residual if residual is not None else math.inf), eid)
            if best is None or rank > best:
                best = rank
        if best is None:
            return None
        entry = replace(self.get(best[2]), score=best[0])
        if touch:
            self.touch(entry.id)
        return entry

    @_library_errors
    def export(self, path: str | os.PathLike[str]) -> Path:
        """Write every entry (with its current vitality) as JSON, atomically; returns the path."""
        target = Path(path)
        if not target.parent.is_dir():
            raise FileNotFoundError(f"path: folder {target.parent} does not exist")
        doc = {"schema": EXPORT_SCHEMA, "exported_at": float(self.clock()),
               "half_life_days": self.half_life_s / DAY_S, "reuse_boost": self.reuse_boost,
               "entries": [e.to_json() for e in self.entries()]}
        text = json.dumps(doc, sort_keys=True, indent=2, allow_nan=False) + "\n"
        atomic_write_bytes(target, text.encode("utf-8"))
        return target
