"""Time limits: the one deadline of the engine (node computes, plugin imports and validators).

On the main thread on POSIX a deadline is a ``SIGALRM`` timer, which interrupts Python code
and sleeps but not one long C call; on other threads the stop is raised asynchronously into
the thread and lands at its next Python bytecode.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

from moks_graph.errors import EvaluationError, Problem

try:  # signal.signal less its enum wrapping of the handlers (1 us a call instead of 16)
    from _signal import signal as _set_handler
except ImportError:  # not CPython
    _set_handler = signal.signal

TIME_LIMIT_ENV = "MOKS_NODE_TIME_LIMIT"


class ComputeTimeout(BaseException):
    """Raised into a node's compute when it passes the per-node time limit."""


#: Seconds a plugin node's compute may take when ``MOKS_NODE_TIME_LIMIT`` is unset (a plugin
#: that hangs in compute must not hang a bake or a farm worker); built-in nodes: no limit.
DEFAULT_PLUGIN_TIME_LIMIT = 600.0


def node_time_limit(plugin: bool = False) -> float | None:
    """The per-node compute time limit in seconds from ``MOKS_NODE_TIME_LIMIT`` (``0``,
    ``off``: none); unset: :data:`DEFAULT_PLUGIN_TIME_LIMIT` for a ``plugin`` node, else none."""
    text = os.environ.get(TIME_LIMIT_ENV, "").strip()
    if not text:
        return DEFAULT_PLUGIN_TIME_LIMIT if plugin else None
    if text.lower() in ("off", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise EvaluationError(Problem(
            "MG120", f"{TIME_LIMIT_ENV}={text!r} is not a number of seconds")) from None
    return value if math.isfinite(value) and value > 0 else None


def _expire(signum: int, frame: Any) -> None:
    raise ComputeTimeout


#: POSIX: a deadline on the main thread is a ``SIGALRM`` interval timer
_ITIMER = hasattr(signal, "setitimer")

#: What :func:`disarm` needs to undo one :func:`arm`: on the main thread the previous
#: ``SIGALRM`` handler and the outer timer's delay and interval; on another thread the timer
#: thread and its "done" flag.
Armed = tuple[Any, float, float] | tuple[threading.Timer, threading.Event]


def arm(seconds: float) -> Armed:
    """Start a deadline of ``seconds`` in the running thread; end it with :func:`disarm` (in a
    ``finally``). :func:`deadline` is the two as a context manager; the evaluator calls them
    directly around each node's compute (no generator: a few microseconds less a node)."""
    if _ITIMER and threading.current_thread() is threading.main_thread():
        previous = _set_handler(signal.SIGALRM, _expire)
        old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
        return previous, old_delay, old_interval
    ident = threading.get_ident()
    done = threading.Event()

    def fire() -> None:
        if not done.is_set():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                                       ctypes.py_object(ComputeTimeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer, done


def disarm(armed: Armed) -> None:
    """End the deadline :func:`arm` started: the timer stopped, what was there before back."""
    if len(armed) == 3:
        previous, old_delay, old_interval = armed
        signal.setitimer(signal.ITIMER_REAL, 0)
        _set_handler(signal.SIGALRM, previous)
        if old_delay:  # an outer timer (e.g. a test timeout) keeps running
            signal.setitimer(signal.ITIMER_REAL, old_delay, old_interval)
        return
    timer, done = armed
    done.set()
    timer.cancel()


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`ComputeTimeout` in the running code after ``seconds`` (None: no limit)."""
    if seconds is None:
        yield
        return
    armed = arm(seconds)
    try:
        yield
    finally:
        disarm(armed)
