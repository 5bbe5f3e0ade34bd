"""Farm job directories: a snapshot of every submitted graph, replayed exactly by the workers.

The details (moved from this docstring): docs/farm.md, "Module notes", `hosts/farm/jobs.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from moks_graph import codec, mgraph
from moks_graph.cache import atomic_write_bytes
from moks_graph.channels import Channels
from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.graph import Graph
from moks_graph.hosts.farm.framesets import FrameSet, as_frameset, chunks
from moks_graph.registry import Registry, default_registry
from moks_graph.timebase import TimeArray

JOB_SCHEMA = "moks-farm-job/1"
JOB_FILE = "job.json"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
#: Largest job.json read (a job of many graphs is a few MB).
_MAX_JOB_BYTES = 256 * 1024 * 1024


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, indent=2).encode() + b"\n"


# -- plugin manifest -----------------------------------------------------------
def _class_file(cls: type) -> str | None:
    try:
        return inspect.getsourcefile(cls)
    except (TypeError, OSError):
        return None


def plugin_manifest(graph: Graph, registry: Registry | None = None) -> dict[str, dict[str, Any]]:
    """The node types a graph uses, by type id: version, registry source, module and code hash.

    ``sha256`` is the SHA-256 of the file that defines the node class (``None``
    when the class has no source file, e.g. defined interactively). Types the
    registry does not know are listed with ``"missing": true``.
    """
    reg = registry if registry is not None else graph.registry
    out: dict[str, dict[str, Any]] = {}
    for type_id in sorted({rec.type for rec in graph.nodes.values()}):
        cls = reg.get(type_id)
        if cls is None:
            out[type_id] = {"missing": True}
            continue
        file = _class_file(cls)
        digest = None
        if file is not None:
            with contextlib.suppress(OSError):
                digest = _sha256(Path(file).read_bytes())
        out[type_id] = {
            "type_version": cls.type_version,
            "source": reg.source(type_id),
            "module": cls.__module__,
            "qualname": cls.__qualname__,
            "file": file,
            "sha256": digest,
        }
    return out


def verify_plugins(recorded: dict[str, dict[str, Any]], graph: Graph,
                   registry: Registry | None = None, source: str | None = None) -> None:
    """Raise MoksError (MG132) if a node type's version or code differs from ``recorded``."""
    current = plugin_manifest(graph, registry)
    problems = []
    for type_id, then in sorted(recorded.items()):
        now = current.get(type_id, {"missing": True})
        if now.get("missing"):
            problems.append(f"node type {type_id!r} is not installed on this worker")
        elif then.get("type_version") != now.get("type_version"):
            problems.append(f"node type {type_id!r} is version {now.get('type_version')} here, "
                            f"{then.get('type_version')} when submitted")
        elif then.get("sha256") != now.get("sha256"):
            problems.append(f"node type {type_id!r}: the code in {now.get('file')} changed since "
                            f"submission (sha256 {str(then.get('sha256'))[:12]} -> "
                            f"{str(now.get('sha256'))[:12]})")
    if problems:
        raise MoksError([Problem("MG132", p + "; resubmit the job to use this code")
                         for p in problems], source)


