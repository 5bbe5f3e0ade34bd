"""Security of the host writers beyond MEL (issue 20): text from data never becomes USDA, and a
full disk or a file size limit while writing is one message naming the file, never a
``pxr.Tf.ErrorException`` wall of C++ locations, and leaves nothing at the target.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from moks_graph import mgraph
from moks_graph.channels import Channels
from moks_graph.cli import main
from moks_graph.hosts.maya import ma_writer
from moks_graph.hosts.nuke import chan
from moks_graph.hosts.usd.writer import pxr_reason, write_usd
from moks_graph.timebase import time_array

DEMO = Path(mgraph.__file__).parent / "data" / "demo.mgraph"
PAYLOAD = 'x"""\n)\ndef Xform "EVIL" {}\n#'


def _scene(obj: str = "lamp") -> Channels:
    t = time_array(1, 3, 24.0, 1)
    n = len(t)
    values = {f"{obj}.{a}": np.linspace(0.0, 1.0, n) for a in ("tx", "ty", "tz", "rx", "ry", "rz")}
    values[f"{obj}.intensity"] = np.full(n, 100.0)
    return Channels(t, values, {obj: "light.point"})


@pytest.mark.parametrize("obj", ['a"b', "a\nb", 'a\n def Xform "EVIL" {}', "a b", "a/b",
                                 "a{b}", "a\x00b", "a\u2028b"])
def test_hostile_object_names_are_refused_before_a_host_sees_them(obj):
    """Object names reach USD prim paths and customData; Channels admits identifiers only."""
    with pytest.raises(ValueError, match=r"is not '<object>\.<attribute>'"):
        _scene(obj)


def test_usda_text_is_authored_by_pxr_and_adds_no_prim(tmp_path):
    """A hostile output file name (quotes, newline, a prim definition) is never written into
    the .usda text; the file holds exactly the prims of the channels."""
    from pxr import Usd

    path = Path(write_usd(_scene(), tmp_path / f"{PAYLOAD.replace('/', '_')}.usda"))
    text = path.read_text()
    assert "EVIL" not in text and PAYLOAD not in text
    stage = Usd.Stage.Open(str(path))
    names = sorted(str(p.GetPath()) for p in stage.Traverse())
    assert names == ["/World", "/World/lamp"]
    assert stage.GetPrimAtPath("/World/lamp").GetCustomDataByKey("moks:object") == "lamp"


def _limited(limit: int) -> Any:
    def pre() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_pxr_write_error_is_one_message_naming_the_file(tmp_path):
    """USD's C++ writer fails mid-file (the disk is 'full' at 4 KB): one line with the target
    and the reason, exit non-zero, nothing at the target, no temp file left."""
    moks = Path(sys.executable).with_name("moks")
    command = [str(moks)] if moks.exists() else [sys.executable, "-m", "moks_graph.cli"]
    out = tmp_path / "shot.usda"
    r = subprocess.run([*command, "bake", str(DEMO), "--host", "usd", "--out", str(out)],
                       capture_output=True, text=True, timeout=60, preexec_fn=_limited(4096),
                       env={**os.environ, "COLUMNS": "300"})
    text = " ".join((r.stdout + r.stderr).split())
    assert r.returncode not in (0, None), text
    assert "USD could not write" in text and "shot.usda" in text and "File too large" in text
    assert "Error in" not in text and "pxrInternal" not in text and "Traceback" not in text
    assert "Tf.ErrorException" not in text
    assert sorted(os.listdir(tmp_path)) == []


def test_pxr_reason_keeps_the_root_cause():
    raw = ("\n\tError in 'pxrInternal_v0_26::ArFilesystemWritableAsset::Write' at line 78 in "
           "file /opt/USD/ar/filesystemWritableAsset.cpp : 'Error occurred writing file: No "
           "space left on device'\n\tError in 'pxrInternal::Sdf_TextOutput::_FlushBuffer' at "
           "line 204 in file /opt/USD/sdf/fileIO.h : 'Failed to write bytes'")
    assert pxr_reason(RuntimeError(raw)) == "Error occurred writing file: No space left on device"
    assert pxr_reason(RuntimeError("plain\nsecond")) == "plain"
    assert len(pxr_reason(RuntimeError("x" * 10_000))) == 300


class _FullDisk:
    """A text file whose writes fail as a full disk's do."""

    def __init__(self, path: Any, *args: Any, **kwargs: Any) -> None:
        self.fh = open(path, *args, **kwargs)  # noqa: SIM115 - closed in __exit__

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def write(self, text: str) -> int:
        self.fh.write(text[:100])
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(("host", "module", "suffix"),
                         [("maya", ma_writer, ".ma"), ("chan", chan, ".chan")])
def test_a_full_disk_in_bake_is_one_message_and_no_file(tmp_path, monkeypatch, host, module,
                                                         suffix):
    monkeypatch.setattr(module, "open", _FullDisk, raising=False)
    out = tmp_path / f"shot{suffix}"
    r = CliRunner().invoke(main, ["bake", str(DEMO), "--host", host, "--out", str(out)])
    text = " ".join(r.output.split())
    assert r.exit_code not in (0, None), text
    assert "No space left on device" in text and "shot" in text
    assert "Traceback" not in text and isinstance(r.exception, SystemExit)
    assert sorted(os.listdir(tmp_path)) == []
