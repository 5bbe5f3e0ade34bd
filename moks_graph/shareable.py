"""The Math-Over-Matter validator for shareable artifacts (presets, graphs).

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`moks_graph/shareable.py`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Stable violation codes and their names. Never renumber; add at the end.
CODES: dict[str, str] = {
    "MOM001": "binary-asset",
    "MOM002": "absolute-path",
    "MOM003": "data-uri",
    "MOM004": "inline-base64",
    "MOM005": "not-json",
    "MOM006": "inline-binary",
}

#: Extensions (lower case, no dot) of binary assets that must not appear in a shareable artifact.
BINARY_ASSET_EXTENSIONS: tuple[str, ...] = (
    # images, HDRIs and textures
    "hdr", "exr", "png", "jpg", "jpeg", "tif", "tiff", "tga", "bmp", "gif", "webp", "psd",
    "dpx", "dds", "ktx", "ktx2", "heic", "avif", "jp2", "pfm", "ies",
    # geometry, scenes, caches, volumes
    "obj", "fbx", "blend", "blend1", "abc", "usd", "usda", "usdc", "usdz", "vdb", "gltf",
    "glb", "ply", "stl", "dae", "3ds", "ma", "mb", "c4d", "hip", "hipnc", "hiplc", "bgeo",
    "bgeo.sc", "sim", "simdata",
    # video and audio
    "mp4", "mov", "avi", "mkv", "webm", "mxf", "r3d", "braw", "wav", "mp3", "flac",
    "aif", "aiff", "ogg", "m4a",
    # raw data, archives, model weights
    "bin", "npy", "npz", "pkl", "pickle", "h5", "hdf5", "zip", "gz", "tgz", "tar", "7z", "rar",
    "pth", "onnx", "safetensors", "ckpt",
)  # fmt: skip

#: Shortest base64 run reported by MOM004.
BASE64_MIN_CHARS = 64
#: Entropy (bits per character) from which a decodable run counts as a payload.
BASE64_MIN_ENTROPY = 4.7
#: A decodable run at least this long is a payload whatever its entropy.
BASE64_ALWAYS_CHARS = 256

_EXTENSIONS_RE = re.compile(
    r"\.("
    + "|".join(re.escape(e) for e in sorted(BINARY_ASSET_EXTENSIONS, key=len, reverse=True))
    + r")(?!\w|\.\w)",
    re.IGNORECASE,
)
_FILE_URL_RE = re.compile(r"(?<![A-Za-z0-9+.-])file:[^\s\"'<>]*", re.IGNORECASE)
_DATA_URI_RE = re.compile(
    r"(?<![A-Za-z0-9+.-])data:(?:[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)?"
    r"(?:;[a-z0-9!#$&^_.+-]+(?:=[^;,\s]*)?)*,[^\s\"'<>]*",
    re.IGNORECASE,
)
_PATH_START = r"(?:^|(?<=[\s\"'=(\[,;]))"
_POSIX_RE = re.compile(_PATH_START + r"(?:/|~[A-Za-z0-9_.-]*/)[A-Za-z_.~$][^\s\"']*")
_DRIVE_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]:[\\/][^\s\"']*")
_UNC_RE = re.compile(_PATH_START + r"\\\\[A-Za-z0-9._$-]+\\[^\s\"']*")
_BASE64_RUN_RES = (
    re.compile(rf"[A-Za-z0-9+/]{{{BASE64_MIN_CHARS},}}={{0,2}}"),
    re.compile(rf"[A-Za-z0-9_-]{{{BASE64_MIN_CHARS},}}={{0,2}}"),
)
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Violation:
    """One violation: a stable code (``"MOM001"``), a JSON path and a message."""

    code: str
    path: str
    message: str

    @property
    def name(self) -> str:
        """The code's name, e.g. ``"binary-asset"``."""
        return CODES.get(self.code, "unknown")

    def __str__(self) -> str:
        return f"{self.code} {self.name} at {self.path}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "path": self.path, "message": self.message}


def _child_path(parent: str, key: object) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    text = str(key)
    if _IDENTIFIER_RE.fullmatch(text):
        return f"{parent}.{text}"
    return f"{parent}[{json.dumps(text, ensure_ascii=False)}]"


