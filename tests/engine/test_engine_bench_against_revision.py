"""bench/against_revision.py answers --help and refuses a bad revision cleanly (issue 15).

No timing here: the bench's figures live in docs/benchmarks.md.
"""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "against_revision.py"


def _run(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), "HOME": str(tmp)}
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_help_names_the_baseline(tmp_path):
    done = _run("--help", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--baseline" in done.stdout and "96bf6ee" in done.stdout


def test_bad_revision_is_a_clear_error_and_leaves_no_temporary_tree(tmp_path):
    done = _run("--baseline", "no-such-revision-xyz", tmp=tmp_path)
    assert done.returncode != 0
    assert "'no-such-revision-xyz' is not a commit" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # its temporary folder was removed
