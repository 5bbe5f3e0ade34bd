"""match_image / write_match: round trips on built-in renders, determinism, bad input,
outputs, the offline inspector and the lookups."""

from __future__ import annotations

import json
import math
import struct
import zlib
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from pydantic import ValidationError

import moks_graph as mg
from moks_graph.hosts.inverse.match import (
    NO_EXPOSURE,
    forward_model,
    load_reference,
    make_inspector,
    match,
    match_image,
    write_match,
    write_outcome,
)
from moks_graph.nodes.imaging.colorimetry import srgb_encode
from moks_graph.nodes.inverse.critique import OfflineInspector
from moks_graph.nodes.inverse.fuse import fuse, signature, unfilm
from moks_graph.nodes.inverse.interfaces import LIGHT_FIELDS, Critique, Critiques, MatchResult
from moks_graph.nodes.inverse.render import BuiltinRenderer
from moks_graph.nodes.looks.stocks import transfer
from moks_graph.nodes.scenescript.schema import SceneScript

TRUTHS = {
    "left_rim": SceneScript.model_validate({
        "shot": {"size": "medium_close_up"},
        "key": {"azimuth_deg": 55.0, "elevation_deg": 25.0, "cct_K": 3800.0},
        "fill_rim": {"key_fill_ratio": 5.0, "rim": "camera_left", "rim_ev": 0.3}}),
    "kodachrome": SceneScript.model_validate({
        "shot": {"size": "close_up"},
        "key": {"azimuth_deg": -70.0, "elevation_deg": 10.0, "cct_K": 6000.0},
        "fill_rim": {"key_fill_ratio": 3.0}, "look": {"stock": "kodachrome"}}),
    "hazy_both": SceneScript.model_validate({
        "shot": {"size": "medium_close_up"},
        "key": {"azimuth_deg": -40.0, "elevation_deg": 40.0, "cct_K": 3200.0},
        "fill_rim": {"key_fill_ratio": 2.5, "rim": "both", "rim_ev": 0.0},
        "atmosphere": {"phi": 0.3}, "look": {"stock": "vision3_500t", "exposure_ev": 0.5}}),
}
RENDERER = BuiltinRenderer(grain=True, seed=5)


def _srgb8(image: np.ndarray) -> np.ndarray:
    return (srgb_encode(np.clip(image, 0.0, 1.0)) * 255.0 + 0.5).astype(np.uint8)


def _png16(path: Path, array: np.ndarray) -> None:
    """A 16-bit RGB (or grey) PNG written by hand (Pillow cannot write 16-bit RGB)."""
    height, width = array.shape[:2]
    colour = 2 if array.ndim == 3 else 0
    raw = b"".join(b"\x00" + array[r].astype(">u2").tobytes() for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 16, colour, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _angle(a: SceneScript, b: SceneScript) -> float:
    def vec(s: SceneScript) -> np.ndarray:
        az, el = math.radians(s.key.azimuth_deg), math.radians(s.key.elevation_deg)
        return np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])

    return math.degrees(math.acos(float(np.clip(vec(a) @ vec(b), -1.0, 1.0))))


@pytest.fixture(scope="module")
def renders() -> dict[str, np.ndarray]:
    return {name: RENDERER.render(script) for name, script in TRUTHS.items()}


@pytest.fixture(scope="module")
def outcomes(renders):
    return {name: match(image, name=f"{name}.png") for name, image in renders.items()}


@pytest.mark.parametrize("name", list(TRUTHS))
def test_round_trip_on_builtin_renders(outcomes, name: str) -> None:
    truth, out = TRUTHS[name], outcomes[name]
    res, got = out.result, out.script
    assert res.status == "matched" and got is not None
    assert _angle(got, truth) < 2.0
    assert abs(res.key_azimuth_deg - truth.key.azimuth_deg) < 2.0
    assert abs(res.key_elevation_deg - truth.key.elevation_deg) < 2.0
    assert abs(math.log2(res.key_fill_ratio / truth.fill_rim.key_fill_ratio)) < 0.25
    assert abs(res.key_cct_K - truth.key.cct_K) < 150.0
    assert res.rim_mode == truth.fill_rim.rim and res.rim == (truth.fill_rim.rim != "none")
    assert got.shot.size == truth.shot.size
    assert 0 <= res.iterations <= 2
    assert res.script == got.model_dump(mode="json")
    if truth.look.stock == "kodachrome":
        assert res.film_stock == "kodachrome"


