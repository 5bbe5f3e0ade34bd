"""Screenshots of the editor for the README: ``python -m moks_graph.editor.screenshots [FILE...]``.

Each file is drawn by ``moks-editor FILE --screenshot OUT.png`` in its own
process (offscreen, no display needed) and written to
``graphs/screenshots/<name>.png``. Without arguments: every ``graphs/*.mgraph``
plus the bundled demo graph. Exits 1 if any screenshot failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def project_root() -> Path:
    """The folder holding ``graphs/``: the current one if it has it, else the checkout."""
    here = Path.cwd()
    if (here / "graphs").is_dir():
        return here
    return Path(__file__).resolve().parents[1]


def default_files(root: Path) -> list[Path]:
    """Every starter scenario in ``graphs/`` plus the bundled demo."""
    import moks_graph

    demo = Path(moks_graph.__file__).parent / "data" / "demo.mgraph"
    files = sorted((root / "graphs").glob("*.mgraph"))
    return [*files, demo] if demo.is_file() else files


def shoot(file: Path, out: Path, size: str = "1600x1000", timeout: float = 300.0) -> bool:
    """Run ``moks-editor FILE --screenshot OUT`` in a fresh process; True on success."""
    cmd = [sys.executable, "-m", "moks_graph.editor.app", str(file), "--screenshot", str(out),
           "--size", size]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        print(f"FAILED {file}: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return False
    print(f"{out}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moks_graph.editor.screenshots",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help=".mgraph files (default: all)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: graphs/screenshots)")
    parser.add_argument("--size", default="1600x1000")
    args = parser.parse_args(argv)
    root = project_root()
    files = args.files or default_files(root)
    out_dir = args.out or root / "graphs" / "screenshots"
    out_dir.mkdir(parents=True, exist_ok=True)
    ok = [shoot(f, out_dir / f"{f.stem}.png", args.size) for f in files]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