# -- the job ---------------------------------------------------------------
@dataclass(frozen=True)
class JobGraph:
    """One graph of a job: where its snapshot is, which frames, how it is chunked.

    ``error`` is set (and ``chunks`` empty) when the graph could not be
    submitted (unreadable, invalid, bad frames); the other graphs still run.
    """

    name: str
    source: str
    frames: str = ""
    first: int = 0
    last: int = 0
    subframes: int = 1
    fps: float = 24.0
    snapshot_sha256: str = ""
    plugins_sha256: str = ""
    chunks: tuple[tuple[int, int], ...] = ()
    output: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Job:
    """A job directory (see the module doc)."""

    root: Path
    id: str
    host: str
    chunk: int
    graphs: tuple[JobGraph, ...] = field(default_factory=tuple)

    def graph(self, name: str) -> JobGraph:
        for g in self.graphs:
            if g.name == name:
                return g
        raise MoksError(Problem("MG112", f"job {self.id} has no graph {name!r}; it has "
                                f"{', '.join(g.name for g in self.graphs) or 'none'}"),
                        str(self.root))

    def _field(self, name: str, field_name: str) -> tuple[str, str]:
        """The JSON path of graph ``name``'s ``field_name`` in job.json."""
        for i, g in enumerate(self.graphs):
            if g.name == name:
                return f"$.graphs[{i}].{field_name}", field_name
        return NO_PATH, field_name

    def _inside(self, path: Path, base: Path, name: str, field_name: str) -> Path:
        """``path`` if it stays inside ``base`` once symlinks are resolved; else MoksError.

        A job folder is shared storage that others can write to: a symlink
        planted at ``graphs/<name>``, ``chunks/`` or the output must not carry
        a worker's writes out of the job folder.
        """
        try:
            inside = path.resolve().is_relative_to(base.resolve())
        except (OSError, RuntimeError):  # a symlink loop
            inside = False
        if not inside or (path.is_symlink() and path != base):
            json_path, fld = self._field(name, field_name)
            raise MoksError(Problem("MG141", f"{str(path)!r} is a symlink or leads outside "
                                    f"{str(base)!r}; refused (job.json: graph {name!r}, "
                                    f"field {field_name})", json_path, field=fld),
                            str(self.root / JOB_FILE))
        return path

    def graph_dir(self, name: str) -> Path:
        if not re.fullmatch(_PLAIN_NAME, name):
            raise MoksError(Problem("MG110", f"graph name {name!r} is not a plain file name",
                                    NO_PATH, field="name"), str(self.root / JOB_FILE))
        return self._inside(self.root / "graphs" / name, self.root, name, "name")

    def snapshot_path(self, name: str) -> Path:
        return self.graph_dir(name) / "graph.mgraph"

    def plugins_path(self, name: str) -> Path:
        return self.graph_dir(name) / "plugins.json"

    def chunk_key(self, g: JobGraph, start: int, end: int) -> str:
        """The content key of chunk ``[start, end]`` of graph ``g`` (module doc)."""
        spec = {"graph": g.snapshot_sha256, "plugins": g.plugins_sha256, "start": start,
                "end": end, "final": end == g.last, "subframes": g.subframes}
        return _sha256(json.dumps(spec, sort_keys=True).encode())[:16]

    def chunk_path(self, g: JobGraph, start: int, end: int) -> Path:
        key = self.chunk_key(g, start, end)
        path = self.graph_dir(g.name) / "chunks" / f"{start}_{end}.{key}.npz"
        return self._inside(path, self.root, g.name, "chunks")

    def output_path(self, g: JobGraph) -> Path:
        """Where the merged file goes by default: beside the job directory.

        ``output`` is a plain file name (the schema), and the file may not be
        a symlink (MoksError MG141 naming job.json and the field).
        """
        if not re.fullmatch(_PLAIN_NAME, g.output):
            json_path, fld = self._field(g.name, "output")
            raise MoksError(Problem("MG110", f"output {g.output!r} is not a plain file name",
                                    json_path, field=fld), str(self.root / JOB_FILE))
        return self._inside(self.root.parent / g.output, self.root.parent, g.name, "output")

    def to_json(self) -> dict[str, Any]:
        graphs = []
        for g in self.graphs:
            item = asdict(g)
            item["chunks"] = [list(c) for c in g.chunks]
            graphs.append(item)
        return {"schema": JOB_SCHEMA, "id": self.id, "host": self.host, "chunk": self.chunk,
                "graphs": graphs}


def _unique_names(paths: Sequence[Path]) -> list[str]:
    names: list[str] = []
    for p in paths:
        base = _SAFE.sub("_", p.stem).lstrip(".-")[:180] or "graph"  # a plain name
        name, i = base, 2
        while name in names:
            name, i = f"{base}-{i}", i + 1
        names.append(name)
    return names


def _describe(exc: MoksError) -> str:
    return "; ".join(f"{p.code} {p.message}" for p in exc.problems)


def _chunk_safe(graph: Graph) -> bool:
    """False when a node class says its values depend on the start of the range.

    A node class may set ``chunkable = False`` (e.g. a filter with state
    accumulated from the first frame); its graph is then baked as one chunk.
    """
    for rec in graph.nodes.values():
        cls = graph.registry.get(rec.type)
        if cls is not None and getattr(cls, "chunkable", True) is False:
            return False
    return True


