"""Security of ``moks match`` (issue 20): outputs stay inside ``--out`` whatever the image is
called, the four files of a match are written as a set or not at all (a full disk leaves
nothing half-written), a grey ramp is an ordinary still (no ``LinAlgError``), and an API key
echoed by a hostile inspector server never reaches ``match.json``, warnings or the log.
Every image is generated here; the inspector server listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner

from moks_graph.hosts.farm.match import unique_stems
from moks_graph.hosts.inverse.cli import match as match_cli
from moks_graph.hosts.inverse.inspectors_remote import make_inspector
from moks_graph.hosts.inverse.match import MatchOutcome, match, stem_of, write_outcome

FAST = ["--iterations", "0", "--rounds", "0", "--no-progress"]
KEY = "sk-SECRET-match-0123456789abcdef"


def ramp(path: Path, vertical: bool = False, channels: int = 3) -> Path:
    """A grey ramp still (160 x 90): no subject, no colour, a rank-deficient shading fit."""
    line = np.linspace(0, 255, 90 if vertical else 160).astype(np.uint8)
    grey = np.tile(line[:, None], (1, 160)) if vertical else np.tile(line, (90, 1))
    iio.imwrite(path, grey if channels == 1 else np.stack([grey] * channels, axis=-1))
    return path


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> MatchOutcome:
    folder = tmp_path_factory.mktemp("ramp")
    return match(ramp(folder / "ramp.png"), max_iterations=0, rounds=0)


# --- paths ------------------------------------------------------------------------------

@pytest.mark.parametrize("image", ["...png", "..png", ". .png", "....png", ".hidden.png",
                                   "a/../...png", "../..png"])
def test_a_stem_never_names_a_folder_outside_out(image):
    name = stem_of(image)
    assert name not in ("", ".", "..") and not name.startswith(".")
    assert "/" not in name and "\\" not in name
    for stem in unique_stems([image, image]):
        assert stem not in ("", ".", "..") and not stem.startswith(".") and "/" not in stem


def test_unique_stems_never_collide_after_cleaning():
    """``...png`` and ``image.png`` (or ``.a.png`` and ``a.png``) get two folders, not one."""
    for images in (["...png", "image.png"], [".a.png", "a.png"], ["x/..png", "y/.png"]):
        stems = unique_stems(images)
        assert len({stem_of(s) for s in stems}) == len(images), stems


def test_cli_image_named_dotdot_stays_inside_out(tmp_path):
    """The issue's ``...png``: its stem ``..`` put match.json & co. into the parent of --out."""
    images = tmp_path / "refs"
    images.mkdir()
    dotdot = ramp(images / "...png")
    plain = ramp(images / "image.png", vertical=True)
    out = tmp_path / "out" / "sub"
    r = CliRunner().invoke(match_cli, [str(dotdot), str(plain), "--out", str(out), *FAST])
    assert r.exit_code in (0, 1), r.output
    assert tree(tmp_path / "out") == sorted(["sub", *(f"sub/{f}" for f in tree(out))])
    folders = sorted(p.name for p in out.iterdir())
    assert len(folders) == 2 and all(not f.startswith(".") for f in folders), folders
    for folder in folders:
        assert (out / folder / "match.json").is_file() and (out / folder / "preview.png").is_file()
    assert json.loads((out / folders[0] / "match.json").read_text())["image"] != \
        json.loads((out / folders[1] / "match.json").read_text())["image"]


# --- all or nothing ----------------------------------------------------------------------

