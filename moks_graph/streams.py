"""Keeping a command's machine-readable stdout clean of what plugins and workers print."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stdout_to_stderr(active: bool = True) -> Iterator[None]:
    """Send what runs inside to stderr: Python prints, C code and child processes started
    inside (Dask workers) alike, so stdout carries only the command's machine-readable
    output, written after. ``active=False``: a no-op."""
    if not active:
        yield
        return
    with contextlib.suppress(Exception):  # sys.stdout may be None or closed in a DCC
        sys.stdout.flush()
    try:
        saved: int | None = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no file descriptor 1: Python's redirect alone
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            with contextlib.suppress(Exception):
                sys.__stdout__.flush()  # type: ignore[union-attr]
            os.dup2(saved, 1)
            os.close(saved)