def create_job(graphs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
               frames: str | FrameSet | tuple[int, int] | None = None, chunk: int = 100,
               host: str = "npz", subframes: int | None = None, suffix: str = ".npz",
               registry: Registry | None = None) -> Job:
    """Snapshot ``graphs`` into a new job directory under ``out``; returns the :class:`Job`.

    ``frames``: one frame set for every graph (must be contiguous: a bake covers
    a range), default each graph's own ``frame_start..frame_end``. ``chunk``:
    frames per chunk. ``suffix``: the merged output file suffix for ``host``.
    A graph that cannot be read, is invalid, or has bad frames is recorded with
    its error; the others are still submitted.
    """
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk: frames per chunk must be an int >= 1, got {chunk!r}")
    if not graphs:
        raise ValueError("graphs: give at least one .mgraph file")
    if subframes is not None and (not isinstance(subframes, int) or not 1 <= subframes <= 64):
        raise ValueError(f"subframes: must be an int in 1..64, got {subframes!r}")
    job_frames = as_frameset(frames) if frames is not None else None
    reg = registry if registry is not None else default_registry()
    root_out = Path(out).resolve()  # tasks may run elsewhere: absolute paths only
    root_out.mkdir(parents=True, exist_ok=True)
    paths = [Path(p) for p in graphs]
    names = _unique_names(paths)
    staged: list[tuple[JobGraph, bytes, bytes]] = []
    for path, name in zip(paths, names, strict=True):
        try:
            graph = mgraph.load(path, reg)
            problems = graph.validate()
            if problems:
                raise MoksError(problems, str(path))
            fs = job_frames or FrameSet.range(graph.settings.frame_start, graph.settings.frame_end)
            if not fs.is_contiguous:
                raise MoksError(Problem("MG131", f"frame set {str(fs)!r} has gaps; a bake "
                                        "needs one contiguous range such as 1-240"))
            text = mgraph.dumps(graph).encode()
            plugins = _canonical(plugin_manifest(graph, reg))
            sub = subframes if subframes is not None else graph.settings.subframes
            plan = chunks(fs, chunk) if _chunk_safe(graph) else [(fs.first, fs.last)]
            entry = JobGraph(name, str(path.resolve()), str(fs), fs.first, fs.last, sub,
                             graph.settings.fps, _sha256(text), _sha256(plugins), tuple(plan),
                             name + suffix)
            staged.append((entry, text, plugins))
        except MoksError as exc:
            staged.append((JobGraph(name, str(path.resolve()), error=_describe(exc)), b"", b""))
    ident = {"host": host, "chunk": chunk, "graphs": [
        [g.name, g.snapshot_sha256, g.plugins_sha256, g.frames, g.subframes, g.error]
        for g, _, _ in staged]}
    job_id = "job-" + _sha256(json.dumps(ident, sort_keys=True).encode())[:12]
    job = Job(root_out / job_id, job_id, host, chunk, tuple(g for g, _, _ in staged))
    for g, text, plugins in staged:  # the snapshot first ...
        if not g.ok:
            continue
        (job.graph_dir(g.name) / "chunks").mkdir(parents=True, exist_ok=True)
        (job.graph_dir(g.name) / "attempts").mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(job.snapshot_path(g.name), text)
        atomic_write_bytes(job.plugins_path(g.name), plugins)
    job.root.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(job.root / JOB_FILE, _canonical(job.to_json()))  # ... job.json last
    return job


# -- reading job.json: a schema, and names that stay inside the job folder ----------
#: A graph name or output file name from job.json: one plain path component (no separator,
#: not ``.`` or ``..``, no leading dot), so ``graphs/<name>/`` and the output stay in place.
_PLAIN_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$"
_Sha = Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{64})?$")]
_Int = Annotated[int, Field(strict=True)]
#: Most chunks a job.json may list per graph (1 frame per chunk over the MG131 work budget).
_MAX_CHUNKS = 1_000_000