def _shorten(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character of ``text``."""
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _decodes(run: str, urlsafe: bool) -> bool:
    body = run.rstrip("=")
    if len(body) % 4 == 1:
        return False
    padded = body + "=" * (-len(body) % 4)
    try:
        if urlsafe:
            base64.urlsafe_b64decode(padded)
        else:
            base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by spaces (same length)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _string_violations(text: str, path: str, where: str) -> Iterator[Violation]:
    """Every violation inside one string (``where`` is "value" or "key")."""
    data_uris = [(m.start(), m.end()) for m in _DATA_URI_RE.finditer(text)]
    for start, end in data_uris:
        yield Violation(
            "MOM003", path, f"{where} holds an inline data URI {_shorten(text[start:end])}"
        )
    rest = _masked(text, data_uris)

    for m in _EXTENSIONS_RE.finditer(rest):
        yield Violation(
            "MOM001",
            path,
            f"{where} names a binary asset ('.{m.group(1).lower()}' file): {_shorten(text)}",
        )

    file_urls = [(m.start(), m.end()) for m in _FILE_URL_RE.finditer(rest)]
    for start, end in file_urls:
        yield Violation("MOM002", path, f"{where} holds a file URL {_shorten(text[start:end])}")
    rest = _masked(rest, file_urls)
    for regex, kind in (
        (_DRIVE_RE, "a Windows drive path"),
        (_UNC_RE, "a UNC network path"),
        (_POSIX_RE, "an absolute or home-relative path"),
    ):
        for m in regex.finditer(rest):
            yield Violation("MOM002", path, f"{where} holds {kind} {_shorten(m.group(0))}")

    joined = rest.replace("\r", "").replace("\n", "")
    reported: list[tuple[int, int]] = []
    for urlsafe, regex in enumerate(_BASE64_RUN_RES):
        for m in regex.finditer(joined):
            run = m.group(0)
            if any(m.start() < end and start < m.end() for start, end in reported):
                continue  # part of a run already reported in the other alphabet
            if not _decodes(run, bool(urlsafe)):
                continue
            if len(run) < BASE64_ALWAYS_CHARS and _entropy(run) < BASE64_MIN_ENTROPY:
                continue
            reported.append((m.start(), m.end()))
            yield Violation(
                "MOM004",
                path,
                f"{where} holds an inline base64 payload of {len(run)} characters "
                f"{_shorten(run, 24)}",
            )


def _leaf_violations(value: Any, path: str) -> Iterator[Violation]:
    """Violations of a non-container value."""
    if value is None or isinstance(value, bool | np.bool_):
        return
    if isinstance(value, str):
        yield from _string_violations(value, path, "value")
    elif isinstance(value, int | np.integer):
        return
    elif isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            yield Violation("MOM005", path, f"number {float(value)!r} is not valid JSON")
    elif isinstance(value, bytes | bytearray | memoryview | np.ndarray):
        yield Violation(
            "MOM006", path, f"inline binary data of type {type(value).__name__} is not shareable"
        )
    else:
        yield Violation(
            "MOM005", path, f"a value of type {type(value).__name__} is not JSON data"
        )


def check_artifact(obj: Any) -> list[Violation]:
    """Every Math-Over-Matter violation in a JSON-like artifact, in document order.

    An empty list means the artifact is shareable. Never raises on odd input:
    anything that is not JSON data is itself reported (MOM005/MOM006).
    """
    violations: list[Violation] = []
    active: set[int] = set()  # containers on the current path, for cycle detection
    # Stack items: ("visit", value, path), ("key", key, path) or ("leave", id, path).
    stack: list[tuple[str, Any, str]] = [("visit", obj, "$")]
    while stack:
        action, value, path = stack.pop()
        if action == "leave":
            active.discard(value)
        elif action == "key":
            if isinstance(value, str):
                violations.extend(_string_violations(value, path, "key"))
            elif value is not None and not isinstance(value, int | float | bool):
                message = f"a key of type {type(value).__name__} is not JSON data"
                violations.append(Violation("MOM005", path, message))
        elif isinstance(value, dict | list | tuple):
            if id(value) in active:
                violations.append(Violation("MOM005", path, "reference cycle (not JSON data)"))
                continue
            active.add(id(value))
            stack.append(("leave", id(value), path))
            children: list[tuple[str, Any, str]] = []
            if isinstance(value, dict):
                for key, child in value.items():
                    child_path = _child_path(path, key)
                    children += [("key", key, child_path), ("visit", child, child_path)]
            else:
                children = [("visit", c, _child_path(path, i)) for i, c in enumerate(value)]
            stack.extend(reversed(children))
        else:
            violations.extend(_leaf_violations(value, path))
    return violations


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def check_file(path: str | Path) -> list[Violation]:
    """Check a JSON file (``.mgraph``, preset). Not UTF-8 JSON -> one MOM005 violation.

    Raises ``FileNotFoundError`` if ``path`` does not exist and ``TypeError``
    for a ``path`` that is not a str or Path.
    """
    if not isinstance(path, str | Path):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"path: file not found: {p}")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [
            Violation(
                "MOM005",
                "$",
                f"{p.name} is not a UTF-8 text file (byte {exc.start}): a binary file "
                "cannot be a shareable artifact",
            )
        ]
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return [
            Violation(
                "MOM005",
                "$",
                f"{p.name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            )
        ]
    except (ValueError, RecursionError) as exc:
        return [Violation("MOM005", "$", f"{p.name} is not valid JSON: {exc}")]
    return check_artifact(data)
