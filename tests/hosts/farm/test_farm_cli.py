"""``moks farm`` through click's CliRunner."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from moks_graph import codec
from moks_graph.hosts.farm.cli import farm, install
from moks_graph.hosts.farm.writer import read_npz


def invoke(*args: str):
    return CliRunner().invoke(farm, [str(a) for a in args])


def said(result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_group_and_install():
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("bake", "match", "export", "chunk", "merge"):
        assert name in said(result)
    main = click.Group("moks")
    install(main)
    assert main.commands["farm"] is farm


def test_bake_on_a_scheduler_address(tmp_path, make_graph, reference_bake, farm_client):
    paths = [make_graph("a", seed=1, end=150), make_graph("b", seed=2, end=150)]
    result = invoke("bake", *paths, "--frames", "1-120", "--chunk", "50", "--host", "npz",
                    "--out", tmp_path / "out", "--scheduler", farm_client.scheduler.address,
                    "--no-progress")
    assert result.exit_code == 0, result.output
    assert "2/2 graphs" in said(result) and "speed-up" in said(result)
    for path in paths:
        got = read_npz(tmp_path / "out" / f"{path.stem}.npz")
        assert codec.digest(got) == codec.digest(reference_bake(path, (1, 120)))


def test_bake_failures_exit_1(tmp_path, make_graph, farm_client):
    bad = make_graph("bad", end=40, edit=lambda g: g.set_param("flicker", "kind", "lamp"))
    result = invoke("bake", bad, "--host", "npz", "--out", tmp_path / "out", "--scheduler",
                    farm_client.scheduler.address, "--no-progress")
    assert result.exit_code == 1
    assert "failed" in said(result) and "frames 1-40" in said(result)
    result = invoke("bake", bad, "--frames", "1-x", "--host", "npz", "--out", tmp_path / "o2")
    assert result.exit_code == 1 and "position 3" in said(result)


def test_chunk_files_and_merge(tmp_path, make_graph, reference_bake):
    path = make_graph("g", seed=5, end=100, subframes=4)
    c1, c2, merged = tmp_path / "c1.npz", tmp_path / "c2.npz", tmp_path / "m.npz"
    assert invoke("chunk", path, "--frames", "1-50", "--no-final", "--out", c1).exit_code == 0
    assert invoke("chunk", path, "--frames", "51-100", "--out", c2).exit_code == 0
    result = invoke("merge", c2, c1, "--host", "npz", "--out", merged)
    assert result.exit_code == 0, result.output
    assert codec.digest(read_npz(merged)) == codec.digest(reference_bake(path))
    overlap = tmp_path / "c3.npz"
    assert invoke("chunk", path, "--frames", "40-60", "--out", overlap).exit_code == 0
    result = invoke("merge", c1, overlap, "--out", tmp_path / "bad.npz")
    assert result.exit_code == 1 and "overlap" in said(result)
    assert invoke("chunk", path, "--frames", "1-5").exit_code == 2  # --out required


def test_job_chunk_and_merge_commands(tmp_path, make_graph, reference_bake):
    path = make_graph("g", seed=6, end=90)
    result = invoke("export", "--format", "openjd", path, "--chunk", "30", "--host", "npz",
                    "--out", tmp_path / "job.json")
    assert result.exit_code == 0, result.output
    job_dir = next(p for p in tmp_path.iterdir() if p.name.startswith("job-"))
    assert invoke("chunk", job_dir, "--frames", "1-30").exit_code == 0
    result = invoke("merge", job_dir)
    assert result.exit_code == 1 and "no chunk covers frames 31-90" in said(result)
    result = invoke("chunk", job_dir, "--frames", "80-95")
    assert result.exit_code == 1 and "outside" in said(result)
    # a farm manager may chunk differently from the plan: 31-60 as 31-45 + 46-60
    for frames in ("31-45", "46-60", "61-90"):
        assert invoke("chunk", job_dir, "--frames", frames).exit_code == 0
    result = invoke("merge", job_dir, "--out", tmp_path / "final.npz")
    assert result.exit_code == 0, result.output
    truth = codec.digest(reference_bake(path))
    assert codec.digest(read_npz(tmp_path / "final.npz")) == truth
    # the keyed chunk files can also be handed over and merged as files
    copies = []
    for frames in ("61-90", "1-30", "31-60"):
        copies.append(tmp_path / f"copy_{frames}.npz")
        assert invoke("chunk", job_dir, "--frames", frames, "--out", copies[-1]).exit_code == 0
    assert invoke("merge", *copies, "--out", tmp_path / "files.npz").exit_code == 0
    assert codec.digest(read_npz(tmp_path / "files.npz")) == truth


def test_match_command(tmp_path, farm_client):
    images = []
    for i, size in enumerate((10, 300)):
        image = tmp_path / f"img{i}.bin"
        image.write_bytes(b"x" * size)
        images.append(image)
    result = invoke("match", *images, "--out", tmp_path / "out", "--function",
                    "os.path:getsize", "--scheduler", farm_client.scheduler.address,
                    "--no-progress")
    assert result.exit_code == 0, result.output
    sizes = [json.loads((tmp_path / "out" / f"img{i}.match.json").read_text())["result"]
             for i in range(2)]
    assert sizes == [10, 300]
    result = invoke("match", images[0], "--out", tmp_path / "o", "--function", "os.path:nope")
    assert result.exit_code == 2 and "cannot import" in said(result)


def test_match_command_folders_promote(tmp_path, farm_client):
    """``moks farm match`` then ``moks promote`` on what it wrote (issue 13, defect 6)."""
    import numpy as np

    from moks_graph.hosts.inverse.promote import promote_command
    from moks_graph.nodes.inverse.render import BuiltinRenderer
    from moks_graph.nodes.scenescript.vocabulary import parse_prose

    image = tmp_path / "noir.npy"
    np.save(image, BuiltinRenderer().render(parse_prose("low-key medium, rim from camera left"),
                                            (128, 72)))
    result = invoke("match", image, "--out", tmp_path / "out", "--option", "max_iterations=0",
                    "--option", "alternatives=0", "--scheduler",
                    farm_client.scheduler.address, "--no-progress")
    assert result.exit_code == 0, result.output
    match = json.loads((tmp_path / "out" / "noir" / "match.json").read_text())
    assert "graph" not in match and match["status"] == "matched"
    promoted = CliRunner().invoke(promote_command, [str(tmp_path / "out" / "noir"), "--name",
                                                    "noir_farm", "--presets",
                                                    str(tmp_path / "presets")])
    assert promoted.exit_code == 0, promoted.output
    assert (tmp_path / "presets" / "noir_farm.mgraph").is_file()


@pytest.mark.parametrize("fmt", ["openjd", "opencue", "deadline"])
def test_export_command(tmp_path, make_graph, fmt):
    path = make_graph("shot", end=240)
    out = tmp_path / {"openjd": "job.yaml", "opencue": "job.xml", "deadline": "dl"}[fmt]
    result = invoke("export", "--format", fmt, path, "--frames", "1-240", "--chunk", "100",
                    "--host", "npz", "--out", out)
    assert result.exit_code == 0, result.output
    assert "3 chunks" not in said(result) and "4 tasks" in said(result)
    assert out.exists()


def test_export_wrangler_flags_reach_the_job(tmp_path, make_graph):
    """The show/shot/user/priority/memory/env/path-map/pool flags of ``moks farm export``
    land in the OpenCue and Deadline files (issue 16; the options themselves are run in
    tests/hosts/farm/test_farm_wrangler.py)."""
    import xml.etree.ElementTree as ET

    path = make_graph("shot", end=60)
    flags = ["--show", "hero", "--shot", "sh010", "--user", "wr", "--priority", "75",
             "--memory", "4096", "--env", "OCIO=/studio/config.ocio",
             "--path-map", f"{tmp_path}=/mnt/farm", "--pool", "moks", "--frames", "1-60",
             "--chunk", "30", "--host", "npz"]
    result = invoke("export", "--format", "opencue", path, "--out", tmp_path / "job.xml",
                    *flags)
    assert result.exit_code == 0, result.output
    root = ET.parse(tmp_path / "job.xml").getroot()
    assert [root.findtext(t) for t in ("show", "shot", "user")] == ["hero", "sh010", "wr"]
    job = root.find("job")
    env = {k.get("name"): k.text for k in job.find("env")}
    assert job.findtext("priority") == "75" and env["OCIO"] == "/studio/config.ocio"
    assert env["MOKS_PATH_MAP"] == f"{tmp_path}=/mnt/farm"
    assert job.find("layers")[0].findtext("memory") == "4096m"
    result = invoke("export", "--format", "deadline", path, "--out", tmp_path / "dl", *flags)
    assert result.exit_code == 0, result.output
    info = (tmp_path / "dl" / "shot_chunks.job_info.job").read_text().splitlines()
    assert {"Pool=moks", "Priority=75"} <= set(info)
    assert any(line.endswith("=OCIO=/studio/config.ocio") for line in info)
    bad = invoke("export", "--format", "opencue", path, "--out", tmp_path / "x.xml",
                 "--env", "NOVALUE")
    assert bad.exit_code == 2 and "KEY=VALUE" in said(bad)
