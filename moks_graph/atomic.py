"""The one way MOKS writes a file: a temp sibling, fsync, rename (never a partial file).

Temp names and the sweep of what a ``kill -9`` left are :mod:`moks_graph.tempnames`. New files
get the mode a plain ``open()`` would (``0o666`` less the umask), not mkstemp's ``0o600``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from moks_graph import tempnames


def current_umask() -> int:
    """The process umask, read now (it may change while the process runs).

    Read from ``/proc/self/status`` where there is one (no window in which another
    thread could create a file under a zero umask); elsewhere set and restored.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def new_file_mode() -> int:
    """The mode a plain ``open()`` would give a new file (``0o666`` less the umask)."""
    return 0o666 & ~current_umask()


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike[str], *, keep_suffix: bool = True,
                  sweep: bool = True, durable: bool = True) -> Iterator[Path]:
    """Yield a temp path beside ``target``; when the block succeeds, rename it over ``target``.

    ``keep_suffix``: the temp name ends in ``target``'s suffix (``.tmp.usda``: USD and Qt pick
    the format from it); else in ``.tmp``. ``sweep``: remove what killed writers left first
    (off for folders of many entries). ``durable``: fsync the file and the folder (off where
    the file is verified when read, such as farm chunks). On any exception the temp file is
    removed and ``target`` is untouched.
    """
    target = Path(target)
    name, suffix = (target.stem, f".tmp{target.suffix}") if keep_suffix else (target.name, ".tmp")
    fd, tmp_name = tempnames.make(target.parent, name, suffix, clean=sweep)
    tmp = Path(tmp_name)
    try:
        try:
            os.fchmod(fd, new_file_mode())
        finally:
            os.close(fd)
        yield tmp
        if durable:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        _fsync_folder(target.parent)


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; when the block succeeds, it replaces
    ``target`` (a folder), so a reader sees the old set of files or the new one, never a mix.

    The old folder is moved aside and removed after the swap. On any exception the staging
    folder is removed and ``target`` is untouched.
    """
    target = Path(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.{os.getpid()}.old"
            os.rename(target, old)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    _fsync_folder(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | Iterable[bytes], *,
                       sweep: bool = True, durable: bool = True) -> None:
    """Write ``data`` (bytes or byte chunks) to ``path`` through :func:`atomic_output`."""
    with atomic_output(path, keep_suffix=False, sweep=sweep, durable=durable) as tmp, \
            open(tmp, "wb") as fh:
        for chunk in [data] if isinstance(data, bytes | bytearray) else data:
            fh.write(chunk)
