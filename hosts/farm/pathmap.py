"""Farm path mapping: the same job on machines that mount the shared storage elsewhere.

``MOKS_PATH_MAP`` holds rules ``FROM=TO`` separated by ``;`` (e.g.
``/studio/jobs=/mnt/jobs;//fs/jobs=J:/jobs``). ``moks farm chunk`` and ``moks farm
merge`` rewrite their job-directory and ``--out`` arguments with the first rule
whose ``FROM`` is a whole-component prefix of the path. This is the OpenCue and
Deadline counterpart of OpenJD's ``PATH`` job parameters, which an OpenJD worker
maps with its own path-mapping rules; ``moks farm export --path-map FROM=TO``
writes the rules into the job's environment.
"""

from __future__ import annotations

import os

#: Environment variable holding the rules.
PATH_MAP_ENV = "MOKS_PATH_MAP"


def parse_path_map(text: str) -> list[tuple[str, str]]:
    """``"A=B;C=D"`` -> ``[("A", "B"), ("C", "D")]``; ``ValueError`` for a rule without ``=``."""
    rules: list[tuple[str, str]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        src, sep, dst = part.partition("=")
        if not sep or not src or not dst:
            raise ValueError(f"{PATH_MAP_ENV}: a rule is FROM=TO, got {part!r}")
        rules.append((src.rstrip("/\\") or src, dst.rstrip("/\\") or dst))
    return rules


def path_map_text(rules: list[tuple[str, str]]) -> str:
    """Inverse of :func:`parse_path_map`."""
    for src, dst in rules:
        if any(c in s for s in (src, dst) for c in ";=\n") or not src or not dst:
            raise ValueError(f"path map rule {src!r} -> {dst!r}: paths may not be empty or "
                             "hold ';', '=' or a newline")
    return ";".join(f"{src}={dst}" for src, dst in rules)


def map_path(path: str, rules: list[tuple[str, str]] | None = None) -> str:
    """``path`` rewritten by the first matching rule (default: ``MOKS_PATH_MAP``)."""
    if rules is None:
        rules = parse_path_map(os.environ.get(PATH_MAP_ENV, ""))
    for src, dst in rules:
        if path == src or path.startswith(src + "/") or path.startswith(src + "\\"):
            return dst + path[len(src):]
    return path
