"""Image bombs (issue 20): sizes are read from the header and checked against the image budget
before anything is decoded; the refusal names the file and its size, exits non-zero, and
never shows a traceback. Every hostile file is a few hundred bytes crafted here.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import moks_graph as mg
from moks_graph.cli import main
from moks_graph.evaluate import Evaluator
from moks_graph.nodes.environment.hdri import load_hdri
from moks_graph.nodes.imaging import limits
from moks_graph.nodes.imaging.io import load_image, read_array
from moks_graph.nodes.imaging.limits import ImageTooLarge, check_dimensions, max_pixels


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A valid PNG signature and IHDR claiming ``width x height`` RGB8, with one tiny IDAT."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def npy_claiming(path: Path, shape: tuple[int, ...], dtype: str = "<f4") -> Path:
    """An ``.npy`` header claiming ``shape`` with no data behind it."""
    with path.open("wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": dtype, "fortran_order": False, "shape": shape})
    return path


def hdr_claiming(path: Path, height: int, width: int) -> Path:
    path.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n"
                     + f"-Y {height} +X {width}\n".encode() + b"\x02\x02\x00\x10" * 4)
    return path


def test_budget_defaults_and_environment(monkeypatch):
    monkeypatch.delenv("MOKS_MAX_PIXELS", raising=False)
    assert max_pixels() == limits.DEFAULT_MAX_PIXELS == 50_000_000
    monkeypatch.setenv("MOKS_MAX_PIXELS", "1e8")
    assert max_pixels() == 100_000_000
    for bad in ("-5", "lots", "0", "1.5"):
        monkeypatch.setenv("MOKS_MAX_PIXELS", bad)
        with pytest.raises(ValueError, match="MOKS_MAX_PIXELS"):
            max_pixels()


def test_check_dimensions_names_the_file_and_size(monkeypatch):
    monkeypatch.delenv("MOKS_MAX_PIXELS", raising=False)
    check_dimensions(8192, 4096, "sky.exr")  # an 8K HDRI fits
    with pytest.raises(ImageTooLarge, match=r"big\.png is 12000 x 12000 pixels \(144\.0 Mpx\)"):
        check_dimensions(12000, 12000, "big.png")
    with pytest.raises(ImageTooLarge, match="aspect ratio over 32:1"):
        check_dimensions(8, 30000, "strip.png")
    with pytest.raises(ImageTooLarge, match="channels"):
        check_dimensions(64, 64, "aovs.exr", channels=100_000)


@pytest.mark.parametrize(("width", "height", "match"), [
    (12000, 12000, "12000 x 12000 pixels"),
    (8, 30000, "aspect ratio"),
    (2**31 - 1, 2**31 - 1, "2147483647 x 2147483647"),
])
def test_png_header_bombs_are_refused_before_decoding(tmp_path, width, height, match):
    bomb = png_claiming(tmp_path / "bomb.png", width, height)
    assert bomb.stat().st_size < 200
    with pytest.raises(ImageTooLarge, match=match):
        load_image(bomb)


def test_npy_header_claiming_112_gib_is_refused(tmp_path):
    bomb = npy_claiming(tmp_path / "bomb.npy", (100_000, 100_000, 3))  # 112 GiB of float32
    with pytest.raises(ImageTooLarge, match=r"bomb\.npy is 100000 x 100000 pixels"):
        read_array(bomb)
    wide = npy_claiming(tmp_path / "wide.npy", (10, 10, 10, 10))
    with pytest.raises(ValueError, match="4-D array"):
        read_array(wide)
    short = npy_claiming(tmp_path / "short.npy", (64, 128, 3))  # fits, but no data follows
    with pytest.raises(ValueError, match="truncated array data"):
        read_array(short)
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([[None] * 8] * 8, dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="object arrays are refused"):
        read_array(objects)


def test_radiance_header_claiming_37_gib_is_refused(tmp_path):
    bomb = hdr_claiming(tmp_path / "bomb.hdr", 70_000, 140_000)
    with pytest.raises(ImageTooLarge, match=r"bomb\.hdr is 140000 x 70000 pixels"):
        load_hdri(bomb)
    with pytest.raises(ImageTooLarge, match="140000 x 70000"):
        load_image(bomb)


@pytest.mark.parametrize("suffix", [".exr", ".tif", ".jpg", ".png"])
def test_every_format_is_checked_against_the_budget(tmp_path, monkeypatch, suffix):
    oiio = pytest.importorskip("OpenImageIO")
    path = str(tmp_path / f"small{suffix}")
    out = oiio.ImageOutput.create(path)
    out.open(path, oiio.ImageSpec(64, 32, 3, "uint8"))
    out.write_image(np.zeros((32, 64, 3), np.uint8))
    out.close()
    assert load_image(path).shape == (32, 64, 3)
    monkeypatch.setenv("MOKS_MAX_PIXELS", "1000")
    with pytest.raises(ImageTooLarge, match=r"64 x 32 pixels .* over the 1000 pixels limit"):
        load_image(path)


def test_cli_and_nodes_report_bombs_without_a_traceback(tmp_path):
    png = png_claiming(tmp_path / "huge.png", 12000, 12000)
    npy = npy_claiming(tmp_path / "huge.npy", (100_000, 200_000, 3))
    hdr = hdr_claiming(tmp_path / "huge.hdr", 70_000, 140_000)
    r = CliRunner().invoke(main, ["metrics", str(png)])
    assert r.exit_code == 1 and "huge.png is 12000 x 12000 pixels" in r.output
    for path in (npy, hdr):
        r = CliRunner().invoke(main, ["sh", str(path)])
        assert r.exit_code == 1, r.output
        assert path.name in r.output and "pixels" in r.output and "MG112" in r.output
    g = mg.Graph()
    g.add_node("moks.image.load", "still", {"path": str(png)})
    result = Evaluator().evaluate(g)
    assert [p.code for p in result.problems] == ["MG120"]
    assert "12000 x 12000" in result.problems[0].message


def test_moks_metrics_on_a_sliver_png_is_quick_and_clean(tmp_path):
    """The issue's 1.3 KB 8 x 30,000 PNG ran 150 s / 10.7 GB; now it is refused at once."""
    sliver = png_claiming(tmp_path / "sliver.png", 8, 30_000)
    moks = Path(sys.executable).with_name("moks")
    command = [str(moks)] if moks.exists() else [sys.executable, "-m", "moks_graph.cli"]
    env = {k: v for k, v in os.environ.items() if k != "MOKS_MAX_PIXELS"}
    start = time.monotonic()
    done = subprocess.run([*command, "metrics", str(sliver)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert time.monotonic() - start < 60
    assert done.returncode == 1
    assert "sliver.png is 8 x 30000 pixels" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_analysis_refuses_a_sliver_it_cannot_reduce():
    """Arrays that reach the metrics without a file (another node's output) are bounded too."""
    from moks_graph.nodes.imaging.report import analyse_still

    start = time.monotonic()
    with pytest.raises(ValueError, match="30000 x 8 pixels is too elongated"):
        analyse_still(np.full((8, 30_000, 3), 0.5, np.float32))
    assert time.monotonic() - start < 5
    assert analyse_still(np.full((8, 700, 3), 0.5, np.float32))["metrics"]  # mild: measured


def _small(path: Path, fmt: str = "uint8") -> bytes:
    """A 16 x 16 image written by OpenImageIO, as bytes (the base of a crafted bomb)."""
    oiio = pytest.importorskip("OpenImageIO")
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), oiio.ImageSpec(16, 16, 3, fmt))
    out.write_image(np.zeros((16, 16, 3), np.float32 if fmt == "half" else np.uint8))
    out.close()
    return path.read_bytes()


