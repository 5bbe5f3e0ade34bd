"""Prose to SceneScript by vocabulary matching.

``"low-key handheld close-up, rim from camera left, light fog, Tri-X"`` maps
onto the slots phrase by phrase. Every word must belong to a known phrase or
be a filler word; unknown words are an error that lists them with the closest
known phrases.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping
from typing import Any

from moks_graph.nodes.scenescript.schema import SceneScript

#: phrase -> {slot: {field: value}}. Longest phrases match first.
PHRASES: dict[str, dict[str, dict[str, Any]]] = {
    # subject
    "person": {"subject": {"kind": "person"}},
    "actor": {"subject": {"kind": "person"}},
    "dialogue": {"subject": {"kind": "person"}},
    "interrogation": {"subject": {"kind": "person"}},
    "product": {"subject": {"kind": "product", "height_m": 0.3}},
    "crowd": {"subject": {"kind": "crowd", "height_m": 1.8}},
    "car": {"subject": {"kind": "vehicle", "height_m": 1.5}},
    "vehicle": {"subject": {"kind": "vehicle", "height_m": 1.5}},
    "landscape": {"subject": {"kind": "landscape", "height_m": 20.0}},
    "stadium": {"subject": {"kind": "crowd", "height_m": 1.8}},
    # subject motion (docs/moving-targets.md)
    "walks in": {"subject": {"motion": "walk_in"}},
    "walking in": {"subject": {"motion": "walk_in"}},
    "walk-in": {"subject": {"motion": "walk_in"}},
    "walks toward camera": {"subject": {"motion": "walk_in"}},
    "walking toward camera": {"subject": {"motion": "walk_in"}},
    "approaching": {"subject": {"motion": "walk_in"}},
    "walks away": {"subject": {"motion": "walk_away"}},
    "walking away": {"subject": {"motion": "walk_away"}},
    "walk-away": {"subject": {"motion": "walk_away"}},
    "crossing": {"subject": {"motion": "cross"}},
    "crosses": {"subject": {"motion": "cross"}},
    "walks across": {"subject": {"motion": "cross"}},
    "walking across": {"subject": {"motion": "cross"}},
    "standing": {"subject": {"motion": "still"}},
    # shot size and angle
    "extreme close-up": {"shot": {"size": "extreme_close_up"}},
    "ecu": {"shot": {"size": "extreme_close_up"}},
    "close-up": {"shot": {"size": "close_up"}},
    "closeup": {"shot": {"size": "close_up"}},
    "cu": {"shot": {"size": "close_up"}},
    "medium close-up": {"shot": {"size": "medium_close_up"}},
    "mcu": {"shot": {"size": "medium_close_up"}},
    "medium": {"shot": {"size": "medium"}},
    "mid shot": {"shot": {"size": "medium"}},
    "full shot": {"shot": {"size": "full"}},
    "wide": {"shot": {"size": "wide"}},
    "wide shot": {"shot": {"size": "wide"}},
    "extreme wide": {"shot": {"size": "extreme_wide"}},
    "eye level": {"shot": {"angle": "eye_level"}},
    "low angle": {"shot": {"angle": "low"}},
    "high angle": {"shot": {"angle": "high"}},
    "overhead": {"shot": {"angle": "overhead"}},
    "top-down": {"shot": {"angle": "overhead"}},
    "dutch": {"shot": {"angle": "dutch"}},
    "dutch angle": {"shot": {"angle": "dutch"}},
    # rigs and moves
    "tripod": {"camera": {"rig": "tripod_locked", "move": "static"}},
    "locked-off": {"camera": {"rig": "tripod_locked", "move": "static"}},
    "static": {"camera": {"move": "static"}},
    "moco": {"camera": {"rig": "moco", "move": "track", "energy": 0.0}},
    "motion control": {"camera": {"rig": "moco", "move": "track", "energy": 0.0}},
    "technocrane": {"camera": {"rig": "technocrane", "move": "sweep"}},
    "crane": {"camera": {"rig": "technocrane", "move": "sweep"}},
    "wirecam": {"camera": {"rig": "wirecam", "move": "track"}},
    "spidercam": {"camera": {"rig": "wirecam", "move": "track"}},
    "dolly": {"camera": {"rig": "dolly", "move": "push_in"}},
    "drone": {"camera": {"rig": "drone", "move": "orbit"}},
    "aerial": {"camera": {"rig": "drone", "move": "orbit"}},
    "handheld": {"camera": {"rig": "handheld", "move": "static", "energy": 0.5}},
    "shaky": {"camera": {"energy": 0.9}},
    "steady": {"camera": {"energy": 0.2}},
    "push-in": {"camera": {"move": "push_in"}},
    "push in": {"camera": {"move": "push_in"}},
    "pull-out": {"camera": {"move": "pull_out"}},
    "pull out": {"camera": {"move": "pull_out"}},
    "orbit": {"camera": {"move": "orbit"}},
    "quarter orbit": {"camera": {"move": "orbit", "sweep_deg": 90.0}},
    "half orbit": {"camera": {"move": "orbit", "sweep_deg": 180.0}},
    "full orbit": {"camera": {"move": "orbit", "sweep_deg": 360.0}},
    "reveal": {"camera": {"move": "reveal"}},
    "tracking": {"camera": {"move": "track"}},
    "sweep": {"camera": {"move": "sweep"}},
    "turntable": {"camera": {"move": "turntable"}},
    "chase": {"camera": {"move": "chase", "energy": 0.8}},
    # lenses ("<N>mm" sets any focal length: LENS_PATTERN)
    "wide lens": {"shot": {"focal_length_mm": 24.0}},
    "wide-angle": {"shot": {"focal_length_mm": 24.0}},
    "normal lens": {"shot": {"focal_length_mm": 50.0}},
    "long lens": {"shot": {"focal_length_mm": 135.0}},
    "telephoto": {"shot": {"focal_length_mm": 135.0}},
    # key and fill
    "warm": {"key": {"cct_K": 3200.0}},
    "cool": {"key": {"cct_K": 7000.0}},
    "cold": {"key": {"cct_K": 7500.0}},
    "moody": {"fill_rim": {"key_fill_ratio": 8.0}, "look": {"exposure_ev": -0.5}},
    "low-key": {"fill_rim": {"key_fill_ratio": 8.0}, "look": {"exposure_ev": -1.0}},
    "high-key": {"fill_rim": {"key_fill_ratio": 1.5}, "look": {"exposure_ev": 0.5}},
    "chiaroscuro": {"fill_rim": {"key_fill_ratio": 16.0}, "key": {"azimuth_deg": 80.0}},
    "rembrandt": {"key": {"azimuth_deg": 45.0, "elevation_deg": 45.0}},
    "butterfly": {"key": {"azimuth_deg": 0.0, "elevation_deg": 50.0}},
    "split": {"key": {"azimuth_deg": 90.0, "elevation_deg": 0.0}},
    "side light": {"key": {"azimuth_deg": 90.0, "elevation_deg": 10.0}},
    "top light": {"key": {"azimuth_deg": 0.0, "elevation_deg": 80.0}},
    "key from camera left": {"key": {"azimuth_deg": -45.0}},
    "key from camera right": {"key": {"azimuth_deg": 45.0}},
    "soft": {"key": {"softness": 0.9}},
    "hard": {"key": {"softness": 0.1}},
    "tungsten": {"key": {"cct_K": 3200.0}},
    "daylight": {"key": {"cct_K": 5600.0}},
    "golden hour": {"key": {"cct_K": 3500.0, "elevation_deg": 8.0, "azimuth_deg": 110.0},
                    "look": {"stock": "vision3_250d"}},
    "blue hour": {"key": {"cct_K": 9000.0, "elevation_deg": 5.0}},
    "moonlight": {"key": {"cct_K": 7500.0, "illuminance_lux": 5.0}},
    "night": {"key": {"illuminance_lux": 20.0}},
    "noir": {"fill_rim": {"key_fill_ratio": 16.0}, "look": {"stock": "tri_x"}},
    # rim modes
    "rim from camera left": {"fill_rim": {"rim": "camera_left"}},
    "rim from camera right": {"fill_rim": {"rim": "camera_right"}},
    "rim left": {"fill_rim": {"rim": "camera_left"}},
    "rim right": {"fill_rim": {"rim": "camera_right"}},
    "double rim": {"fill_rim": {"rim": "both"}},
    "back light": {"fill_rim": {"rim": "top"}},
    "backlit": {"fill_rim": {"rim": "top"}},
    "no rim": {"fill_rim": {"rim": "none"}},
    "practical": {"fill_rim": {"practical": True}},
    "practicals": {"fill_rim": {"practical": True}},
    # atmosphere
    "clear": {"atmosphere": {"phi": 0.0}},
    "haze": {"atmosphere": {"phi": 0.2}},
    "hazy": {"atmosphere": {"phi": 0.2}},
    "light fog": {"atmosphere": {"phi": 0.3}},
    "fog": {"atmosphere": {"phi": 0.5}},
    "foggy": {"atmosphere": {"phi": 0.5}},
    "smoke": {"atmosphere": {"phi": 0.6}},
    "heavy fog": {"atmosphere": {"phi": 0.8}},
    "storm": {"atmosphere": {"phi": 1.0}},
    "windy": {"atmosphere": {"phi": 0.7}},
    # looks
    "kodachrome": {"look": {"stock": "kodachrome"}},
    "vision3 500t": {"look": {"stock": "vision3_500t"}},
    "500t": {"look": {"stock": "vision3_500t"}},
    "vision3 250d": {"look": {"stock": "vision3_250d"}},
    "250d": {"look": {"stock": "vision3_250d"}},
    "tri-x": {"look": {"stock": "tri_x"}},
    "black and white": {"look": {"stock": "tri_x"}},
    "b&w": {"look": {"stock": "tri_x"}},
    "grainy": {"look": {"grain": 1.2}},
    "clean": {"look": {"grain": 0.1}},
}

#: A focal length written as ``85mm`` (whole millimetres: prose punctuation is dropped).
LENS_PATTERN = re.compile(r"^(\d{1,3})mm$")
#: An orbit's angle (``180°``, ``180deg``, ``180-degree``) or a move's length (``6s``,
#: ``6-second``), one word; or a number and a unit word (``180 degrees``, ``6 seconds``).
MEASURE_PATTERN = re.compile(r"^(\d{1,4})(°|deg|-degree|s|sec|-second)$")
#: The numeric words, as ``moks scene --vocabulary`` lists them after the phrases.
PATTERNS: dict[str, str] = {
    "<N>mm": "shot: focal_length_mm = N (8-600)",
    "<N>°, <N>deg, <N>-degree, <N> degrees": "camera: sweep_deg = N (an orbit's angle)",
    "<N>s, <N>sec, <N>-second, <N> seconds": "camera: duration_s = N (the move's length)",
}
#: Unit words after a number -> the camera field they set.
MEASURE_UNITS: dict[str, str] = {
    "°": "sweep_deg", "deg": "sweep_deg", "-degree": "sweep_deg", "degree": "sweep_deg",
    "degrees": "sweep_deg", "s": "duration_s", "sec": "duration_s", "-second": "duration_s",
    "second": "duration_s", "seconds": "duration_s"}


class ProseConflict(UserWarning):
    """Two phrases of one prose set the same field differently (the later one wins), or a
    move the chosen rig cannot make (the compiler names the rig it uses instead)."""


#: Words that carry no meaning of their own.
FILLER = frozenset({"a", "an", "the", "shot", "with", "and", "of", "on", "in", "at", "light",
                    "lit", "from", "look", "style", "scene", "camera", "stock", "film", "lighting",
                    "some", "very", "slight", "into", "key", "fill", "rig"})


class VocabularyError(ValueError):
    """Prose containing words outside the vocabulary."""

    def __init__(self, unknown: list[str], text: str) -> None:
        self.unknown = unknown
        hints = []
        for word in unknown:
            close = difflib.get_close_matches(word, list(PHRASES), n=3, cutoff=0.6)
            hints.append(f"{word!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        super().__init__(f"unknown words in {text!r}: " + "; ".join(hints)
                         + ". `moks scene --vocabulary` lists every phrase.")


def _normalise(text: str) -> str:
    text = text.lower().replace("—", " ").replace("–", " ")
    text = re.sub(r"[,;.!?()\"]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _merge(into: dict[str, dict[str, Any]], patch: Mapping[str, Mapping[str, Any]],
           phrase: str, said: dict[tuple[str, str], str], conflicts: list[str]) -> None:
    """``patch`` over ``into``; a field an earlier phrase set differently is a conflict.

    A rig's own move and energy, and a move's own energy, are defaults: they neither
    override a move or energy said in words ("push-in tripod", "shaky chase") nor conflict
    with one.
    """
    camera = patch.get("camera", {})
    for slot, fields in patch.items():
        for name, value in fields.items():
            soft = slot == "camera" and (
                (name == "move" and "rig" in camera)
                or (name == "energy" and ("rig" in camera or "move" in camera)))
            earlier = said.get((slot, name))
            if soft and earlier:
                continue
            if earlier and not soft and into[slot][name] != value and earlier != phrase:
                conflicts.append(f"{earlier!r} and {phrase!r} both set {slot}.{name} "
                                 f"({into[slot][name]!r} vs {value!r}): {phrase!r} wins")
            said[(slot, name)] = "" if soft else phrase
            into.setdefault(slot, {})[name] = value


def _measure(words: list[str], i: int) -> tuple[str, float, int] | None:
    """An angle or a duration at ``words[i]``: (camera field, value, words used), else None."""
    one = MEASURE_PATTERN.match(words[i])
    if one:
        number, unit, n = one.group(1), one.group(2), 1
    elif words[i].isdigit() and i + 1 < len(words) and words[i + 1] in MEASURE_UNITS:
        number, unit, n = words[i], words[i + 1], 2
    else:
        return None
    field, value = MEASURE_UNITS[unit], float(number)
    if field == "duration_s" and value == 0.0:
        raise ValueError(f"{' '.join(words[i:i + n])!r}: a move lasts more than 0 s")
    return field, value, n


def parse_prose(text: str, base: SceneScript | None = None) -> SceneScript:
    """Map prose onto a SceneScript: later phrases win, with a :class:`ProseConflict`
    warning naming both; unknown words raise VocabularyError."""
    words = _normalise(text).split(" ") if text.strip() else []
    longest = max(len(p.split(" ")) for p in PHRASES)
    slots: dict[str, dict[str, Any]] = {}
    said: dict[tuple[str, str], str] = {}
    unknown: list[str] = []
    conflicts: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            if phrase in PHRASES:
                _merge(slots, PHRASES[phrase], phrase, said, conflicts)
                i += n
                break
        else:
            measured = _measure(words, i)
            if measured is not None:
                field, value, n = measured
                _merge(slots, {"camera": {field: value}}, " ".join(words[i:i + n]), said,
                       conflicts)
                i += n
                continue
            lens = LENS_PATTERN.match(words[i])
            if lens and not 8.0 <= float(lens.group(1)) <= 600.0:
                raise ValueError(f"{words[i]!r} in {text!r}: a focal length is 8-600 mm")
            if lens:
                _merge(slots, {"shot": {"focal_length_mm": float(lens.group(1))}}, words[i],
                       said, conflicts)
            elif words[i] not in FILLER:
                unknown.append(words[i])
            i += 1
    if unknown:
        raise VocabularyError(unknown, text)
    for message in conflicts:
        warnings.warn(ProseConflict(message), stacklevel=2)
    script = base or SceneScript()
    for slot, fields in slots.items():
        script = script.with_slot(slot, **fields)
    return script