def full_disk_on(monkeypatch, name: str) -> None:
    """Writing a file called ``name`` fails as a full disk does (ENOSPC)."""
    real_bytes, real_text = Path.write_bytes, Path.write_text

    def check(path: Path) -> None:
        if path.name == name:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

    def write_bytes(self: Path, data: Any) -> int:
        check(self)
        return real_bytes(self, data)

    def write_text(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        check(self)
        return real_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    monkeypatch.setattr(Path, "write_text", write_text)


@pytest.mark.parametrize("fails", ["preview.png", "compare.png", "match.json"])
def test_a_full_disk_writes_no_partial_set(outcome, tmp_path, monkeypatch, fails):
    out = tmp_path / "out"
    first = write_outcome(outcome, out)
    before = {f: (first / f).read_bytes() for f in tree(first)}
    assert set(before) == {"match.json", "scene.mgraph", "preview.png", "compare.png"}
    full_disk_on(monkeypatch, fails)
    with pytest.raises(OSError) as err:
        write_outcome(outcome, out)
    assert err.value.errno == errno.ENOSPC
    assert tree(out) == sorted(["ramp", *(f"ramp/{f}" for f in before)])  # no temp folder left
    assert {f: (first / f).read_bytes() for f in tree(first)} == before  # the old set intact
    with pytest.raises(OSError):
        write_outcome(outcome, tmp_path / "fresh")
    assert tree(tmp_path / "fresh") == []  # nothing at all, not scene.mgraph without match.json


def test_cli_full_disk_is_one_failed_image_and_no_folder(tmp_path, monkeypatch):
    image = ramp(tmp_path / "still.png")
    full_disk_on(monkeypatch, "preview.png")
    out = tmp_path / "out"
    r = CliRunner().invoke(match_cli, [str(image), "--out", str(out), *FAST])
    assert r.exit_code == 1, r.output
    assert "No space left on device" in r.output and "failed" in r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert not out.exists() or tree(out) == []


# --- numerics ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["horizontal", "vertical", "mono", "flat"])
def test_a_grey_ramp_is_an_ordinary_still(tmp_path, kind):
    """The issue's grey ramp gave 'LinAlgError: Singular matrix'; it now matches or fails as
    data (status and reasons in match.json), with a shading fit and one critique round."""
    path = tmp_path / f"{kind}.png"
    if kind == "flat":
        iio.imwrite(path, np.full((90, 160, 3), 128, np.uint8))
    else:
        ramp(path, vertical=kind == "vertical", channels=1 if kind == "mono" else 3)
    out = tmp_path / "out"
    r = CliRunner().invoke(match_cli, [str(path), "--out", str(out), "--iterations", "1",
                                       "--rounds", "1", "--no-progress"])
    assert r.exit_code in (0, 1), r.output
    assert "LinAlgError" not in r.output and "Singular" not in r.output
    assert "Traceback" not in r.output
    data = json.loads((out / kind / "match.json").read_text())
    assert data["status"] in ("matched", "approximate", "failed")
    assert "LinAlgError" not in json.dumps(data)


# --- remote inspector key ----------------------------------------------------------------

class EchoServer:
    """A loopback 'vision model' that echoes the API key everywhere it can."""

    def __init__(self, status: int = 200) -> None:
        def reply(path: str) -> tuple[int, bytes]:
            if status != 200:
                return status, json.dumps({"error": {
                    "type": "invalid_request_error", "code": status, "status": "BAD",
                    "message": f"key {KEY} refused (Authorization: Bearer {KEY})"}}).encode()
            text = json.dumps({"items": [
                {"slot": "key", "field": "azimuth_deg", "value": 40.0,
                 "reason": f"key={KEY}", "confidence": 0.9},
                {"slot": "fill_rim", "field": "rim", "value": KEY, "reason": KEY}],
                "summary": f"your key {KEY}"})
            doc: dict[str, Any] = {
                "id": "c1", "object": "chat.completion", "created": 0, "model": "stub",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}]}
            return 200, json.dumps(doc).encode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                code, body = reply(self.path)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=[200, 401])
def echo(request) -> Iterator[EchoServer]:
    s = EchoServer(request.param)
    yield s
    s.close()


def test_an_echoed_key_never_reaches_match_json(tmp_path, echo, caplog):
    insp = make_inspector("openai", api_key=KEY, base_url=echo.url, timeout_s=5.0,
                          max_retries=0, backoff_s=0.0, sleep=lambda s: None)
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = match(ramp(tmp_path / "still.png", vertical=True), inspector=insp,
                    max_iterations=0, rounds=1, alternatives=2)
        folder = write_outcome(out, tmp_path / "out")
    stored = "".join((folder / f).read_text(errors="replace") for f in tree(folder)
                     if f.endswith((".json", ".mgraph")))
    assert KEY not in stored
    assert json.loads((folder / "match.json").read_text())["inspector"] == insp.name
    assert KEY not in " ".join(str(w.message) for w in caught)
    assert KEY not in caplog.text
    assert KEY not in repr(insp.last_error) + " ".join(map(str, insp.last_notes))