def jpeg_claiming(path: Path, width: int, height: int) -> Path:
    """A real JPEG whose SOF0 frame header claims ``width x height`` (scan data for 16 x 16)."""
    data = bytearray(_small(path))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


def tiff_claiming(path: Path, width: int, height: int) -> Path:
    """A real TIFF whose ImageWidth / ImageLength tags claim ``width x height``."""
    data = bytearray(_small(path))
    end = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(end + "I", data, 4)
    (count,) = struct.unpack_from(end + "H", data, ifd)
    for i in range(count):
        at = ifd + 2 + 12 * i
        tag, kind = struct.unpack_from(end + "HH", data, at)
        if tag in (256, 257):
            value = width if tag == 256 else height
            struct.pack_into(end + ("HH" if kind == 3 else "I"), data, at + 8,
                             *((value, 0) if kind == 3 else (value,)))
    path.write_bytes(bytes(data))
    return path


def exr_claiming(path: Path, width: int, height: int) -> Path:
    """A real OpenEXR whose dataWindow and displayWindow claim ``width x height``."""
    data = bytearray(_small(path, "half"))
    for name in (b"dataWindow\0box2i\0", b"displayWindow\0box2i\0"):
        at = data.index(name) + len(name) + 4
        struct.pack_into("<iiii", data, at, 0, 0, width - 1, height - 1)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make", [jpeg_claiming, tiff_claiming, exr_claiming],
                         ids=["jpeg", "tiff", "exr"])
def test_crafted_headers_are_refused_before_decoding(tmp_path, make):
    """A few hundred bytes claiming 60,000 x 60,000 (3.6 Gpx, 10 GB as RGB8) in every format the
    reader decodes: refused from the header, at once, naming the file and its size."""
    suffix = {"jpeg_claiming": ".jpg", "tiff_claiming": ".tif", "exr_claiming": ".exr"}
    bomb = make(tmp_path / f"bomb{suffix[make.__name__]}", 60_000, 60_000)
    assert bomb.stat().st_size < 10_000
    start = time.monotonic()
    with pytest.raises(ImageTooLarge, match=rf"{bomb.name} is 60000 x 60000 pixels"):
        load_image(bomb)
    assert time.monotonic() - start < 2.0
    sliver = make(tmp_path / f"sliver{suffix[make.__name__]}", 8, 30_000)
    with pytest.raises(ImageTooLarge, match="8 x 30000"):
        load_image(sliver)
