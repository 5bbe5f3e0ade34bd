"""``moks farm export``: job descriptions for farm managers (OpenJD, OpenCue, Deadline).

The details (moved from this docstring): docs/farm.md, "Module notes", `hosts/farm/export.py`.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moks_graph.cache import atomic_write_bytes
from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.hosts.farm.framesets import FrameSet
from moks_graph.hosts.farm.jobs import Job, JobGraph, create_job
from moks_graph.hosts.farm.pathmap import PATH_MAP_ENV, path_map_text
from moks_graph.hosts.farm.writer import farm_writer, host_suffix

FORMATS = ("openjd", "opencue", "deadline")
OPENJD_VERSION = "jobtemplate-2023-09"
OPENCUE_DTD = "http://localhost:8080/spcue/dtd/cjsl-1.15.dtd"
#: OpenJD allows at most 1024 values in a list-form task parameter range.
OPENJD_MAX_TASKS = 1024
_TOKEN = re.compile(r"[^A-Za-z0-9_.-]+")
#: Characters an argument may hold bare on a manager's command line: shell- and
#: Windows-safe, plus the managers' own frame tokens (``<STARTFRAME>``, ``#FRAME_START#``)
#: and OpenJD's ``{{...}}``, which the manager replaces before anything runs.
_BARE = re.compile(r"^[A-Za-z0-9_./:@%+,<>#{}=-]+$")
#: Characters that cannot travel inside double quotes to both a shell and a Windows/.NET
#: argument parser with the same meaning, and every control or line-breaking character
#: (a manager's file format may end a line there: text from a file name would become a key).
_UNQUOTABLE = re.compile(r'["\\$`!\x00-\x1f\x7f-\x9f\u2028\u2029]')


@dataclass(frozen=True)
class FarmOptions:
    """What a wrangler sets on a farm job (``moks farm export`` flags).

    ``show``/``shot``/``user``: OpenCue's spec header (``user`` defaults to ``$USER``);
    ``priority``: OpenCue job priority and Deadline ``Priority``; ``pool``: Deadline
    ``Pool``; ``memory_mb``: OpenCue layer ``<memory>`` and OpenJD host requirement
    ``amount.worker.memory`` (Deadline has no per-job memory request: use its limits);
    ``env``: variables every task sees (OpenJD job environment, OpenCue ``<env>``,
    Deadline ``EnvironmentKeyValueN``); ``path_map``: ``(FROM, TO)`` rules for machines
    that mount the storage elsewhere (``MOKS_PATH_MAP`` in the task environment for
    OpenCue and Deadline; OpenJD maps its ``PATH`` job parameters itself).
    """

    show: str = "moks"
    shot: str = "farm"
    user: str | None = None
    priority: int | None = None
    pool: str | None = None
    memory_mb: int | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    path_map: Sequence[tuple[str, str]] = ()

    def environment(self) -> dict[str, str]:
        """``env`` plus ``MOKS_PATH_MAP`` when there are path-map rules."""
        out = {str(k): str(v) for k, v in self.env.items()}
        for key, value in out.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or "\n" in value:
                raise ValueError(f"env: {key!r} is not a variable name or its value has a "
                                 "newline")
        if self.path_map:
            out[PATH_MAP_ENV] = path_map_text(list(self.path_map))
        return out


def command_line(argv: Sequence[str]) -> str:
    """One command line that a shell and a plain (Windows / .NET) argument split both read
    back as ``argv``: bare words where safe, double quotes around an argument with spaces,
    no single quotes (they reach the program when no shell runs it). ``ValueError`` for an
    argument that cannot travel both ways (``"``, ``\\``, ``$``, backquote, ``!``, newline)."""
    out = []
    for arg in argv:
        if _BARE.match(arg):
            out.append(arg)
        elif arg and not _UNQUOTABLE.search(arg):
            out.append(f'"{arg}"')
        else:
            raise ValueError(f"argument {arg!r} cannot be passed on a farm manager's command "
                             "line the same way with and without a shell; use a plainer path")
    return " ".join(out)


def chunk_command(job: Job, g: JobGraph, frames: str, moks: str = "moks",
                  job_dir: str | None = None) -> list[str]:
    """``moks farm chunk JOBDIR --graph NAME --frames FRAMES`` as an argv list
    (``job_dir``: what to write for JOBDIR, e.g. an OpenJD ``{{Param.JobDir}}``)."""
    return [moks, "farm", "chunk", job_dir or str(job.root), "--graph", g.name,
            "--frames", frames]


def merge_command(job: Job, g: JobGraph, moks: str = "moks", job_dir: str | None = None,
                  output_dir: str | None = None) -> list[str]:
    """``moks farm merge JOBDIR --graph NAME --out FILE`` as an argv list."""
    out = (f"{output_dir}/{job.output_path(g).name}" if output_dir
           else str(job.output_path(g)))
    return [moks, "farm", "merge", job_dir or str(job.root), "--graph", g.name, "--out", out]


# -- OpenJD ------------------------------------------------------------------------
def openjd_template(job: Job, moks: str = "moks", name: str | None = None,
                    options: FarmOptions | None = None,
                    template_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The OpenJD job template of a job (module doc).

    The job folder and the output folder are ``PATH`` job parameters (``JobDir``,
    ``OutputDir``); their defaults are relative to ``template_dir`` (the folder the
    template is written to, default the job folder's parent), as OpenJD requires, so
    ``openjd run`` and a worker's path-mapping rules resolve them where the job runs.
    """
    opts = options or FarmOptions()
    base = Path(template_dir) if template_dir is not None else job.root.parent
    job_dir, output_dir = "{{Param.JobDir}}", "{{Param.OutputDir}}"
    requirements = ({"hostRequirements": {"amounts": [
        {"name": "amount.worker.memory", "min": int(opts.memory_mb)}]}}
        if opts.memory_mb else {})
    steps: list[dict[str, Any]] = []
    for g in job.graphs:
        if len(g.chunks) > OPENJD_MAX_TASKS:
            raise MoksError(Problem("MG131", f"graph {g.name!r} has {len(g.chunks)} chunks; "
                                    f"OpenJD allows {OPENJD_MAX_TASKS} tasks per step: use a "
                                    "larger --chunk"))
        chunk_cmd = chunk_command(job, g, "{{Task.Param.Frames}}", moks, job_dir)
        merge_cmd = merge_command(job, g, moks, job_dir, output_dir)
        steps.append({
            "name": f"{g.name}-chunks"[:64],
            "parameterSpace": {"taskParameterDefinitions": [
                {"name": "Frames", "type": "STRING", "range": [f"{a}-{b}" for a, b in g.chunks]},
            ]},
            "script": {"actions": {"onRun": {"command": chunk_cmd[0], "args": chunk_cmd[1:]}}},
            **requirements,
        })
        steps.append({
            "name": f"{g.name}-merge"[:64],
            "dependencies": [{"dependsOn": f"{g.name}-chunks"[:64]}],
            "script": {"actions": {"onRun": {"command": merge_cmd[0], "args": merge_cmd[1:]}}},
            **requirements,
        })
    template: dict[str, Any] = {
        "specificationVersion": OPENJD_VERSION,
        "name": (name or f"moks farm bake {job.id}")[:128],
        "description": f"MOKS Graph farm bake of {len(job.graphs)} graph(s) to {job.host}",
        "parameterDefinitions": [
            {"name": "JobDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "INOUT",
             "default": _relative(job.root, base),
             "description": "The job snapshot folder (chunks are written in it)."},
            {"name": "OutputDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "OUT",
             "default": _relative(job.root.parent, base),
             "description": "Where the merged host files go."},
        ],
        "steps": steps}
    env = opts.environment()
    env.pop(PATH_MAP_ENV, None)  # OpenJD maps PATH parameters with the worker's own rules
    if env:
        template["jobEnvironments"] = [{"name": "MoksEnvironment", "variables": env}]
    return template


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` with ``/`` separators (OpenJD joins PATH defaults to
    the template's folder)."""
    return Path(os.path.relpath(Path(path).resolve(), Path(base).resolve())).as_posix()


def validate_openjd(template: dict[str, Any]) -> Any:
    """Decode ``template`` with openjd-model and instantiate the job (MoksError if invalid)."""
    try:
        from openjd.model import create_job, decode_job_template
    except ImportError:
        raise MoksError(Problem("MG140", "OpenJD export needs openjd-model: pip install "
                                "'moks-graph[farm]'", NO_PATH)) from None
    try:
        return create_job(job_template=decode_job_template(template=template),
                          job_parameter_values={})
    except Exception as exc:  # openjd raises DecodeValidationError / ValueError
        raise MoksError(Problem("MG110", f"the OpenJD template is invalid: {exc}")) from None


def _openjd_text(template: dict[str, Any], path: Path) -> str:
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        return str(yaml.safe_dump(template, sort_keys=False))
    return json.dumps(template, indent=2) + "\n"


# -- OpenCue -------------------------------------------------------------------------
def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def opencue_spec(job: Job, moks: str = "moks", *, name: str | None = None,
                 options: FarmOptions | None = None) -> str:
    """The OpenCue XML job spec of a job (module doc)."""
    opts = options or FarmOptions()
    user = opts.user or os.environ.get("USER") or "moks"
    job_name = _TOKEN.sub("_", name or f"moks_{job.id}")
    root = ET.Element("spec")
    _sub(root, "show", _TOKEN.sub("_", opts.show))
    _sub(root, "shot", _TOKEN.sub("_", opts.shot))
    _sub(root, "user", _TOKEN.sub("_", user))
    el = _sub(root, "job", name=job_name)
    _sub(el, "paused", "False")
    if opts.priority is not None:
        _sub(el, "priority", str(int(opts.priority)))
    _sub(el, "maxretries", "2")
    _sub(el, "autoeat", "False")
    env = opts.environment()
    if env:
        env_el = _sub(el, "env")
        for key, value in env.items():
            _sub(env_el, "key", value, name=key)
    layers = _sub(el, "layers")
    depends = ET.Element("depends")
    for g in job.graphs:
        chunks_layer, merge_layer = f"{_TOKEN.sub('_', g.name)}_chunks", f"{g.name}_merge"
        merge_layer = _TOKEN.sub("_", merge_layer)
        layer = _sub(layers, "layer", name=chunks_layer, type="Render")
        _sub(layer, "cmd", command_line(chunk_command(job, g, "#FRAME_START#-#FRAME_END#",
                                                      moks)))
        _sub(layer, "range", g.frames)
        _sub(layer, "chunk", str(job.chunk))
        _sub(layer, "cores", "1")
        if opts.memory_mb:
            _sub(layer, "memory", f"{int(opts.memory_mb)}m")
        _sub(_sub(layer, "services"), "service", "shell")
        layer = _sub(layers, "layer", name=merge_layer, type="Util")
        _sub(layer, "cmd", command_line(merge_command(job, g, moks)))
        _sub(layer, "range", "1")
        _sub(layer, "chunk", "1")
        _sub(layer, "cores", "1")
        if opts.memory_mb:
            _sub(layer, "memory", f"{int(opts.memory_mb)}m")
        _sub(_sub(layer, "services"), "service", "shell")
        dep = _sub(depends, "depend", type="LAYER_ON_LAYER", anyframe="False")
        _sub(dep, "depjob", job_name)
        _sub(dep, "deplayer", merge_layer)
        _sub(dep, "onjob", job_name)
        _sub(dep, "onlayer", chunks_layer)
    root.append(depends)
    ET.indent(root)
    return ('<?xml version="1.0"?>\n'
            f'<!DOCTYPE spec PUBLIC "SPI Cue  Specification Language" "{OPENCUE_DTD}">\n'
            + ET.tostring(root, encoding="unicode") + "\n")


# -- Deadline ------------------------------------------------------------------------
def _keyvalue(pairs: dict[str, str]) -> str:
    """Deadline's ``Key=Value`` lines. A key or value holding a control or line-breaking
    character (``\\r`` included: Deadline ends a line there too, so a graph file named
    ``x\\rPostJobScript=...`` would add a key) is refused, as is ``=`` in a key."""
    for key, value in pairs.items():
        bad = next((ch for ch in key + value if not ch.isprintable()), None)
        if bad is not None or "=" in key:
            why = f"holds the control character U+{ord(bad):04X}" if bad else "has '='"
            raise ValueError(f"deadline: {key[:80]!r}={value[:200]!r} cannot be written on "
                             f"one line: it {why} (rename the file or graph)")
    return "".join(f"{k}={v}\n" for k, v in pairs.items())


def _deadline_job_info(pairs: dict[str, str], opts: FarmOptions) -> dict[str, str]:
    out = dict(pairs)
    if opts.pool:
        out["Pool"] = opts.pool
    if opts.priority is not None:
        out["Priority"] = str(int(opts.priority))
    for i, (key, value) in enumerate(opts.environment().items()):
        out[f"EnvironmentKeyValue{i}"] = f"{key}={value}"
    return out


def deadline_files(job: Job, moks: str = "moks", name: str | None = None,
                   options: FarmOptions | None = None) -> dict[str, str]:
    """Deadline job/plugin info files and ``submit.sh``, by file name (module doc)."""
    opts = options or FarmOptions()
    files: dict[str, str] = {}
    submit = ["#!/bin/sh", "# Submit each graph's chunk job and its dependent merge job.",
              "set -e", 'cd "$(dirname "$0")"']
    batch = name or f"moks farm bake {job.id}"
    for g in job.graphs:
        base = _TOKEN.sub("_", g.name)
        chunk_cmd = chunk_command(job, g, "<STARTFRAME>-<ENDFRAME>", moks)
        merge_cmd = merge_command(job, g, moks)
        files[f"{base}_chunks.job_info.job"] = _keyvalue(_deadline_job_info({
            "Plugin": "CommandLine", "Name": f"{g.name} chunks", "BatchName": batch,
            "Comment": f"moks farm chunks of {g.source}", "Frames": g.frames,
            "ChunkSize": str(job.chunk)}, opts))
        files[f"{base}_chunks.plugin_info.job"] = _keyvalue({
            "Executable": chunk_cmd[0], "Arguments": command_line(chunk_cmd[1:])})
        files[f"{base}_merge.job_info.job"] = _keyvalue(_deadline_job_info({
            "Plugin": "CommandLine", "Name": f"{g.name} merge", "BatchName": batch,
            "Comment": f"moks farm merge to {job.output_path(g)}", "Frames": "0",
            "ChunkSize": "1"}, opts))
        files[f"{base}_merge.plugin_info.job"] = _keyvalue({
            "Executable": merge_cmd[0], "Arguments": command_line(merge_cmd[1:])})
        submit.append(f"deadlinecommand -SubmitMultipleJobs -dependent "
                      f"-job {base}_chunks.job_info.job {base}_chunks.plugin_info.job "
                      f"-job {base}_merge.job_info.job {base}_merge.plugin_info.job")
    files["submit.sh"] = "\n".join(submit) + "\n"
    return files


# -- entry point -------------------------------------------------------------------
def farm_export(fmt: str, graphs: Sequence[str | os.PathLike[str]],
                out: str | os.PathLike[str], *,
                frames: str | FrameSet | tuple[int, int] | None = None, chunk: int = 100,
                host: str = "usd", subframes: int | None = None,
                job_dir: str | os.PathLike[str] | None = None, moks: str = "moks",
                name: str | None = None,
                options: FarmOptions | None = None) -> tuple[Job, list[Path]]:
    """Snapshot ``graphs`` into a job and write its ``fmt`` description at ``out``.

    ``job_dir``: folder that receives ``<job-id>/`` and the merged outputs
    (default: the folder of ``out``; it must be on storage the farm sees).
    ``moks``: the command farm machines run. ``options``: show, shot, user,
    pool, priority, memory, environment and path mapping (:class:`FarmOptions`).
    Returns the job and the files written. Raises MoksError listing every graph
    that could not be submitted.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt: choose one of {', '.join(FORMATS)}, got {fmt!r}")
    opts = options or FarmOptions()
    opts.environment()  # bad variable names or rules fail before the snapshot
    for label, text in [*(("graph", os.fspath(g)) for g in graphs), ("out", os.fspath(out)),
                        ("job_dir", os.fspath(job_dir or "")), ("name", name or ""),
                        ("show", opts.show), ("shot", opts.shot), ("user", opts.user or ""),
                        ("pool", opts.pool or "")]:
        bad = next((ch for ch in text if not ch.isprintable()), None)
        if bad is not None:  # it would reach the manager's files (and could end a line there)
            raise ValueError(f"{label} {text[:200]!r} holds the control character "
                             f"U+{ord(bad):04X}: a farm job cannot name it; rename it")
    farm_writer(host)
    target = Path(out)
    base = Path(job_dir) if job_dir is not None else (
        target if fmt == "deadline" else target.parent)
    job = create_job(graphs, base, frames=frames, chunk=chunk, host=host, subframes=subframes,
                     suffix=host_suffix(host))
    bad = [g for g in job.graphs if not g.ok]
    if bad:
        raise MoksError([Problem("MG120", f"{g.source}: {g.error}") for g in bad])
    written: list[Path] = []
    if fmt == "openjd":
        template = openjd_template(job, moks, name, opts, target.parent)
        validate_openjd(template)
        atomic_write_bytes(target, _openjd_text(template, target).encode())
        written.append(target)
    elif fmt == "opencue":
        atomic_write_bytes(target, opencue_spec(job, moks, name=name, options=opts).encode())
        written.append(target)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for file_name, text in deadline_files(job, moks, name, opts).items():
            atomic_write_bytes(target / file_name, text.encode())
            written.append(target / file_name)
    return job, written
