"""Security: remote inspectors against a hostile loopback server (issue 20), per vendor.

No redirect is followed (an API key never reaches another origin), the key is
scrubbed from warnings, ``last_error`` and the returned critiques, a request
has one overall deadline (a dripping server is cut off), and a reply body is
capped on the wire and after inflating gzip.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from moks_graph.hosts.inverse.inspectors_remote import (
    MAX_DECODED_BYTES,
    MAX_REPLY_BYTES,
    REDACTED,
    InspectorTransportError,
    InspectorWarning,
    make_inspector,
)
from moks_graph.nodes.scenescript.schema import SceneScript

KEY = "sk-SECRET-0123456789abcdef"
VENDORS = ("anthropic", "openai", "gemini")
BASES = {"anthropic": "http://127.0.0.1:{port}", "openai": "http://127.0.0.1:{port}/v1",
         "gemini": "http://127.0.0.1:{port}"}

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A loopback HTTP server running ``behaviour(handler)`` for each POST; records requests."""

    def __init__(self) -> None:
        self.behaviour: Behaviour | None = None
        self.requests: list[dict[str, Any]] = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                state.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "body": body})
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    (state.behaviour or reply_json(wrap(self.path, GOOD)))(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def other() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


GOOD = json.dumps({"items": [{"slot": "key", "field": "azimuth_deg", "value": 60.0,
                              "reason": "key further right", "confidence": 0.8}],
                   "summary": "swing the key right"})


def wrap(path: str, text: str) -> dict[str, Any]:
    """A vendor's reply envelope around the model's text."""
    if path.endswith("/v1/messages"):
        return {"id": "msg_1", "type": "message", "role": "assistant", "model": "stub",
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}
    if path.endswith("/chat/completions"):
        return {"id": "c1", "object": "chat.completion", "created": 0, "model": "stub",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}]}
    return {"candidates": [{"index": 0, "finishReason": "STOP",
                            "content": {"role": "model", "parts": [{"text": text}]}}]}


def reply_json(doc: Any, status: int = 200, headers: dict[str, str] | None = None,
               body: bytes | None = None) -> Behaviour:
    def run(h: BaseHTTPRequestHandler) -> None:
        payload = body if body is not None else json.dumps(doc).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)
    return run


def inspector(name: str, server: Server, **kw: Any) -> Any:
    opts: dict[str, Any] = {"api_key": KEY, "base_url": BASES[name].format(port=server.port),
                            "timeout_s": 5.0, "max_retries": 2, "backoff_s": 0.01,
                            "sleep": lambda s: None}
    opts.update(kw)
    return make_inspector(name, **opts)


def critique(insp: Any) -> tuple[Any, list[str]]:
    ramp = np.linspace(0.0, 1.0, 32, dtype=np.float32)
    ref = np.ascontiguousarray(np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None],
                                                            0.2), axis=-1).astype(np.float32))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = insp.critique(ref, np.full((32, 32, 3), 0.18, np.float32), {"contrast": 2.0},
                            SceneScript())
    return out, [str(w.message) for w in caught if issubclass(w.category, InspectorWarning)]


def no_key(*texts: object) -> None:
    for t in texts:
        assert KEY not in str(t), t


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("name", VENDORS)
def test_redirects_are_not_followed(name, status, server, other):
    target = f"http://127.0.0.1:{other.port}/steal"
    server.behaviour = reply_json({}, status, {"Location": target})
    out, warned = critique(inspector(name, server))
    assert other.requests == []  # the key never went to the other origin
    assert len(server.requests) == 1  # a refused redirect is not retried
    assert out.items == [] and warned
    insp = inspector(name, server, strict=True)
    with pytest.raises(InspectorTransportError, match=r"redirect .* refused"):
        critique(insp)
    assert f"127.0.0.1:{other.port}" in str(insp.last_error)


@pytest.mark.parametrize("name", VENDORS)
def test_same_origin_redirect_is_refused_too(name, server):
    server.behaviour = reply_json({}, 307, {"Location": "/elsewhere"})
    insp = inspector(name, server)
    critique(insp)
    assert len(server.requests) == 1 and "redirect" in str(insp.last_error)


