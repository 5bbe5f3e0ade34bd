"""Listings that lose nothing when piped: rich tables on a terminal, plain lines otherwise.

Entry points: :class:`Listing`, :class:`MoksConsole`.

Details (moved from this docstring, issue 15): docs/cli.md#moks_graphlistingpy
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleDimensions, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from moks_graph.errors import visible

#: Width used off a terminal: wide enough that no record is ever wrapped or cropped.
UNLIMITED_WIDTH = 1 << 20


class MoksConsole(Console):
    """A :class:`~rich.console.Console` without a width limit when not on a terminal."""

    @property
    def size(self) -> ConsoleDimensions:
        dims = super().size
        if self.is_terminal:
            return dims
        return ConsoleDimensions(UNLIMITED_WIDTH, dims.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


def plain_cell(value: Any) -> str:
    """A cell as one line of plain text (markup removed, tabs and newlines as spaces)."""
    if isinstance(value, Text):
        text = value.plain
    elif isinstance(value, str):
        try:
            text = Text.from_markup(value).plain
        except Exception:  # not markup after all: show it as written
            text = value
    else:
        text = str(value)
    return " ".join(text.replace("\t", " ").splitlines()) if text else ""


class Listing(Table):
    """A table that prints plain, untruncated, tab-separated lines when not on a terminal."""

    def add_column(self, header: Any = "", *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")  # a narrow terminal folds, never "moks.rig…"
        super().add_column(header, *args, **kwargs)

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        """A row; text cells shown with :func:`~moks_graph.errors.visible` (a node id or
        path from a file holding ESC cannot drive the terminal)."""
        super().add_row(*(visible(r) if isinstance(r, str) else r for r in renderables),
                        **kwargs)

    @property
    def headers(self) -> list[str]:
        return [plain_cell(c.header) for c in self.columns]

    def rows_plain(self) -> list[list[str]]:
        """Every row as a list of plain cells."""
        cells = [[plain_cell(v) for v in c.cells] for c in self.columns]
        return [list(row) for row in zip(*cells, strict=True)] if cells else []

    def records(self) -> list[dict[str, str]]:
        """Every row as ``{column header: plain cell}``."""
        heads = self.headers
        return [dict(zip(heads, row, strict=True)) for row in self.rows_plain()]

    def to_json(self) -> dict[str, Any]:
        """Title, caption and records, for ``--json``."""
        return {"title": plain_cell(self.title) if self.title is not None else None,
                "caption": plain_cell(self.caption) if self.caption is not None else None,
                "columns": self.headers, "rows": self.records()}

    def plain_lines(self) -> list[str]:
        lines = []
        if self.title is not None:
            lines.append(f"# {plain_cell(self.title)}")
        if self.show_header:
            lines.append("\t".join(self.headers))
        lines.extend("\t".join(row) for row in self.rows_plain())
        if self.caption is not None:
            lines.append(f"# {plain_cell(self.caption)}")
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if console.is_terminal:
            yield from super().__rich_console__(console, options)
            return
        for line in self.plain_lines():
            yield Segment(line)
            yield Segment.line()

