"""``moks-editor [FILE] [--screenshot OUT.png] [--size 1600x1000] [--select NODE]``.

Without ``--screenshot`` it opens the editor window. With it, it opens FILE,
lays it out, evaluates it (waiting for the worker), renders the whole window
offscreen (``QWidget.grab``) and writes OUT.png atomically (a temporary file
in the same folder, then a rename), and exits 0. It exits 2 with a one-line
message when FILE cannot be read as a graph, the size is malformed, or the
image cannot be written; a graph that opens with problems is still drawn
(its problems are part of the picture) and exits 0.

Headless: with ``--screenshot`` and no display, ``QT_QPA_PLATFORM=offscreen``
is set before Qt starts, so no X server (or Xvfb) is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from moks_graph.atomic import atomic_output

EXIT_OK, EXIT_USAGE = 0, 2


def parse_size(text: str) -> tuple[int, int]:
    """``"1600x1000"`` -> ``(1600, 1000)``; each side in [320, 8192]."""
    parts = text.lower().replace("*", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"size {text!r} must be WIDTHxHEIGHT, e.g. 1600x1000")
    w, h = (int(p) for p in parts)
    if not (320 <= w <= 8192 and 320 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {text!r}: each side must be in 320..8192")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moks-editor", description="The MOKS graph editor.")
    parser.add_argument("file", nargs="?", help="a .mgraph file to open")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="render the window with FILE open to a PNG and exit")
    parser.add_argument("--size", type=parse_size, default=(1600, 1000), metavar="WxH",
                        help="window size (default 1600x1000)")
    parser.add_argument("--select", metavar="NODE",
                        help="node whose properties to show (screenshot default: the node "
                             "with the most parameters)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the evaluation (screenshot)")
    return parser


def _headless() -> None:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            or sys.platform in ("win32", "darwin")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def featured_node(graph: object) -> str | None:
    """The node whose properties a screenshot shows: most parameters, first in DAG order."""
    from moks_graph.graph import Graph

    assert isinstance(graph, Graph)
    best, best_n = None, -1
    for node_id in graph.topological_order() or list(graph.nodes):
        cls = graph.node_class(node_id)
        n = len(cls.Params.model_fields) if cls is not None else -1
        if n > best_n:
            best, best_n = node_id, n
    return best


def save_png_atomic(image: object, out: Path) -> None:
    """Write a QImage/QPixmap as PNG through :func:`moks_graph.atomic.atomic_output`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(out) as tmp:
        if not image.save(str(tmp), "PNG"):  # type: ignore[attr-defined]
            raise OSError(f"cannot encode PNG for {out}")


def screenshot(args: argparse.Namespace) -> int:
    _headless()
    from moks_graph.editor.qtcompat import QtCore, ensure_app
    from moks_graph.editor.theme import apply_app_theme

    app = ensure_app([sys.argv[0]])
    apply_app_theme(app)
    from moks_graph.editor.main_window import MainWindow

    settings = QtCore.QSettings(str(Path(tempfile.gettempdir()) / "moks-editor-shot.ini"),
                                QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    width, height = args.size
    window.resize(width, height)
    window.show()
    app.processEvents()
    editor = window.editor
    if args.file:
        if not Path(args.file).is_file():
            print(f"moks-editor: error: {args.file}: no such file", file=sys.stderr)
            return EXIT_USAGE
        if not window.open_path(args.file):
            problems = editor.problems.problems
            reason = problems[0].message if problems else "not a graph"
            print(f"moks-editor: error: cannot open {args.file}: {reason}", file=sys.stderr)
            return EXIT_USAGE
    editor.follow_selection.setChecked(False)
    select = args.select or featured_node(editor.doc.graph)
    if select is not None:
        if select not in editor.doc.graph.nodes:
            print(f"moks-editor: error: --select {select!r}: no such node", file=sys.stderr)
            return EXIT_USAGE
        editor.canvas.select([select])
    app.processEvents()
    editor.canvas.fit_all()
    editor.evaluate_now()
    if not editor.wait_for_evaluation(int(args.timeout * 1000)):
        print(f"moks-editor: error: evaluation did not finish in {args.timeout:g} s",
              file=sys.stderr)
        return EXIT_USAGE
    app.processEvents()
    editor.canvas.fit_all()
    app.processEvents()
    image = window.grab().toImage()
    if (image.width(), image.height()) != (width, height):
        image = image.scaled(width, height)
    try:
        save_png_atomic(image, Path(args.screenshot))
    except OSError as exc:
        print(f"moks-editor: error: cannot write {args.screenshot}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    failed = [p for p in editor.eval_problems]
    if failed:
        print(f"moks-editor: warning: {failed[0].message}", file=sys.stderr)
    print(f"wrote {args.screenshot} ({width}x{height})")
    window.editor.doc.undo_stack.setClean()
    window.close()
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from moks_graph.editor.qtcompat import ensure_app
    from moks_graph.editor.theme import apply_app_theme

    app = ensure_app([sys.argv[0]])
    app.setApplicationName("MOKS Graph")
    apply_app_theme(app)
    from moks_graph.editor.main_window import MainWindow

    window = MainWindow(args.file)
    window.resize(*args.size)
    window.show()
    return int(app.exec())


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``moks-editor`` (returns the exit status)."""
    args = build_parser().parse_args(argv)
    from moks_graph.extras import MissingExtra, require

    try:
        for module in ("PySide6", "NodeGraphQt"):
            require(module, "editor", "moks-editor")
    except MissingExtra as exc:
        print(f"moks-editor: error: {exc.problems[0].message}", file=sys.stderr)
        return EXIT_USAGE
    if args.screenshot:
        return screenshot(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
