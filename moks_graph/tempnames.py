"""Temporary files of the atomic writers, and sweeping the ones a killed writer left behind.

Entry points: :func:`make`, :func:`sweep`, :func:`is_stale`.

Details (moved from this docstring, issue 15): docs/architecture.md#moks_graphtempnamespy
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
from pathlib import Path
from typing import Final

STALE_AGE: Final[float] = 60.0
"""Seconds without modification after which a temporary file of unknown liveness is stale."""


def _host() -> str:
    name = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname().split(".")[0])
    return name[:24] or "host"


HOST: Final[str] = _host()


def prefix(name: str) -> str:
    """The temporary-name prefix for an output called ``name`` in this process."""
    return f".{name}.moks-{HOST}-{os.getpid()}-"


def _pattern(name: str, suffix: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}\.(?:moks-(?P<host>[A-Za-z0-9]*)-(?P<pid>\d+)-)?"
                      rf"[A-Za-z0-9_]{{8}}{re.escape(suffix)}")


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process (or unknowable): keep its file
    return True


def is_stale(path: Path, name: str, suffix: str, now: float | None = None) -> bool:
    """Whether ``path`` is a leftover temporary file of the writer of ``name`` (see above)."""
    match = _pattern(name, suffix).fullmatch(path.name)
    if match is None:
        return False
    try:
        info = path.lstat()
    except OSError:
        return False
    if not os.path.isfile(path) or os.path.islink(path):
        return False
    if match["pid"] is not None and match["host"] == HOST:
        return int(match["pid"]) != os.getpid() and not _alive(int(match["pid"]))
    return (time.time() if now is None else now) - info.st_mtime > STALE_AGE


def sweep(folder: Path, name: str, suffix: str) -> list[Path]:
    """Remove the stale temporary files of the output ``name`` in ``folder``; returns them."""
    removed = []
    try:
        candidates = list(Path(folder).glob(f".{glob_escape(name)}.*{glob_escape(suffix)}"))
    except OSError:
        return removed
    for path in candidates:
        if is_stale(path, name, suffix):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def make(folder: Path, name: str, suffix: str, *, clean: bool = True) -> tuple[int, str]:
    """``mkstemp`` for output ``name`` in ``folder`` (after sweeping its stale leftovers)."""
    if clean:
        sweep(folder, name, suffix)
    return tempfile.mkstemp(prefix=prefix(name), suffix=suffix, dir=folder)