class _JobGraphModel(BaseModel):
    """One entry of ``job.json``'s ``graphs`` (see :class:`JobGraph`)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(pattern=_PLAIN_NAME)]
    source: Annotated[str, StringConstraints(max_length=4096)]
    frames: Annotated[str, StringConstraints(max_length=4096)] = ""
    first: _Int = 0
    last: _Int = 0
    subframes: Annotated[int, Field(strict=True, ge=1, le=64)] = 1
    fps: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 24.0
    snapshot_sha256: _Sha = ""
    plugins_sha256: _Sha = ""
    chunks: Annotated[list[tuple[_Int, _Int]], Field(max_length=_MAX_CHUNKS)] = []
    output: Annotated[str, StringConstraints(pattern=_PLAIN_NAME)] | Literal[""] = ""
    error: Annotated[str, StringConstraints(max_length=100_000)] | None = None

    @model_validator(mode="after")
    def _ranges(self) -> _JobGraphModel:
        if self.error is None:
            if self.first > self.last:
                raise ValueError(f"first ({self.first}) is after last ({self.last})")
            for a, b in self.chunks:
                if not self.first <= a <= b <= self.last:
                    raise ValueError(f"chunk [{a}, {b}] is not inside frames "
                                     f"{self.first}-{self.last}")
        return self


class _JobModel(BaseModel):
    """``job.json`` (see :meth:`Job.to_json`)."""

    model_config = ConfigDict(extra="forbid")

    schema_: Literal["moks-farm-job/1"] = Field(alias="schema")
    id: Annotated[str, StringConstraints(pattern=r"^job-[0-9a-f]{12}$")]
    host: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    chunk: Annotated[int, Field(strict=True, ge=1)]
    graphs: Annotated[list[_JobGraphModel], Field(max_length=100_000)]

    @model_validator(mode="after")
    def _unique(self) -> _JobModel:
        seen: set[str] = set()
        for g in self.graphs:
            if g.name in seen:
                raise ValueError(f"graph name {g.name!r} appears twice")
            seen.add(g.name)
        return self


def _json_path(loc: tuple[int | str, ...]) -> tuple[str, str | None]:
    """A pydantic error location as a JSON path into job.json and the field's name."""
    path, field_name = "$", None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith(("function-after", "tuple[", "list[", "constrained-str",
                              "literal[", "str", "none")):
            continue  # union/validator branches, not keys in the file
        else:
            field_name = "schema" if part == "schema_" else part
            path += f".{field_name}"
    return path, field_name


def _schema_problems(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False, include_input=False):
        path, field_name = _json_path(tuple(err["loc"]))
        if path in seen:  # one problem per place (a union reports each branch)
            continue
        seen.add(path)
        message = str(err["msg"])
        if field_name in ("name", "output") and err["type"] in ("string_pattern_mismatch",
                                                                "literal_error"):
            message = ("must be a plain file name (letters, digits, '_', '.', '-'; no path "
                       "separator, no leading dot, no '..'): names in job.json stay inside "
                       "the job folder")
        problems.append(Problem("MG110", f"job.json: {message}", path, field=field_name))
    return problems


def load_job(path: str | os.PathLike[str]) -> Job:
    """Read a job directory (or its ``job.json``), checked against the job schema.

    ``job.json`` is data a farm worker did not write itself, so it is not
    trusted: it must match the schema (MG110/MG113 with the JSON path and
    field otherwise), graph and output names are plain file names, and the
    job's folders (``graphs/<name>/...``) must not be symlinks leading out of
    the job folder (checked when they are used).
    """
    p = Path(path)
    file = p if p.name == JOB_FILE else p / JOB_FILE
    try:
        with open(file, "rb") as fh:
            data = fh.read(_MAX_JOB_BYTES + 1)
        if len(data) > _MAX_JOB_BYTES:
            raise MoksError(Problem("MG112", f"job.json is larger than {_MAX_JOB_BYTES} bytes",
                                    NO_PATH), str(file))
        doc = json.loads(data)
    except FileNotFoundError:
        raise MoksError(Problem("MG112", "not a farm job directory (no job.json)", NO_PATH),
                        str(p)) from None
    except MoksError:
        raise
    except (OSError, ValueError, RecursionError) as exc:
        raise MoksError(Problem("MG112" if isinstance(exc, OSError) else "MG111",
                                f"cannot read job.json: {type(exc).__name__}: "
                                f"{str(exc)[:200]}", NO_PATH), str(file)) from None
    if not isinstance(doc, dict):
        raise MoksError(Problem("MG110", "job.json must hold a JSON object"), str(file))
    if doc.get("schema") != JOB_SCHEMA:
        raise MoksError(Problem("MG113", f"job.json schema is not {JOB_SCHEMA!r}", "$.schema",
                                field="schema"), str(file))
    try:
        model = _JobModel.model_validate(doc)
    except ValidationError as exc:
        raise MoksError(_schema_problems(exc), str(file)) from None
    graphs = tuple(JobGraph(g.name, g.source, g.frames, g.first, g.last, g.subframes, g.fps,
                            g.snapshot_sha256, g.plugins_sha256,
                            tuple((a, b) for a, b in g.chunks), g.output, g.error)
                   for g in model.graphs)
    return Job(file.parent, model.id, model.host, model.chunk, graphs)