@pytest.mark.parametrize("name", VENDORS)
def test_an_echoed_key_is_scrubbed_from_errors_and_warnings(name, server):
    echo = {"error": {"type": "invalid_request_error", "code": 400, "status": "INVALID",
                      "message": f"bad key {KEY} (x-api-key: {KEY})"}}
    server.behaviour = reply_json(echo, 400)
    insp = inspector(name, server)
    _, warned = critique(insp)
    assert warned and insp.last_error is not None
    no_key(insp.last_error, repr(insp.last_error), *warned)
    assert insp.last_error.__cause__ is None and insp.last_error.__context__ is None
    assert REDACTED in str(insp.last_error)
    with pytest.raises(InspectorTransportError) as err:
        critique(inspector(name, server, strict=True))
    no_key(err.value, err.value.__cause__, err.value.__context__)


@pytest.mark.parametrize("name", VENDORS)
def test_an_echoed_key_is_scrubbed_from_the_critiques(name, server):
    text = json.dumps({"items": [
        {"slot": "key", "field": "azimuth_deg", "value": 60.0, "reason": f"your key is {KEY}",
         "confidence": 0.5},
        {"slot": "fill_rim", "field": "rim", "value": KEY, "reason": "x"}],
        "summary": f"key={KEY}"})
    server.behaviour = lambda h: reply_json(wrap(h.path, text))(h)
    insp = inspector(name, server)
    out, warned = critique(insp)
    assert len(out.items) == 1
    no_key(out.model_dump_json(), *warned, *insp.last_notes)
    assert out.summary == f"key={REDACTED}"


def drip(interval: float, total: int = 200) -> Behaviour:
    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        for _ in range(total):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(interval)
    return run


def drip_headers(h: BaseHTTPRequestHandler) -> None:
    for ch in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
        h.wfile.write(bytes([ch]))
        h.wfile.flush()
        time.sleep(0.05)


@pytest.mark.parametrize("behaviour", [drip(0.05), drip_headers], ids=["body", "headers"])
@pytest.mark.parametrize("name", VENDORS)
def test_one_deadline_per_request_not_per_read(name, server, behaviour):
    server.behaviour = behaviour
    insp = inspector(name, server, timeout_s=1.0, max_retries=0)
    t0 = time.monotonic()
    out, warned = critique(insp)
    took = time.monotonic() - t0
    assert out.items == [] and warned
    assert took < 4.0, took  # dripping for 10 s; each byte well inside a per-read timeout


def gzip_bomb(size: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"{" * (1 << 20)
    parts = [c.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + c.flush()


@pytest.mark.parametrize("name", VENDORS)
def test_a_gzip_bomb_is_not_inflated(name, server):
    bomb = gzip_bomb(64 * MAX_DECODED_BYTES)  # ~256 MB inflated, ~250 KB on the wire
    assert len(bomb) < MAX_REPLY_BYTES
    server.behaviour = reply_json(None, body=bomb, headers={"Content-Encoding": "gzip"})
    insp = inspector(name, server)
    out, _ = critique(insp)
    assert out.items == [] and "inflates past" in str(insp.last_error)
    assert len(server.requests) == 1  # refused, not retried


@pytest.mark.parametrize("name", VENDORS)
def test_oversized_and_unknown_encodings_are_refused(name, server):
    server.behaviour = reply_json(None, body=b" " * (MAX_REPLY_BYTES + 10))
    insp = inspector(name, server)
    critique(insp)
    assert f"over {MAX_REPLY_BYTES} bytes" in str(insp.last_error)
    server.behaviour = reply_json(None, body=b"\x00" * 100, headers={"Content-Encoding": "br"})
    critique(insp)
    assert "'br' is not accepted" in str(insp.last_error)


@pytest.mark.parametrize("name", VENDORS)
def test_an_honest_gzip_reply_still_works(name, server):
    server.behaviour = lambda h: reply_json(
        None, body=gzip.compress(json.dumps(wrap(h.path, GOOD)).encode()),
        headers={"Content-Encoding": "gzip"})(h)
    insp = inspector(name, server)
    out, warned = critique(insp)
    assert [(c.slot, c.field, c.value) for c in out.items] == [("key", "azimuth_deg", 60.0)]
    assert not warned and insp.last_error is None
    sent = server.requests[0]["headers"]
    assert KEY in json.dumps(sent)  # the key does go to the configured base URL
