"""Problems and errors with stable codes.

Every problem the engine reports carries a stable code, a JSON path into the
``.mgraph`` file, and where known the node id and field. Validation collects
problems; only :class:`MoksError` (and subclasses) ever escape the loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Stable problem codes. Never renumber; add new ones at the end.
CODES: dict[str, str] = {
    "MG101": "unknown-node-type",
    "MG102": "missing-input",
    "MG103": "type-mismatch",
    "MG104": "cycle",
    "MG105": "param-out-of-range",
    "MG106": "param-not-in-enum",
    "MG107": "param-invalid",
    "MG108": "dangling-edge",
    "MG109": "duplicate-id",
    "MG110": "schema",
    "MG111": "invalid-json",
    "MG112": "file-unreadable",
    "MG113": "unsupported-version",
    "MG114": "input-connected-twice",
    "MG115": "unknown-param",
    "MG116": "node-check-failed",
    "MG117": "bypass-impossible",
    "MG120": "compute-failed",
    "MG121": "non-finite-output",
    "MG130": "plugin-import-failed",
    "MG131": "bad-frame-range",
    "MG132": "plugin-changed",
    "MG140": "host-unavailable",
    "MG141": "output-unwritable",
}


#: Longest problem message kept [characters]; longer ones keep their head and tail. Text
#: from a file (a 4 MB port name) must not make reporting slow or flood the terminal.
MAX_MESSAGE_CHARS = 2000
#: Longest JSON path, node id or field name kept in a problem [characters].
MAX_NAME_CHARS = 300


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` if it fits in ``limit`` characters, else its head and tail around a marker
    saying how much was cut."""
    if len(text) <= limit:
        return text
    head = max(1, limit * 2 // 3)
    tail = max(1, limit - head - 40)
    return f"{text[:head]}...[{len(text) - head - tail} characters cut]...{text[-tail:]}"


#: Characters a terminal acts on or that reorder or break a line: C0/C1 controls but tab and
#: newline (ESC starts colour, cursor and title sequences), line/paragraph separators and the
#: bidirectional overrides.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                        "\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` for a terminal: each character in :data:`_INVISIBLE` written as its Python
    escape (``\\x1b``, ``\\u202e``), so a name from a file cannot move the cursor, recolour,
    retitle or hide lines of a command's report."""
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


#: The ``path`` of a problem that is not about a place in a ``.mgraph`` (an output file that
#: cannot be written, a missing host module, an unreadable file): printed without ``at ...``.
NO_PATH = ""


@dataclass(frozen=True)
class Problem:
    """One problem: a stable code, a JSON path, a message; node/field when known.

    ``path`` is a JSON path into the graph file (``$`` is its root), or :data:`NO_PATH`
    when no graph is involved; only a real JSON path is printed (``at $.nodes.x``).
    """

    code: str
    message: str
    path: str = "$"
    node: str | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        if len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", shorten(self.message))
        for attr in ("path", "node", "field"):
            value = getattr(self, attr)
            if isinstance(value, str) and len(value) > MAX_NAME_CHARS:
                object.__setattr__(self, attr, shorten(value, MAX_NAME_CHARS))

    @property
    def name(self) -> str:
        return CODES.get(self.code, "unknown")

    @property
    def where(self) -> str:
        """``" at <JSON path>"``; for a problem without one (:data:`NO_PATH`) ``", field
        <field>"`` when the field (e.g. a command option) is known, else ``""``."""
        if self.path:
            return f" at {self.path}"
        return f", field {self.field}" if self.field else ""

    def __str__(self) -> str:
        return f"{self.code} {self.name}{self.where}: {self.message}"

    def to_json(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "name": self.name,
            "path": self.path,
            "node": self.node,
            "field": self.field,
            "message": self.message,
        }


class MoksError(Exception):
    """The one error type the engine raises for bad input. Carries problems and a source."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem, source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.source = source
        super().__init__(self.describe())

    @property
    def code(self) -> str:
        return self.problems[0].code if self.problems else "MG110"

    def describe(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return "\n".join(f"{where}{p}" for p in self.problems) or f"{where}error"


class GraphFileError(MoksError):
    """A file that cannot be read as a graph at all (unreadable, not JSON, wrong schema)."""

    exit_code = 2


class GraphEditError(MoksError):
    """An edit refused because it would make the graph invalid."""


class EvaluationError(MoksError):
    """A requested output could not be evaluated."""


class HostError(MoksError):
    """A host is unavailable or its output cannot be written."""

    exit_code = 2


def problem_path(*parts: str | int) -> str:
    """``problem_path("nodes", "dolly", "params", "speed")`` -> ``$.nodes.dolly.params.speed``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