def load_snapshot(job: Job, name: str, registry: Registry | None = None,
                  verify: bool = True) -> Graph:
    """The submitted graph, from the job's snapshot; checks its hash and (``verify``) plugins."""
    g = job.graph(name)
    if not g.ok:
        raise MoksError(Problem("MG120", f"graph {name!r} was not submitted: {g.error}"),
                        g.source)
    path = job.snapshot_path(name)
    data = path.read_bytes()
    if _sha256(data) != g.snapshot_sha256:
        raise MoksError(Problem("MG112", "the snapshot was modified after submission "
                                "(SHA-256 differs from job.json)"), str(path))
    graph = mgraph.loads(data, str(path), registry)
    if verify:
        recorded = json.loads(job.plugins_path(name).read_text())
        verify_plugins(recorded, graph, registry, str(path))
    return graph


# -- chunk files --------------------------------------------------------------
def _replace_bytes(path: Path, data: bytes) -> None:
    """Atomic but neither fsynced nor swept: chunk files are verified when read.

    A chunk is only ever used after it decodes and carries its key, so a file torn by a power
    cut is recomputed, never merged; skipping the fsyncs saves milliseconds per chunk.
    """
    atomic_write_bytes(path, data, sweep=False, durable=False)


def write_chunk(path: Path, key: str, channels: Channels) -> None:
    """Write one chunk atomically as .npz (codec form); the key is stored inside.

    The channels are packed into one ``(channels, samples)`` float64 array (a
    lossless copy) so the file holds three arrays, not one per channel.
    """
    names = list(channels.values)
    n = len(channels.time)
    packed = (np.stack([channels.values[k] for k in names]) if names
              else np.empty((0, n), dtype=np.float64))
    doc = {"key": key, "fps": channels.time.fps, "frames": channels.time.frames,
           "names": names, "kinds": dict(channels.kinds), "values": packed}
    _replace_bytes(path, codec.to_npz_bytes(doc))


def read_chunk(path: Path, key: str | None) -> Channels | None:
    """The chunk's Channels if the file exists, decodes and carries ``key``; else None.

    ``key=None`` accepts any key (a chunk file handed over by hand).
    """
    try:
        doc = codec.from_npz_bytes(Path(path).read_bytes())
        if not isinstance(doc, dict) or (key is not None and doc.get("key") != key):
            return None
        values = doc["values"]
        time = TimeArray(doc["frames"], float(doc["fps"]))
        return Channels(time, {k: values[i] for i, k in enumerate(doc["names"])}, doc["kinds"])
    except FileNotFoundError:
        return None
    except Exception:  # a torn or foreign file is a miss: the chunk is recomputed
        return None


def mark_attempt(job: Job, g: JobGraph, start: int, end: int) -> None:
    """Record one attempt at a chunk (an empty file), for the retry count."""
    folder = job._inside(job.graph_dir(g.name) / "attempts", job.root, g.name, "name")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{start}_{end}.{os.getpid()}-{uuid.uuid4().hex[:8]}").touch()


def attempts(job: Job, g: JobGraph) -> dict[tuple[int, int], int]:
    """How many times each chunk of ``g`` was started."""
    counts: dict[tuple[int, int], int] = {}
    folder = job.graph_dir(g.name) / "attempts"
    if folder.is_dir():
        for f in folder.iterdir():
            a, _, b = f.name.split(".", 1)[0].partition("_")
            with contextlib.suppress(ValueError):
                counts[(int(a), int(b))] = counts.get((int(a), int(b)), 0) + 1
    return counts