def test_fuser_gets_close_before_calibration(renders) -> None:
    image = renders["left_rim"]
    sig = signature(image)
    for key in ("key_azimuth", "cct", "cue_subject_top", "cue_fit_camera_left_residual"):
        assert key in sig
    start = fuse(sig)
    assert start.shot.size == "medium_close_up"
    assert start.fill_rim.rim == "camera_left"
    assert _angle(start, TRUTHS["left_rim"]) < 6.0
    with pytest.raises(TypeError, match="sig"):
        fuse([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing metric"):
        fuse({"key_azimuth": 0.0})


def test_unfilm_inverts_the_stock_transfer() -> None:
    x = np.linspace(-6.0, 3.0, 50)
    display = transfer(np.repeat(x[:, None], 3, axis=1), "vision3_250d")
    lum = display @ np.array([0.2126, 0.7152, 0.0722])
    assert np.allclose(np.log2(unfilm(lum)), x, atol=0.01)


def test_match_is_deterministic(renders, outcomes) -> None:
    again = match(renders["left_rim"], name="left_rim.png").result.model_dump()
    first = outcomes["left_rim"].result.model_dump()
    again.pop("seconds")
    first.pop("seconds")
    assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)


def test_write_match_outputs_exist_and_parse(outcomes, tmp_path: Path) -> None:
    out = outcomes["left_rim"]
    folder = write_outcome(out, tmp_path)
    assert folder == tmp_path / "left_rim"
    result = MatchResult.model_validate_json((folder / "match.json").read_text())
    assert result.rim_mode == "camera_left" and result.status == "matched"
    data = json.loads((folder / "match.json").read_text())
    for key in ("key_azimuth_deg", "key_elevation_deg", "key_fill_ratio", "key_cct_K", "rim",
                "rim_mode", "haze", "film_stock", "iterations", "residual", "seconds"):
        assert key in data
    graph = mg.load(folder / "scene.mgraph")
    assert graph.validate() == []
    assert graph.meta["scene_script"]["fill_rim"]["rim"] == "camera_left"
    for key in ("history", "uncertainty", "method", "subject", "reasons"):
        assert key in data
    preview = iio.imread(folder / "preview.png")
    compare = iio.imread(folder / "compare.png")
    # the preview is on the working grid of the reference (240 wide for a 512 x 288 still);
    # compare.png is reference | preview | residual heat map
    assert preview.dtype == np.uint8 and preview.shape == (135, 240, 3)
    assert compare.shape == (135, 3 * 240 + 2 * 4, 3)
    assert not list(folder.glob("*.tmp*")) and not list(tmp_path.glob(".*"))


def test_file_formats(renders, tmp_path: Path) -> None:
    image = renders["left_rim"]
    srgb = srgb_encode(np.clip(image, 0.0, 1.0))
    p16 = tmp_path / "deep.png"
    _png16(p16, (srgb * 65535.0 + 0.5).astype(np.uint16))
    g16 = tmp_path / "deep_grey.png"
    _png16(g16, (srgb[..., 1] * 65535.0 + 0.5).astype(np.uint16))
    grey = tmp_path / "grey.png"
    iio.imwrite(grey, _srgb8(image)[..., 1])
    rgba = tmp_path / "rgba.png"
    iio.imwrite(rgba, np.dstack([_srgb8(image), np.full(image.shape[:2], 255, np.uint8)]))
    jpeg = tmp_path / "still.jpg"
    iio.imwrite(jpeg, _srgb8(image), quality=95)
    ref16 = load_reference(p16)  # Pillow keeps the high byte of 16-bit RGB
    assert ref16.dtype == np.float32 and np.abs(ref16 - image).max() < 0.02
    grey16 = load_reference(g16)  # 16-bit grey keeps all 16 bits
    assert np.abs(grey16[..., 0] - image[..., 1]).max() < 1e-3
    assert load_reference(grey).shape == (288, 512, 3)
    assert np.allclose(load_reference(rgba), load_reference(tmp_path / "rgba.png"))
    res = match_image(p16)
    assert res.status == "matched" and abs(res.key_azimuth_deg - 55.0) < 2.0
    fast = {"max_iterations": 1, "alternatives": 0}
    for path in (grey, rgba, jpeg):
        result = match_image(path, **fast)
        assert result.status == "matched", path
        assert result.image == str(path)
    assert match_image(grey, **fast).film_stock == "tri_x"  # a grey file reads black and white


def test_no_exposure_frames_fail_cleanly(tmp_path: Path) -> None:
    black = tmp_path / "black.png"
    iio.imwrite(black, np.zeros((90, 160, 3), np.uint8))
    white = tmp_path / "white.png"
    iio.imwrite(white, np.full((90, 160, 3), 255, np.uint8))
    for path in (black, white):
        out = match(path)
        assert out.result.status == "failed" and out.result.message == NO_EXPOSURE
        assert out.script is None
        folder = write_match(out.result, out.script, out.reference, out.preview, tmp_path / "o")
        written = json.loads((folder / "match.json").read_text())
        assert written["status"] == "failed"
        # nothing was measured: no default light may read as a measurement
        assert all(written[f] is None for f in LIGHT_FIELDS), written
        assert MatchResult.model_validate(written) == out.result
        assert not (folder / "scene.mgraph").exists()


def test_match_result_lights_follow_its_status() -> None:
    lights = dict(key_azimuth_deg=30.0, key_elevation_deg=20.0, key_fill_ratio=4.0,
                  key_cct_K=5600.0, rim=False, rim_mode="none", haze=0.0,
                  film_stock="vision3_250d")
    rest = dict(image="x.png", iterations=1, residual=0.1, seconds=0.1)
    MatchResult(**lights, **rest, status="approximate")
    MatchResult(**dict.fromkeys(lights), **rest, status="failed")
    # a failed match's lights are no measurement: null, also where an older file held defaults
    old = MatchResult(**lights, **rest, status="failed")
    assert all(getattr(old, f) is None for f in LIGHT_FIELDS)
    with pytest.raises(ValidationError, match="key_cct_K missing"):
        MatchResult(**{**lights, "key_cct_K": None}, **rest, status="matched")


def test_unreadable_input_is_a_clear_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    with pytest.raises(ValueError, match="cannot read"):
        match_image(text)
    with pytest.raises(FileNotFoundError, match="no such file"):
        match_image(tmp_path / "missing.png")
    with pytest.raises(TypeError, match="image"):
        match_image(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="too small"):
        match_image(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        match_image(np.full((32, 32, 3), np.nan, np.float32))


def test_critiques_validate_and_speak_scenescript(renders, outcomes) -> None:
    out = outcomes["left_rim"]
    inspector = OfflineInspector()
    assert inspector.name == "offline"
    crit = inspector.critique(out.reference, out.preview, out.signature, out.script)
    assert isinstance(crit, Critiques)
    assert Critiques.model_validate(crit.model_dump()) == crit
    # a black-and-white reference against a colour preview asks for Tri-X, first
    grey = np.repeat(renders["left_rim"][..., 1:2], 3, axis=2)
    crit = inspector.critique(grey, out.preview, signature(grey), out.script)
    assert isinstance(crit.items[0], Critique)
    assert (crit.items[0].slot, crit.items[0].field, crit.items[0].value) == (
        "look", "stock", "tri_x")
    # a darker reference asks for more exposure, in EV on the look slot
    darker = signature(renders["left_rim"] * 0.5)
    rendered = BuiltinRenderer().render(out.script, (512, 288))
    crit = inspector.critique(renders["left_rim"] * 0.5, rendered, darker, out.script)
    ev = [c for c in crit.items if (c.slot, c.field) == ("look", "exposure_ev")]
    assert ev and ev[0].value < out.script.look.exposure_ev


def test_lookups() -> None:
    assert forward_model("builtin").name == "builtin"
    renderer = BuiltinRenderer()
    assert forward_model(renderer) is renderer
    with pytest.raises(ValueError, match="unknown forward"):
        forward_model("povray")
    assert make_inspector("offline").name == "offline"
    with pytest.raises(ValueError, match="unknown inspector"):
        make_inspector("oracle")
    import moks_graph.hosts.inverse as inverse

    assert inverse.match_image is match_image
    with pytest.raises(AttributeError):
        _ = inverse.not_there


def test_match_still_gives_an_insertable_graph(tmp_path):
    """The editor's Match action: ids that collide with the open graph get a prefix."""
    import moks_graph as mg
    from moks_graph.hosts.inverse import match_still
    from moks_graph.nodes.inverse.render import BuiltinRenderer
    from moks_graph.nodes.scenescript.scenarios import STARTERS, starter_graph
    from moks_graph.nodes.scenescript.vocabulary import parse_prose

    still = tmp_path / "ref.npy"
    np.save(still, BuiltinRenderer().render(parse_prose("low-key medium, rim from camera left")))
    open_graph = starter_graph(STARTERS[2])
    fitted = match_still(still, open_graph)
    assert fitted.validate() == []
    assert not set(fitted.nodes) & set(open_graph.nodes)
    assert all(n.startswith("match_") for n in fitted.nodes)
    assert fitted.settings.frame_end == open_graph.settings.frame_end
    assert fitted.meta["match"]["status"] == "matched"
    assert isinstance(fitted, mg.Graph)
    black = tmp_path / "black.npy"
    np.save(black, np.zeros((64, 96, 3), np.float32))
    with pytest.raises(ValueError, match="no exposure"):
        match_still(black)


def test_library_warm_start_and_store(tmp_path):
    """A match with a library stores itself; the next similar match is warm-started from it."""
    from moks_graph.hosts.inverse.library import CalibrationLibrary
    from moks_graph.hosts.inverse.match import match
    from moks_graph.nodes.inverse.render import BuiltinRenderer
    from moks_graph.nodes.scenescript.vocabulary import parse_prose

    lib = tmp_path / "calibration.sqlite"
    still = BuiltinRenderer().render(parse_prose("low-key medium close-up, rim from camera left"))
    first = match(still, library=lib)
    assert first.candidates[0][0] == "subject fit"
    assert not any(label.startswith("library:") for label, _ in first.candidates)
    with CalibrationLibrary(lib) as store:
        assert len(store.entries()) == 1
    second = match(still, library=lib)
    assert any(label.startswith("library:") for label, _ in second.candidates)
    with CalibrationLibrary(lib) as store:  # the same script refreshes its entry, no twin
        (entry,) = store.entries()
        assert entry.uses >= 1
