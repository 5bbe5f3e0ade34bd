"""Farm exports a wrangler accepts: job parameters / path mapping instead of fixed absolute
paths, show/shot/user/pool/priority/memory/environment options, and command lines that reach
``moks`` unchanged whether the manager runs them through a shell or splits them itself.

The job is exported on a "submit" mount (a folder with a space in its name), then the folder
is renamed, as the workers' mount of the same storage, and every task runs there: the merged
file must equal a single-process bake bit for bit.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from moks_graph import codec
from moks_graph.hosts.farm.cli import farm
from moks_graph.hosts.farm.export import FarmOptions, command_line, farm_export
from moks_graph.hosts.farm.pathmap import map_path, parse_path_map
from moks_graph.hosts.farm.writer import read_npz

OPTIONS = dict(show="hero_show", shot="sq010_sh020", user="wrangler", priority=75,
               pool="moks", memory_mb=4096, env={"OCIO": "/studio/ocio/config.ocio"})


def dotnet_split(line: str) -> list[str]:
    """How a program started without a shell gets its arguments on Windows / .NET:
    whitespace separates, double quotes group (no single-quote handling)."""
    return [m.group(1) if m.group(1) is not None else m.group(2)
            for m in re.finditer(r'"([^"]*)"|(\S+)', line)]


def run_without_shell(argv: list[str], env: dict[str, str]) -> None:
    assert argv[:2] == ["moks", "farm"], argv
    result = CliRunner().invoke(farm, argv[2:], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def run_with_shell(line: str, env: dict[str, str]) -> None:
    assert line.startswith("moks farm ")
    moks = f'"{sys.executable}" -m moks_graph.cli'
    proc = subprocess.run(["/bin/sh", "-c", moks + line[len("moks"):]], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def mounts(tmp_path):
    submit, worker = tmp_path / "submit mount", tmp_path / "worker mount"
    submit.mkdir()
    return submit, worker


def _export(fmt, make_graph, mounts, out_name):
    submit, worker = mounts
    path = make_graph("shot", seed=21, end=60, subframes=2)
    options = FarmOptions(**OPTIONS, path_map=[(str(submit), str(worker))])
    out = submit / out_name
    job, files = farm_export(fmt, [path], out, chunk=30, host="npz", options=options)
    texts = {f.name: f.read_text() for f in files}
    submit.rename(worker)  # the workers see the storage elsewhere
    return job, texts, path


def _check(job, worker_output, path, reference_bake):
    g = job.graphs[0]
    truth = reference_bake(path, (g.first, g.last))
    assert codec.digest(read_npz(worker_output)) == codec.digest(truth)


def test_command_line_has_no_single_quotes():
    argv = ["farm", "chunk", "/jobs/a b/job-1", "--frames", "<STARTFRAME>-<ENDFRAME>"]
    line = command_line(argv)
    assert "'" not in line and line.endswith("--frames <STARTFRAME>-<ENDFRAME>")
    assert dotnet_split(line) == argv
    with pytest.raises(ValueError, match="plainer path"):
        command_line(["/jobs/$HOME"])
    assert map_path("/a/b/c", parse_path_map("/a/b=/x;/a=/y")) == "/x/c"
    assert map_path("/a/bc", parse_path_map("/a/b=/x")) == "/a/bc"  # whole components only


def test_deadline_runs_with_and_without_a_shell(tmp_path, make_graph, mounts, reference_bake):
    job, texts, path = _export("deadline", make_graph, mounts, "deadline")
    info = dict(line.split("=", 1) for line in texts["shot_chunks.job_info.job"].splitlines())
    assert (info["Pool"], info["Priority"]) == ("moks", "75")
    env = dict(v.split("=", 1) for k, v in info.items() if k.startswith("EnvironmentKeyValue"))
    assert env["OCIO"] == "/studio/ocio/config.ocio" and "MOKS_PATH_MAP" in env
    plugin = dict(line.split("=", 1) for line in texts["shot_chunks.plugin_info.job"]
                  .splitlines())
    assert "'" not in plugin["Arguments"]  # single quotes would reach moks
    chunks = job.graphs[0].chunks
    for i, (a, b) in enumerate(chunks):
        args = plugin["Arguments"].replace("<STARTFRAME>", str(a)).replace("<ENDFRAME>", str(b))
        if i % 2:
            run_with_shell(f"{plugin['Executable']} {args}", env)
        else:
            run_without_shell([plugin["Executable"], *dotnet_split(args)], env)
    merge = dict(line.split("=", 1) for line in texts["shot_merge.plugin_info.job"]
                 .splitlines())
    out = map_path(str(job.output_path(job.graphs[0])), parse_path_map(env["MOKS_PATH_MAP"]))
    run_without_shell([merge["Executable"], *dotnet_split(merge["Arguments"])], env)
    _check(job, out, path, reference_bake)
    os.remove(out)
    run_with_shell(f"{merge['Executable']} {merge['Arguments']}", env)
    _check(job, out, path, reference_bake)


def test_opencue_runs_with_and_without_a_shell(tmp_path, make_graph, mounts, reference_bake):
    job, texts, path = _export("opencue", make_graph, mounts, "shot.xml")
    root = ET.fromstring(texts["shot.xml"])
    assert [root.findtext(t) for t in ("show", "shot", "user")] == [
        "hero_show", "sq010_sh020", "wrangler"]
    job_el = root.find("job")
    assert job_el.findtext("priority") == "75"
    env = {k.get("name"): k.text for k in job_el.find("env")}
    assert env["OCIO"] == "/studio/ocio/config.ocio" and "MOKS_PATH_MAP" in env
    chunk_layer, merge_layer = job_el.find("layers")
    assert chunk_layer.findtext("memory") == "4096m"
    cmd = chunk_layer.findtext("cmd")
    assert "'" not in cmd
    for i, (a, b) in enumerate(job.graphs[0].chunks):  # chunk 30, range 1-60
        line = cmd.replace("#FRAME_START#", str(a)).replace("#FRAME_END#", str(b))
        if i % 2:
            run_with_shell(line, env)
        else:
            run_without_shell(dotnet_split(line), env)
    merge = merge_layer.findtext("cmd")
    out = map_path(str(job.output_path(job.graphs[0])), parse_path_map(env["MOKS_PATH_MAP"]))
    run_with_shell(merge, env)
    _check(job, out, path, reference_bake)
    os.remove(out)
    run_without_shell(dotnet_split(merge), env)
    _check(job, out, path, reference_bake)


def test_openjd_path_parameters_are_mapped_by_the_worker(tmp_path, make_graph, mounts,
                                                        reference_bake):
    openjd = pytest.importorskip("openjd.model")
    submit, worker = mounts
    job, texts, path = _export("openjd", make_graph, mounts, "shot.json")
    doc = json.loads(texts["shot.json"])
    assert {p["name"]: p["type"] for p in doc["parameterDefinitions"]} == {
        "JobDir": "PATH", "OutputDir": "PATH"}
    assert doc["jobEnvironments"] == [{"name": "MoksEnvironment",
                                       "variables": {"OCIO": "/studio/ocio/config.ocio"}}]
    assert doc["steps"][0]["hostRequirements"]["amounts"] == [
        {"name": "amount.worker.memory", "min": 4096}]
    assert str(submit) not in json.dumps(doc["steps"])  # every path is a job parameter
    instance = openjd.create_job(job_template=openjd.decode_job_template(template=doc),
                                 job_parameter_values={})
    # PATH defaults are relative to the template's folder; the worker joins and maps them
    assert {k: str(v.value) for k, v in instance.parameters.items()} == {
        "JobDir": job.root.name, "OutputDir": "."}
    rules = [(str(submit), str(worker))]
    params = {k: map_path(os.path.normpath(os.path.join(str(submit), str(v.value))), rules)
              for k, v in instance.parameters.items()}

    def fill(a: str) -> str:
        for k, v in params.items():
            a = a.replace("{{Param." + k + "}}", v)
        return a

    chunk_action = instance.steps[0].script.actions.onRun
    for a, b in job.graphs[0].chunks:
        run_without_shell(["moks", *(fill(str(x)).replace("{{Task.Param.Frames}}", f"{a}-{b}")
                                     for x in chunk_action.args)], {})
    merge_action = instance.steps[1].script.actions.onRun
    run_without_shell(["moks", *(fill(str(x)) for x in merge_action.args)], {})
    _check(job, str(worker / job.output_path(job.graphs[0]).name), path, reference_bake)


def test_openjd_run_runs_the_template(tmp_path, make_graph, mounts, reference_bake):
    """The template run as OpenJD's own CLI runs it (``openjd run``, openjd-cli), with
    path-mapping rules for the renamed mount; skipped where openjd-cli is not installed."""
    pytest.importorskip("openjd.cli")
    submit, worker = mounts
    job, _, path = _export("openjd", make_graph, mounts, "shot.json")
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"version": "pathmapping-1.0", "path_mapping_rules": [
        {"source_path_format": "POSIX", "source_path": str(submit),
         "destination_path": str(worker)}]}))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "moks").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m moks_graph.cli "$@"\n')
    (bin_dir / "moks").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run([sys.executable, "-m", "openjd", "run", str(worker / "shot.json"),
                           "--step", "shot-merge", "--run-dependencies",
                           "--path-mapping-rules", f"file://{rules}", "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _check(job, str(worker / job.output_path(job.graphs[0]).name), path, reference_bake)
