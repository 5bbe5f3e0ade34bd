"""Farm-manager exports: validated by OpenJD's own model, OpenCue's DTD structure, Deadline's
key=value format; then their tasks are run as the manager would and the merge is checked."""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from moks_graph import codec
from moks_graph.errors import MoksError
from moks_graph.hosts.farm.cli import farm
from moks_graph.hosts.farm.export import farm_export
from moks_graph.hosts.farm.framesets import parse_frameset
from moks_graph.hosts.farm.writer import read_npz


def run_moks(argv: list[str]) -> None:
    """Run one exported ``moks farm ...`` command line in-process."""
    assert argv[:2] == ["moks", "farm"], argv
    result = CliRunner().invoke(farm, argv[2:], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def check_merged(job, path, reference_bake) -> None:
    g = job.graphs[0]
    truth = reference_bake(path, (g.first, g.last))
    assert codec.digest(read_npz(job.output_path(g))) == codec.digest(truth)


def test_openjd_template_validates_and_runs(tmp_path, make_graph, reference_bake):
    openjd = pytest.importorskip("openjd.model")
    path = make_graph("shot", seed=12, end=2400, subframes=2)
    job, files = farm_export("openjd", [path], tmp_path / "shot.json", frames="1-2400",
                             chunk=100, host="npz")
    template = openjd.decode_job_template(template=json.loads(files[0].read_text()))
    instance = openjd.create_job(job_template=template, job_parameter_values={})
    assert [s.name for s in instance.steps] == ["shot-chunks", "shot-merge"]
    assert instance.steps[1].dependencies[0].dependsOn == "shot-chunks"
    tasks = list(openjd.StepParameterSpaceIterator(space=instance.steps[0].parameterSpace))
    frames = [t["Frames"].value for t in tasks]
    assert len(frames) == 24 and frames[0] == "1-100" and frames[-1] == "2301-2400"
    action = instance.steps[0].script.actions.onRun
    args = [str(a) for a in action.args]
    assert str(action.command) == "moks" and "{{Param.JobDir}}" in args  # a PATH parameter
    # PATH defaults are relative to the template's folder (OpenJD joins them there)
    params = {k: str((files[0].parent / str(v.value)).resolve())
              for k, v in instance.parameters.items()}
    assert params == {"JobDir": str(job.root.resolve()), "OutputDir": str(tmp_path.resolve())}

    def fill(a: str) -> str:
        return a.replace("{{Param.JobDir}}", params["JobDir"]).replace(
            "{{Param.OutputDir}}", params["OutputDir"])

    for value in frames:  # what an OpenJD worker would run, with the task parameter filled in
        run_moks(["moks", *(fill(a).replace("{{Task.Param.Frames}}", value) for a in args)])
    merge = instance.steps[1].script.actions.onRun
    run_moks([str(merge.command), *(fill(str(a)) for a in merge.args)])
    check_merged(job, path, reference_bake)


def test_openjd_yaml(tmp_path, make_graph):
    openjd = pytest.importorskip("openjd.model")
    _, files = farm_export("openjd", [make_graph("a", end=50), make_graph("b", end=80)],
                           tmp_path / "job.yaml", chunk=30, host="npz")
    doc = openjd.document_string_to_object(document=files[0].read_text(),
                                           document_type=openjd.DocumentType.YAML)
    template = openjd.decode_job_template(template=doc)
    assert [s.name for s in template.steps] == ["a-chunks", "a-merge", "b-chunks", "b-merge"]


# OpenCue cjsl-1.15.dtd content models (element order; '?' optional, '*' repeated)
CUE_SPEC = r"(facility )?(dept )?show shot user (email )?(uid )?(job )*(depends )*"
CUE_JOB = (r"(paused )?(priority )?(maxretries )?(maxcores )?(maxgpus )?(autoeat )?"
           r"(localbook )?(os )?(env )*(layers )?")
CUE_LAYER = (r"cmd range chunk (cores )?(threadable )?(memory )?(gpus )?(gpu )?(gpu_memory )?"
             r"(timeout )?(timeout_llu )?(tags )?(limits )?(env )*(services )?(outputs )*")
CUE_DEPEND = r"depjob (deplayer )?(depframe )?onjob (onlayer )?(onframe )?"
NMTOKEN = re.compile(r"^[A-Za-z0-9._:-]+$")


def children_match(el: ET.Element, model: str) -> bool:
    return re.fullmatch(model, "".join(f"{c.tag} " for c in el)) is not None


def opencue_tasks(frame_range: str, chunk: int) -> list[tuple[int, int]]:
    """How cuebot chunks a contiguous layer range: groups of ``chunk`` frames from the start."""
    fs = parse_frameset(frame_range)
    first, last = fs.first, fs.last
    return [(a, min(a + chunk - 1, last)) for a in range(first, last + 1, chunk)]


def test_opencue_spec_follows_the_dtd_and_runs(tmp_path, make_graph, reference_bake):
    path = make_graph("shot", seed=13, start=-10, end=250, subframes=3)
    job, files = farm_export("opencue", [path], tmp_path / "shot.xml", chunk=100, host="npz")
    text = files[0].read_text()
    assert re.search(r'<!DOCTYPE spec PUBLIC "SPI Cue  Specification Language" '
                     r'"http://localhost:8080/spcue/dtd/cjsl-1\.15\.dtd">', text)
    root = ET.fromstring(text)
    assert root.tag == "spec" and children_match(root, CUE_SPEC)
    (job_el,) = root.findall("job")
    assert NMTOKEN.match(job_el.get("name", "")) and children_match(job_el, CUE_JOB)
    layers = job_el.find("layers")
    assert layers is not None
    names = []
    for layer in layers:
        assert layer.tag == "layer" and children_match(layer, CUE_LAYER)
        assert layer.get("type") in ("Render", "Util", "Post")
        assert NMTOKEN.match(layer.get("name", ""))
        assert [s.text for s in layer.find("services")] == ["shell"]
        names.append(layer.get("name"))
    assert names == ["shot_chunks", "shot_merge"]
    (depend,) = root.find("depends")
    assert depend.get("type") == "LAYER_ON_LAYER" and children_match(depend, CUE_DEPEND)
    assert depend.findtext("depjob") == depend.findtext("onjob") == job_el.get("name")
    assert (depend.findtext("deplayer"), depend.findtext("onlayer")) == (
        "shot_merge", "shot_chunks")
    chunk_layer, merge_layer = layers
    assert chunk_layer.findtext("range") == "-10-250" and chunk_layer.findtext("chunk") == "100"
    cmd = chunk_layer.findtext("cmd")
    assert "#FRAME_START#-#FRAME_END#" in cmd
    for a, b in opencue_tasks("-10-250", 100):  # cuebot substitutes its frame tokens
        run_moks(shlex.split(cmd.replace("#FRAME_START#", str(a)).replace("#FRAME_END#",
                                                                          str(b))))
    run_moks(shlex.split(merge_layer.findtext("cmd")))
    check_merged(job, path, reference_bake)


def parse_keyvalue(text: str) -> dict[str, str]:
    """Deadline's job/plugin info format: one ``Key=Value`` per line, keys unique."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        assert sep and key and key == key.strip() and key not in pairs, line
        pairs[key] = value
    return pairs


def test_deadline_files_parse_and_run(tmp_path, make_graph, reference_bake):
    path = make_graph("shot", seed=14, end=230)
    job, files = farm_export("deadline", [path], tmp_path / "deadline", frames="1-230",
                             chunk=50, host="npz")
    by_name = {f.name: f for f in files}
    assert sorted(by_name) == ["shot_chunks.job_info.job", "shot_chunks.plugin_info.job",
                               "shot_merge.job_info.job", "shot_merge.plugin_info.job",
                               "submit.sh"]
    info = parse_keyvalue(by_name["shot_chunks.job_info.job"].read_text())
    assert info["Plugin"] == "CommandLine" and info["Frames"] == "1-230"
    assert info["ChunkSize"] == "50" and info["Name"] == "shot chunks"
    plugin = parse_keyvalue(by_name["shot_chunks.plugin_info.job"].read_text())
    assert plugin["Executable"] == "moks" and "<STARTFRAME>-<ENDFRAME>" in plugin["Arguments"]
    merge_info = parse_keyvalue(by_name["shot_merge.job_info.job"].read_text())
    assert merge_info["Plugin"] == "CommandLine" and merge_info["BatchName"] == info["BatchName"]
    submit = by_name["submit.sh"].read_text()
    assert ("deadlinecommand -SubmitMultipleJobs -dependent -job shot_chunks.job_info.job "
            "shot_chunks.plugin_info.job -job shot_merge.job_info.job "
            "shot_merge.plugin_info.job") in submit
    for a in range(1, 231, 50):  # Deadline chunks Frames by ChunkSize and fills the tokens
        args = plugin["Arguments"].replace("<STARTFRAME>", str(a)).replace(
            "<ENDFRAME>", str(min(a + 49, 230)))
        run_moks([plugin["Executable"], *shlex.split(args)])
    merge_plugin = parse_keyvalue(by_name["shot_merge.plugin_info.job"].read_text())
    run_moks([merge_plugin["Executable"], *shlex.split(merge_plugin["Arguments"])])
    check_merged(job, path, reference_bake)


def test_export_refuses_bad_input(tmp_path, make_graph):
    broken = tmp_path / "broken.mgraph"
    broken.write_text("{")
    with pytest.raises(MoksError, match="MG111"):
        farm_export("openjd", [broken], tmp_path / "job.json")
    with pytest.raises(ValueError, match="fmt"):
        farm_export("tractor", [make_graph("a", end=10)], tmp_path / "job.json")
    with pytest.raises(MoksError, match="larger --chunk"):
        farm_export("openjd", [make_graph("b", end=2000)], tmp_path / "job.json", chunk=1)
