"""The Math-Over-Matter validator: every violation reported, with stable codes and JSON paths."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moks_graph.shareable import (
    BINARY_ASSET_EXTENSIONS,
    CODES,
    Violation,
    check_artifact,
    check_file,
)


def codes(obj: object) -> list[str]:
    return [v.code for v in check_artifact(obj)]


def test_codes_are_stable() -> None:
    assert CODES == {
        "MOM001": "binary-asset",
        "MOM002": "absolute-path",
        "MOM003": "data-uri",
        "MOM004": "inline-base64",
        "MOM005": "not-json",
        "MOM006": "inline-binary",
    }
    v = Violation("MOM001", "$.a", "msg")
    assert v.name == "binary-asset"
    assert str(v) == "MOM001 binary-asset at $.a: msg"
    expected = {"code": "MOM001", "name": "binary-asset", "path": "$.a", "message": "msg"}
    assert v.to_json() == expected


@pytest.mark.parametrize(
    "text",
    [
        "studio.hdr", "STUDIO.HDR", "plate.####.exr", "plate.%04d.EXR", "hero.obj", "rig.fbx",
        "set.blend", "ref.png", "ref.JPG", "ref.jpeg", "tex.tif", "tex.tiff", "sim.abc",
        "shot.usd", "shot.usda", "shot.usdc", "shot.usdz", "smoke.vdb", "take.mp4", "take.mov",
        "dialogue.wav", "weights.bin", "use sky.hdr.", "a.bgeo.sc", "textures/sky_4k.hdr",
        "format=.exr", "(see ref.png)",
    ],
)  # fmt: skip
def test_binary_asset_extensions_are_flagged(text: str) -> None:
    found = check_artifact({"params": {"hdri": text}})
    assert [v.code for v in found] == ["MOM001"]
    assert found[0].path == "$.params.hdri"


@pytest.mark.parametrize(
    "text",
    [
        "/home/me/sky.txt", "/mnt/show/seq", "see /opt/x", "path=/var/tmp", "(/usr/share)",
        "~/presets/warm", "~alice/presets", "C:\\presets\\warm", "c:/presets/warm",
        "D:\\", "\\\\server\\share\\look", "file:///srv/look", "FILE://host/share/look",
        "/World/Camera",
    ],
)  # fmt: skip
def test_absolute_paths_are_flagged(text: str) -> None:
    assert codes([text]) == ["MOM002"]


def test_data_uris_are_flagged_once() -> None:
    payload = base64.b64encode(bytes(range(256)) * 2).decode()
    for text in (f"data:image/png;base64,{payload}", "data:,hello", "DATA:text/plain,x"):
        assert codes({"icon": text}) == ["MOM003"], text


def test_inline_base64_is_flagged() -> None:
    blob = hashlib.sha512(b"moks").digest() + hashlib.sha512(b"graph").digest()
    standard = base64.b64encode(blob).decode()
    urlsafe = base64.urlsafe_b64encode(blob).decode().rstrip("=")
    assert codes({"lut": standard}) == ["MOM004"]
    assert codes({"lut": urlsafe}) == ["MOM004"]
    wrapped = "\n".join(standard[i : i + 40] for i in range(0, len(standard), 40))
    assert codes({"lut": f"payload:\n{wrapped}\n"}) == ["MOM004"]
    # Long, low-entropy payloads are caught by length alone.
    assert codes({"lut": base64.b64encode(bytes(300)).decode()}) == ["MOM004"]
    # Short payloads (< 64 characters) are allowed.
    assert codes({"lut": base64.b64encode(blob[:40]).decode()}) == []


def test_hashes_identifiers_and_relative_paths_are_not_base64() -> None:
    clean = {
        "cache_key": hashlib.sha256(b"x").hexdigest(),
        "digest512": hashlib.sha512(b"x").hexdigest(),
        "ident": "ThisIsAVeryLongCamelCaseIdentifierNameForTheKeyLightIntensityChannel",
        "snake": "this_is_a_very_long_snake_case_identifier_for_the_key_light_intensity",
        "rel": "Shots/Seq010/Sh020/Lighting/Renders/Beauty/Take3/Frames/FinalVersion2",
        "uuids": "123e4567-e89b-12d3-a456-426614174000-123e4567-e89b-12d3-a456-426614174000",
    }
    assert check_artifact(clean) == []


@pytest.mark.parametrize(
    "text",
    [
        "f/2.8", "1/48", "24fps", "23.976", "key.intensity", "camera.tx", "scene.obj.tx",
        "node.port", "moks.rig.dolly", "v1.2.3", "2.8.0-rc1", "python3.11", "and/or",
        "https://example.com/docs/presets", "ratio 4:3", "12:30", "approx ~ 3 stops",
        "e.g. png files", "remove the move", "metadata: none", "1/2 CTO", "T2.1", "50/50",
        "relative/textures/sky", "../shared/look", "./look", "Key: 4:1", "Shutter 180°",
        "", "   ",
    ],
)  # fmt: skip
def test_ordinary_text_is_clean(text: str) -> None:
    assert check_artifact({"note": text, text: 1}) == []


def test_every_violation_is_reported_with_json_paths() -> None:
    artifact = {
        "schema_version": 1,
        "nodes": {
            "key": {"params": {"hdri": "C:/hdri/studio.exr", "ok": 1.5}},
            "my node": {"params": {"list": ["fine", "/abs/path", {"deep": "clip.mov"}]}},
        },
        "/etc/passwd": True,
    }
    found = check_artifact(artifact)
    assert [(v.code, v.path) for v in found] == [
        ("MOM001", "$.nodes.key.params.hdri"),
        ("MOM002", "$.nodes.key.params.hdri"),
        ("MOM002", '$.nodes["my node"].params.list[1]'),
        ("MOM001", '$.nodes["my node"].params.list[2].deep'),
        ("MOM002", '$["/etc/passwd"]'),
    ]
    # Keys are checked in document order, right before their values.
    assert codes({"a.png": "b.png", "c": "/d"}) == ["MOM001", "MOM001", "MOM002"]
    assert "key" in found[-1].message
    # Two assets in one string are two violations.
    assert codes({"a": "left.png right.png"}) == ["MOM001", "MOM001"]


def test_non_json_values() -> None:
    artifact: dict[str, object] = {
        "nan": math.nan,
        "inf": -math.inf,
        "blob": b"\x00\x01",
        "array": np.zeros(3),
        "set": {1, 2},
        "np_ok": [np.float32(1.5), np.int64(3), np.bool_(True)],
        "tuple_ok": (1, "two", None),
    }
    artifact["self"] = artifact
    found = check_artifact(artifact)
    assert [(v.code, v.path) for v in found] == [
        ("MOM005", "$.nan"),
        ("MOM005", "$.inf"),
        ("MOM006", "$.blob"),
        ("MOM006", "$.array"),
        ("MOM005", "$.set"),
        ("MOM005", "$.self"),
    ]


def test_deep_nesting_does_not_recurse() -> None:
    deep: object = "x.hdr"
    for _ in range(5000):
        deep = [deep]
    found = check_artifact(deep)
    assert len(found) == 1 and found[0].path == "$" + "[0]" * 5000


def test_check_file(tmp_path: Path) -> None:
    good = tmp_path / "preset.json"
    good.write_text(json.dumps({"look": {"exposure_ev": 0.5, "note": "f/2.8 at 1/48"}}))
    assert check_file(good) == []
    assert check_file(str(good)) == []
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"hdri": "/mnt/hdri/sky.hdr", "x": ["data:,1"]}))
    assert [(v.code, v.path) for v in check_file(bad)] == [
        ("MOM001", "$.hdri"),
        ("MOM002", "$.hdri"),
        ("MOM003", "$.x[0]"),
    ]
    broken = tmp_path / "broken.mgraph"
    broken.write_text('{"nodes": [1, 2,]}')
    (v,) = check_file(broken)
    assert v.code == "MOM005" and v.path == "$"
    assert "not valid JSON" in v.message and "line 1" in v.message
    nan = tmp_path / "nan.json"
    nan.write_text('{"x": NaN}')
    (v,) = check_file(nan)
    assert v.code == "MOM005" and "NaN" in v.message
    binary = tmp_path / "sky.exr"
    binary.write_bytes(b"\x76\x2f\x31\x01\xff\xfe\x00")
    (v,) = check_file(binary)
    assert v.code == "MOM005" and "UTF-8" in v.message
    with pytest.raises(FileNotFoundError):
        check_file(tmp_path / "missing.json")
    with pytest.raises(TypeError, match="path"):
        check_file(42)  # type: ignore[arg-type]


def test_every_listed_extension_is_detected() -> None:
    for ext in BINARY_ASSET_EXTENSIONS:
        assert codes([f"asset.{ext}", f"ASSET.{ext.upper()}"]) == ["MOM001", "MOM001"], ext


# ----------------------------------------------------------------- property: clean never flags

_WORDS = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x24F
    ),
    min_size=1,
    max_size=20,
)
_TOKENS = st.sampled_from(
    [
        "f/2.8", "1/48", "24fps", "23.976", "node.port", "key.intensity", "v1.2.3", "4:1",
        "and/or", "T2.1", "-0.5", "1e-3", "Z-up", "EV", "°", "(key)", "[fill]", "rim,", "x;",
        "relative/path", "../up", "https://example.com/a", "moks.light.key",
    ]
)  # fmt: skip
_TEXT = st.lists(st.one_of(_WORDS, _TOKENS), max_size=8).map(" ".join)
_KEYS = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True), _TEXT)
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    st.sampled_from([hashlib.sha256(bytes([i])).hexdigest() for i in range(4)]),
)
_ARTIFACTS = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_ARTIFACTS)
def test_clean_artifacts_never_flag(artifact: object) -> None:
    assert check_artifact(artifact) == []
    # ...and stay clean through a JSON round trip.
    assert check_artifact(json.loads(json.dumps(artifact))) == []


@settings(max_examples=100, deadline=None)
@given(_ARTIFACTS, st.sampled_from(["sky.hdr", "/abs/x", "C:\\x", "data:,x"]))
def test_one_injected_violation_is_found_at_its_path(artifact: object, bad: str) -> None:
    wrapped = {"clean": artifact, "inject": {"here": [bad]}}
    found = check_artifact(wrapped)
    assert len(found) == 1 and found[0].path == "$.inject.here[0]"
