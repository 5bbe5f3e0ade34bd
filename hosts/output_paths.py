"""The check every host writer makes on its output path before anything is written.

The write itself is :func:`moks_graph.atomic.atomic_output` (all or nothing).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


def output_path(path: str | os.PathLike[str], suffixes: tuple[str, ...]) -> Path:
    """Check an output path before anything is written.

    Raises ``TypeError`` (not a path), ``ValueError`` (wrong suffix), and the
    ``OSError`` subclasses ``FileNotFoundError`` / ``NotADirectoryError`` /
    ``IsADirectoryError`` / ``PermissionError`` naming the path.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise ValueError(f"path {str(target)!r} must end in one of {', '.join(suffixes)}")
    parent = target.parent
    if not parent.exists():
        raise FileNotFoundError(errno.ENOENT, f"cannot write {str(target)!r}: folder "
                                f"{str(parent)!r} does not exist", str(parent))
    if not parent.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"cannot write {str(target)!r}: "
                                 f"{str(parent)!r} is not a folder", str(parent))
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"cannot write {str(target)!r}: it is a folder",
                                str(target))
    if not os.access(parent, os.W_OK):
        raise PermissionError(errno.EACCES, f"cannot write {str(target)!r}: folder "
                              f"{str(parent)!r} is not writable", str(parent))
    return target
