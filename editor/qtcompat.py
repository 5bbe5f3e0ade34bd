"""The one place the editor imports Qt: PySide6, NodeGraphQt's binding choice, a binding guard.

Entry points: :func:`ensure_app`, :func:`guard_singleton_refcounts`.

Details (moved from this docstring, issue 15): docs/editor.md#editorqtcompatpy
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

os.environ.setdefault("QT_PREFERRED_BINDING", "PySide6")

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["GUARDED", "QtCore", "QtGui", "QtWidgets", "bool_refcount_leaks", "ensure_app",
           "guard_singleton_refcounts", "none_refcount_leaks"]

#: References added to a leaking singleton (3.12's immortal objects use a similar value).
IMMORTAL_REFS = 1 << 48


def _leaks(obj: object, call: Callable[[], object], calls: int = 64) -> bool:
    before = sys.getrefcount(obj)
    for _ in range(calls):
        call()
    return before - sys.getrefcount(obj) >= calls // 2


def none_refcount_leaks(calls: int = 64) -> bool:
    """True when calling a ``void`` PySide6 method loses references to ``None``."""
    probe = QtCore.QObject()
    return _leaks(None, lambda: probe.setObjectName("moks-probe"), calls)


def bool_refcount_leaks(calls: int = 64) -> bool:
    """True when ``Signal.emit`` loses references to ``True``/``False``."""
    probe = QtCore.QObject()
    return (_leaks(True, lambda: probe.objectNameChanged.emit("p"), calls)
            or _leaks(False, lambda: probe.objectNameChanged.emit("p"), calls))


def _immortalize(obj: object) -> None:
    if sys.getrefcount(obj) < IMMORTAL_REFS // 2:
        ctypes.c_ssize_t.from_address(id(obj)).value += IMMORTAL_REFS


def guard_singleton_refcounts() -> tuple[object, ...]:
    """Pin the singletons this PySide6 leaks (``None``, ``True``, ``False``); returns them."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return ()
    guarded: list[object] = []
    if sys.getrefcount(None) > IMMORTAL_REFS // 2 or none_refcount_leaks():
        guarded.append(None)
    if sys.getrefcount(True) > IMMORTAL_REFS // 2 or bool_refcount_leaks():
        guarded += [True, False]
    for obj in guarded:
        _immortalize(obj)
    return tuple(guarded)


GUARDED = guard_singleton_refcounts()
NONE_GUARDED = None in GUARDED


def ensure_app(argv: list[str] | None = None) -> QtWidgets.QApplication:
    """The running QApplication, or a new one (headless: ``QT_QPA_PLATFORM=offscreen``)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(argv if argv is not None else [sys.argv[0]])
    assert isinstance(app, QtWidgets.QApplication)
    return app
