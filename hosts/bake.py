"""``moks bake``: evaluate a graph's Channels, resolve its selectors, hand them to one host writer.

Entry points: :func:`bake`, :func:`bake_file`, :func:`evaluate_bake`, :func:`write_bake`,
:func:`graph_targets`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsbakepy
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph import mgraph
from moks_graph.channels import Channels
from moks_graph.errors import NO_PATH, HostError, MoksError, Problem, problem_path
from moks_graph.extras import MissingExtra, require
from moks_graph.graph import Graph
from moks_graph.types import CHANNELS, VEC3

from .ambient import ambient_refs, write_ambient
from .linkage import Linkage, graph_linkage, linkage_refs
from .look import look_files, look_refs, remove_files, write_look
from .output_paths import output_path
from .selectors import (
    MappingResolver,
    Resolver,
    Selector,
    parse_selector,
    resolve_selectors,
    with_proxy_nulls,
)

#: ``progress(phase, done, total, detail)``: phase ``"evaluate"`` (done/total
#: nodes, detail = node id) then ``"write"`` (0/1 then 1/1, detail = host).
BakeProgress = Callable[[str, int, int, str], None]

#: Key of ``graph.meta`` that holds the role -> selector table.
SELECTORS_KEY = "selectors"


@dataclass(frozen=True)
class HostSpec:
    """How to reach one host's writer and which extra installs its library."""

    module: str
    function: str
    library: str
    extra: str
    suffixes: tuple[str, ...]


HOSTS: dict[str, HostSpec] = {
    "usd": HostSpec("moks_graph.hosts.usd.writer", "write_usd", "pxr", "usd",
                    (".usda", ".usdc", ".usd")),
    "blender": HostSpec("moks_graph.hosts.blender.writer", "write_blend", "bpy", "blender",
                        (".blend",)),
    "maya": HostSpec("moks_graph.hosts.maya.ma_writer", "write_ma", "", "", (".ma",)),
    "unreal": HostSpec("moks_graph.hosts.unreal.writer", "write_unreal", "bpy", "blender",
                       (".fbx",)),
    "alembic": HostSpec("moks_graph.hosts.alembic.writer", "write_abc", "bpy", "blender",
                        (".abc",)),
    "chan": HostSpec("moks_graph.hosts.nuke.chan", "write_chan", "", "", (".chan",)),
}
#: Hosts whose writers take a :class:`~moks_graph.hosts.linkage.Linkage` (``--link-to-target``).
LINK_HOSTS: frozenset[str] = frozenset({"usd", "blender", "maya", "unreal"})
#: Hosts whose writers take the film look and the SH ambient (``look=`` / ``ambient=``;
#: :mod:`moks_graph.hosts.look`, :mod:`moks_graph.hosts.ambient`).
FEATURE_HOSTS: frozenset[str] = frozenset({"usd", "blender", "maya", "unreal"})
#: Writer options a host accepts (``moks bake --up-axis/--meters-per-unit``).
HOST_OPTIONS: dict[str, frozenset[str]] = {
    "usd": frozenset({"up_axis", "meters_per_unit"}),
    "chan": frozenset({"meters_per_unit"}),
}


def host_writer(host: str) -> Callable[..., Any]:
    """The writer function of a host, with clear errors when unknown or not installed."""
    spec = HOSTS.get(host)
    if spec is None:
        raise HostError(Problem("MG140", f"unknown host {host!r}; choose one of "
                                f"{', '.join(sorted(HOSTS))}", NO_PATH))
    if spec.library:
        try:
            importlib.import_module(spec.library)
        except ImportError:
            raise HostError(Problem("MG140", f"host {host!r} needs the {spec.library!r} module "
                                    f"(the {spec.extra!r} extra): install it with "
                                    f"pip install 'moks-graph[{spec.extra}]'", NO_PATH)) from None
    try:
        module = importlib.import_module(spec.module)
    except ImportError as exc:
        raise HostError(Problem("MG140", f"host {host!r} writer is unavailable: {exc}",
                                NO_PATH)) from None
    return getattr(module, spec.function)


def check_output(host: str, out: str | os.PathLike[str]) -> Path:
    """``out`` as a Path if ``host`` can write there (suffix, folder, permissions), else HostError.

    Runs before evaluation so that a long bake never ends in "cannot write".
    """
    spec = HOSTS.get(host)
    if spec is None:
        raise HostError(Problem("MG140", f"unknown host {host!r}; choose one of "
                                f"{', '.join(sorted(HOSTS))}", NO_PATH))
    try:
        return output_path(out, spec.suffixes)
    except (OSError, ValueError, TypeError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise HostError(Problem("MG141", f"host {host!r}: {message}", NO_PATH, field="--out"),
                        str(out)) from None


def sink_channels(graph: Graph, result_values: dict[str, Any]) -> Channels:
    """Merge the Channels outputs of nodes that feed nothing (in node-id order)."""
    merged: Channels | None = None
    for ref in sink_refs(graph):
        value = result_values.get(ref)
        if value is not None:
            merged = value if merged is None else merged.merged(value)
    if merged is None:
        raise MoksError(Problem("MG120", "the graph has no Channels output to bake"), graph.source)
    return merged


def sink_refs(graph: Graph) -> list[str]:
    """``"node.port"`` of every Channels output of a node that feeds nothing, in node-id order."""
    refs: list[str] = []
    for node_id in sorted(graph.nodes):
        if graph.edges_from(node_id):
            continue
        cls = graph.node_class(node_id)
        if cls is None:
            continue
        refs += [f"{node_id}.{port}" for port, out in cls.outputs.items() if out.type is CHANNELS]
    return refs


def _evaluate(graph: Graph, refs: Sequence[str], frames: tuple[int, int] | None,
              subframes: int | None, progress: BakeProgress | None) -> dict[str, Any]:
    """Validate, then evaluate ``refs``; every problem raises one MoksError."""
    problems = graph.validate()
    if problems:
        raise MoksError(problems, graph.source)

    def on_node(i: int, n: int, node_id: str) -> None:
        if progress is not None:
            progress("evaluate", i, n, node_id)

    result = graph.evaluate(list(refs), frames=frames, subframes=subframes, progress=on_node)
    if result.problems:
        raise MoksError(result.problems, graph.source)
    return dict(result.values)


def bake_graph(graph: Graph, frames: tuple[int, int] | None = None,
               subframes: int | None = None, *, progress: BakeProgress | None = None) -> Channels:
    """Evaluate a graph (must be valid) and return the merged sink Channels (engine values)."""
    return sink_channels(graph, _evaluate(graph, sink_refs(graph), frames, subframes, progress))


# ---------------------------------------------------------------------------------- selectors


@dataclass(frozen=True)
class TargetSpec:
    """One entry of ``graph.meta["selectors"]``: a role, its selector and where a proxy stands.

    ``at``: ``None`` (origin), a literal ``(x, y, z)`` in metres, or a
    ``"node.port"`` Vec3 output of the graph.
    """

    role: str
    selector: Selector
    at: tuple[float, float, float] | str | None = None


def _meta_problem(message: str, *parts: str) -> MoksError:
    return MoksError(Problem("MG110", message, problem_path("meta", SELECTORS_KEY, *parts)))


def _parse_at(graph: Graph, role: str, at: Any) -> tuple[float, float, float] | str | None:
    if at is None:
        return None
    if isinstance(at, str):
        node_id, _, port = at.rpartition(".")
        cls = graph.node_class(node_id) if node_id in graph.nodes else None
        if cls is None or port not in cls.outputs:
            raise _meta_problem(f"selector {role!r}: 'at' {at!r} is not an output of the graph "
                                "(expected 'node.port')", role, "at")
        if cls.outputs[port].type is not VEC3:
            raise _meta_problem(f"selector {role!r}: 'at' {at!r} is a "
                                f"{cls.outputs[port].type} output, expected Vec3", role, "at")
        return at
    if (isinstance(at, list | tuple) and len(at) == 3
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in at)
            and np.isfinite(np.asarray(at, dtype=np.float64)).all()):
        x, y, z = (float(v) for v in at)
        return (x, y, z)
    raise _meta_problem(f"selector {role!r}: 'at' must be [x, y, z] (metres) or 'node.port', "
                        f"got {at!r}", role, "at")


def graph_targets(graph: Graph) -> tuple[TargetSpec, ...]:
    """The selectors of ``graph.meta["selectors"]`` (see the module docstring), in role order.

    Raises :class:`~moks_graph.errors.MoksError` (MG110, JSON path into the
    meta) for a malformed table, selector or ``at``.
    """
    table = graph.meta.get(SELECTORS_KEY)
    if table is None:
        return ()
    if not isinstance(table, Mapping):
        raise _meta_problem(f"meta.{SELECTORS_KEY} must be an object mapping roles to selectors, "
                            f"got {type(table).__name__}")
    specs: list[TargetSpec] = []
    for role in sorted(table):
        entry = table[role]
        if not isinstance(role, str) or not role.strip():
            raise _meta_problem(f"selector roles must be non-empty strings, got {role!r}")
        if isinstance(entry, str):
            text, at = entry, None
        elif isinstance(entry, Mapping):
            unknown = sorted(set(entry) - {"select", "at"})
            if unknown:
                raise _meta_problem(f"selector {role!r}: unknown key(s) {unknown}; "
                                    "expected 'select' and optional 'at'", role)
            if "select" not in entry:
                raise _meta_problem(f"selector {role!r} has no 'select'", role)
            text, at = entry["select"], entry.get("at")
        else:
            raise _meta_problem(f"selector {role!r} must be a string like 'tag:hero' or an "
                                f"object with 'select', got {type(entry).__name__}", role)
        try:
            selector = parse_selector(text)
        except (TypeError, ValueError) as exc:
            raise _meta_problem(f"selector {role!r}: {exc}", role) from None
        specs.append(TargetSpec(role, selector, _parse_at(graph, role, at)))
    return tuple(specs)


@dataclass(frozen=True)
class ChainResolver:
    """A :class:`Resolver` asking each resolver in turn; the first match wins."""

    resolvers: tuple[Resolver, ...]

    def resolve(self, selector: Selector) -> str | None:
        for resolver in self.resolvers:
            found = resolver.resolve(selector)
            if found:
                return found
        return None


def kind_tags(kind: str) -> tuple[str, ...]:
    """Tags an object carries by kind: ``"light.spot"`` -> ``("light", "light.spot")``."""
    return ("light", kind) if kind.startswith("light.") else (kind,)


def channels_resolver(channels: Channels) -> MappingResolver:
    """Resolve against the baked objects: their names, and tags from their kinds."""
    tags: dict[str, list[str]] = {}
    for obj, kind in channels.kinds.items():
        for tag in kind_tags(kind):
            tags.setdefault(tag, []).append(obj)
    return MappingResolver(names=frozenset(channels.kinds), tags=tags)


def scene_map_resolver(data: Mapping[str, Any]) -> MappingResolver:
    """A resolver from a scene map: ``{"objects": {"<name>": ["<tag>", ...], ...}}``.

    The map lists the objects of the scene the bake lands in (e.g. exported
    from the layout file) and the tags each carries.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("objects"), Mapping):
        raise ValueError('scene_map must be an object {"objects": {"<name>": ["<tag>", ...]}}')
    tags: dict[str, list[str]] = {}
    for name, obj_tags in data["objects"].items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"scene_map: object names must be non-empty strings, got {name!r}")
        if not isinstance(obj_tags, list) or not all(isinstance(t, str) for t in obj_tags):
            raise ValueError(f"scene_map: tags of {name!r} must be a list of strings, "
                             f"got {obj_tags!r}")
        for tag in obj_tags:
            tags.setdefault(tag, []).append(name)
    return MappingResolver(names=frozenset(data["objects"]), tags=tags)


def load_scene_map(path: str | os.PathLike[str]) -> MappingResolver:
    """:func:`scene_map_resolver` of a JSON file (``FileNotFoundError`` / ``ValueError``)."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"scene_map {str(source)!r} is not JSON: {exc}") from None
    try:
        return scene_map_resolver(data)
    except ValueError as exc:
        raise ValueError(f"{str(source)!r}: {exc}") from None


@dataclass(frozen=True)
class Targets:
    """Selector resolution of one bake.

    ``targets``: role -> host object name (a proxy name when unresolved);
    ``selectors``: role -> selector text; ``proxies``: proxy null names;
    ``warnings``: one line per unresolved selector.
    """

    targets: dict[str, str] = field(default_factory=dict)
    selectors: dict[str, str] = field(default_factory=dict)
    proxies: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _proxy_position(spec: TargetSpec, values: Mapping[str, Any], n: int) -> np.ndarray:
    """``(n, 3)`` proxy positions (m) for a selector's ``at``."""
    if spec.at is None:
        return np.zeros((n, 3))
    if isinstance(spec.at, tuple):
        return np.tile(np.asarray(spec.at, dtype=np.float64), (n, 1))
    value = np.asarray(values[spec.at], dtype=np.float64)
    if value.shape == (3,):
        return np.tile(value, (n, 1))
    if value.shape == (n, 3):
        return value
    raise MoksError(Problem("MG110", f"selector {spec.role!r}: 'at' {spec.at!r} has shape "
                            f"{value.shape}, expected (3,) or ({n}, 3)",
                            problem_path("meta", SELECTORS_KEY, spec.role, "at")))


def apply_targets(channels: Channels, specs: Sequence[TargetSpec], resolver: Resolver | None,
                  values: Mapping[str, Any] | None = None) -> tuple[Channels, Targets]:
    """Resolve ``specs``; add a proxy null (placed at its ``at``) per unresolved selector.

    ``resolver`` is asked first, then the baked objects
    (:func:`channels_resolver`). A proxy shared by several roles stands at the
    first role's ``at``. ``values``: evaluated ``"node.port"`` outputs for
    ``at`` references.
    """
    if not specs:
        return channels, Targets()
    chain = ChainResolver(((resolver,) if resolver is not None else ())
                          + (channels_resolver(channels),))
    resolution = resolve_selectors([s.selector for s in specs], chain)
    targets = {s.role: resolution.targets[str(s.selector)] for s in specs}
    out = with_proxy_nulls(channels, resolution.proxies)
    placed: dict[str, np.ndarray] = {}
    n = len(channels.time)
    for spec in specs:
        name = targets[spec.role]
        if name in resolution.proxies and name not in placed:
            placed[name] = _proxy_position(spec, values or {}, n)
    moved = {f"{name}.t{axis}": pos[:, i].copy()
             for name, pos in placed.items() if np.any(pos)
             for i, axis in enumerate("xyz")}
    if moved:
        out = Channels(out.time, {**out.values, **moved}, out.kinds)
    return out, Targets(targets=targets, selectors={s.role: str(s.selector) for s in specs},
                        proxies=resolution.proxies, warnings=resolution.report)


# ---------------------------------------------------------------------------------- bake


@dataclass(frozen=True)
class BakeResult:
    """What :func:`bake` wrote: path, host, the Channels written (proxies included), timings."""

    path: Path
    host: str
    channels: Channels
    targets: Targets
    evaluate_s: float
    write_s: float
    linkage: Linkage = field(default_factory=Linkage)
    #: The film look's and the ambient's files written beside ``path``.
    side_files: tuple[Path, ...] = ()
    #: What the bake left out and why (a look without PyOpenColorIO), one line each.
    notes: tuple[str, ...] = ()


def bake_channels(graph: Graph, *, frames: tuple[int, int] | None = None,
                  subframes: int | None = None, resolver: Resolver | None = None,
                  progress: BakeProgress | None = None) -> tuple[Channels, Targets]:
    """Evaluate ``graph`` and apply its selectors: the Channels a host receives, and the report."""
    channels, targets, _ = _bake_channels(graph, frames, subframes, resolver, progress, False)
    return channels, targets


def _bake_channels(graph: Graph, frames: tuple[int, int] | None, subframes: int | None,
                   resolver: Resolver | None, progress: BakeProgress | None,
                   link: bool, features: Sequence[str] = ()
                   ) -> tuple[Channels, Targets, Linkage]:
    channels, targets, linkage, _ = _bake_values(graph, frames, subframes, resolver, progress,
                                                 link, features)
    return channels, targets, linkage


def _bake_values(graph: Graph, frames: tuple[int, int] | None, subframes: int | None,
                 resolver: Resolver | None, progress: BakeProgress | None,
                 link: bool, features: Sequence[str] = ()
                 ) -> tuple[Channels, Targets, Linkage, dict[str, Any]]:
    """:func:`_bake_channels` and the evaluated values (``features``: extra ``"node.port"``
    outputs evaluated with the channels: the film look, the SH ambient)."""
    specs = graph_targets(graph)
    at_refs = sorted({s.at for s in specs if isinstance(s.at, str)})
    extra = (linkage_refs(graph) if link else []) + list(features)
    values = _evaluate(graph, sink_refs(graph) + at_refs + extra, frames, subframes, progress)
    channels, targets = apply_targets(sink_channels(graph, values), specs, resolver, values)
    linkage = graph_linkage(graph, values) if link else Linkage()
    if link and not linkage:
        raise ValueError("--link-to-target: nothing follows a moving target in this graph "
                         "(wire a track, e.g. moks.subject.path, into a rig's or a light's "
                         "subject input)")
    if link:
        linkage.check(channels)
    return channels, targets, linkage, values


def check_options(host: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The writer options for ``host`` (:data:`HOST_OPTIONS`); ``ValueError`` naming an option
    the host does not take (e.g. ``up_axis`` for Maya)."""
    opts = dict(options or {})
    extra = sorted(set(opts) - HOST_OPTIONS.get(host, frozenset()))
    if extra:
        takes = ", ".join(sorted(HOST_OPTIONS.get(host, ()))) or "none"
        raise ValueError(f"host {host!r} does not take {', '.join(extra)} (it takes: {takes})")
    return opts


def check_link(host: str, link_to_target: bool) -> None:
    """``ValueError`` when ``link_to_target`` is asked of a host that cannot write links."""
    if link_to_target and host not in LINK_HOSTS:
        raise ValueError(f"--link-to-target applies to --host {'/'.join(sorted(LINK_HOSTS))}, "
                         f"not {host}")


@dataclass(frozen=True)
class EvaluatedBake:
    """A bake evaluated and checked, not yet written (:func:`evaluate_bake`)."""

    host: str
    target: Path
    options: dict[str, Any]
    channels: Channels
    targets: Targets
    linkage: Linkage
    evaluate_s: float
    #: The film look (``LookParams``) and the SH ambient ``(9, 3)`` to write, or ``None``.
    look: Any = None
    ambient: Any = None
    notes: tuple[str, ...] = ()


def ocio_missing() -> str:
    """Why a film look cannot be written here (``""`` when PyOpenColorIO imports)."""
    try:
        require("PyOpenColorIO", "ocio", "the film look in a baked file")
    except MissingExtra as exc:
        return (f"film look not written: {exc.purpose} needs {exc.module}; install it with "
                f"pip install 'moks-graph[{exc.extra}]'")
    return ""


def feature_refs(graph: Graph, host: str, look: bool, ambient: bool,
                 notes: list[str] | None = None) -> tuple[str, str]:
    """``(look ref, ambient ref)`` a bake of ``host`` writes (``""``: none); ``ValueError``
    when the graph has several of one (:mod:`.look`, :mod:`.ambient`). A look that needs
    the missing ``ocio`` extra is left out, with a line in ``notes``."""
    if host not in FEATURE_HOSTS:
        return "", ""
    looks = look_refs(graph) if look else []
    ambients = ambient_refs(graph) if ambient else []
    if looks and (why := ocio_missing()):
        looks = []
        if notes is not None:
            notes.append(why)
    return (looks[0] if looks else ""), (ambients[0] if ambients else "")


def evaluate_bake(graph: Graph, host: str, out: str | os.PathLike[str], *,
                  frames: tuple[int, int] | None = None, subframes: int | None = None,
                  resolver: Resolver | None = None, progress: BakeProgress | None = None,
                  options: Mapping[str, Any] | None = None,
                  link_to_target: bool = False, look: bool = True,
                  ambient: bool = True) -> EvaluatedBake:
    """The first half of :func:`bake`: check host, options and output, evaluate, resolve.

    ``look`` / ``ambient``: also evaluate the graph's film look and SH ambient (when it has
    them and the host is in :data:`FEATURE_HOSTS`), written by :func:`write_bake`.

    Safe on a worker thread (the editor's Bake dialog runs it there, then
    :func:`write_bake` on the UI thread: host libraries such as ``bpy`` are not
    thread-safe).
    """
    host_writer(host)
    opts = check_options(host, options)
    check_link(host, link_to_target)
    target = check_output(host, out)
    notes: list[str] = []
    look_ref, ambient_ref = feature_refs(graph, host, look, ambient, notes)
    t0 = time.perf_counter()
    channels, targets, linkage, values = _bake_values(
        graph, frames, subframes, resolver, progress, link_to_target,
        [r for r in (look_ref, ambient_ref) if r])
    if linkage:
        opts["linkage"] = linkage
    return EvaluatedBake(host, target, opts, channels, targets, linkage,
                         time.perf_counter() - t0, values.get(look_ref), values.get(ambient_ref),
                         tuple(notes))


def evaluate_features(graph: Graph, host: str, frames: tuple[int, int] | None = None,
                      subframes: int | None = None, *, look: bool = True, ambient: bool = True,
                      notes: list[str] | None = None) -> tuple[Any, Any]:
    """``(film look, SH ambient)`` a bake of ``host`` writes for ``graph`` (``None``: none;
    :func:`feature_refs`), evaluated alone: what ``moks farm bake`` and the Blender add-on
    evaluate beside the channels they bake themselves."""
    look_ref, ambient_ref = feature_refs(graph, host, look, ambient, notes)
    refs = [r for r in (look_ref, ambient_ref) if r]
    values = _evaluate(graph, refs, frames, subframes, None) if refs else {}
    return values.get(look_ref), values.get(ambient_ref)


def write_features(target: Path, look: Any = None, ambient: Any = None) -> dict[str, Any]:
    """Write the look's and the ambient's files beside ``target``; the host writer's ``look``
    / ``ambient`` options. A failure removes what it wrote."""
    out: dict[str, Any] = {}
    try:
        if look is not None:
            out["look"] = write_look(look_files(target, look))
        if ambient is not None:
            out["ambient"] = write_ambient(target, ambient)
    except BaseException:
        remove_files(feature_created(out))
        raise
    return out


def feature_created(features: Mapping[str, Any]) -> tuple[Path, ...]:
    """The files :func:`write_features` created (to remove after a failed host write)."""
    return tuple(p for f in features.values() for p in f.created)


def write_with_features(writer: Callable[..., Any], channels: Channels, target: Path,
                        look: Any = None, ambient: Any = None,
                        **options: Any) -> tuple[Path, ...]:
    """Write the look's and ambient's side files, then ``writer(channels, target, ...)``
    pointing the host at them; a failure leaves none of the side files. Returns their paths."""
    features = write_features(target, look, ambient)
    try:
        writer(channels, target, **options, **features)
    except BaseException:
        remove_files(feature_created(features))
        raise
    return tuple(p for f in features.values() for p in f.paths())


def write_bake(job: EvaluatedBake, progress: BakeProgress | None = None,
               out: str | os.PathLike[str] | None = None) -> BakeResult:
    """The second half of :func:`bake`: hand the Channels to the host's writer (atomic)."""
    writer = host_writer(job.host)
    t1 = time.perf_counter()
    if progress is not None:
        progress("write", 0, 1, job.host)
    try:
        side = write_with_features(writer, job.channels, job.target, job.look, job.ambient,
                                   **job.options)
    except BaseException as exc:
        if not isinstance(exc, OSError):
            raise
        raise HostError(Problem("MG141", f"cannot write: {exc.strerror or exc}", NO_PATH,
                                field="--out"), str(out or job.target)) from None
    t2 = time.perf_counter()
    if progress is not None:
        progress("write", 1, 1, job.host)
    return BakeResult(job.target, job.host, job.channels, job.targets, job.evaluate_s, t2 - t1,
                      job.linkage, side, job.notes)


def bake(graph: Graph, host: str, out: str | os.PathLike[str], *,
         frames: tuple[int, int] | None = None, subframes: int | None = None,
         resolver: Resolver | None = None, progress: BakeProgress | None = None,
         options: Mapping[str, Any] | None = None,
         link_to_target: bool = False, look: bool = True, ambient: bool = True) -> BakeResult:
    """Check the host and output, evaluate, resolve selectors and write ``out`` atomically.

    ``options``: keyword arguments for the host's writer (:data:`HOST_OPTIONS`:
    ``up_axis`` / ``meters_per_unit`` for USD, ``meters_per_unit`` for chan).
    ``link_to_target``: write the lights and camera that follow a moving subject as
    children / constraints of its null (:mod:`moks_graph.hosts.linkage`; hosts in
    :data:`LINK_HOSTS`; ``ValueError`` when the graph links nothing). ``look`` /
    ``ambient``: write the graph's film look (an OCIO config and CLF beside ``out``) and its
    SH ambient (an environment image and the host's dome/world), when it has them
    (:mod:`moks_graph.hosts.look`, :mod:`moks_graph.hosts.ambient`).
    Raises :class:`~moks_graph.errors.HostError` (exit code 2) for an unknown
    or uninstalled host and an unwritable output,
    :class:`~moks_graph.errors.MoksError` (exit code 1) for graph problems,
    ``ValueError`` for an option the host does not take;
    nothing is left at ``out`` then. :func:`evaluate_bake` then :func:`write_bake`.
    """
    job = evaluate_bake(graph, host, out, frames=frames, subframes=subframes, resolver=resolver,
                        progress=progress, options=options, link_to_target=link_to_target,
                        look=look, ambient=ambient)
    return write_bake(job, progress, out)


def bake_resolver(scene_map: str | os.PathLike[str] | None = None,
                  resolver: Resolver | None = None) -> Resolver | None:
    """The resolver of a bake: ``resolver`` first, then the scene map file (None: neither)."""
    resolvers: list[Resolver] = [] if resolver is None else [resolver]
    if scene_map is not None:
        resolvers.append(load_scene_map(scene_map))
    return ChainResolver(tuple(resolvers)) if resolvers else None


@contextmanager
def rich_progress(console: Any, host: str) -> Iterator[BakeProgress]:
    """A :data:`BakeProgress` drawing a transient rich progress bar on an interactive console.

    Two tasks: "evaluating" (nodes done / nodes) and "writing <host>" (an
    indeterminate bar until the writer returns). On a console that is not a
    terminal (pipes, CI logs) nothing is drawn.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True,
                   disable=not console.is_terminal)
    tasks: dict[str, Any] = {}

    def update(phase: str, done: int, total: int, detail: str) -> None:
        if phase == "evaluate":
            if "evaluate" not in tasks:
                tasks["evaluate"] = bar.add_task("evaluating", total=total)
            bar.update(tasks["evaluate"], completed=done, total=total,
                       description=f"evaluating {detail}".rstrip())
        elif phase == "write":
            if "write" not in tasks:
                tasks["write"] = bar.add_task(f"writing {detail}", total=None)
            if done >= total:
                bar.update(tasks["write"], total=1, completed=1)
        bar.refresh()

    with bar:
        yield update


def print_summary(console: Any, result: BakeResult) -> None:
    """The bake summary: warnings for proxy nulls, the target table, channels x samples, timings."""
    for line in (*result.targets.warnings, *result.notes):
        console.print(f"[yellow]warning[/] {line}")
    if result.targets.targets:
        from moks_graph.listing import Listing

        table = Listing("role", "selector", "host object", title="targets", title_justify="left")
        for role, name in result.targets.targets.items():
            shown = f"{name} [yellow](proxy null)[/]" if name in result.targets.proxies else name
            table.add_row(role, result.targets.selectors[role], shown)
        console.print(table)
    ch = result.channels
    proxies = len(result.targets.proxies)
    console.print(f"baked {len(ch)} channels x {len(ch.time)} samples "
                  f"({len(ch.kinds)} objects{f', {proxies} proxy nulls' if proxies else ''}) "
                  f"to {result.path} ({result.host}) in "
                  f"{result.evaluate_s + result.write_s:.2f} s "
                  f"(evaluate {result.evaluate_s:.2f} s, write {result.write_s:.2f} s)")
    if result.side_files:
        console.print("with " + ", ".join(p.name for p in result.side_files))


#: The node type whose ``phi`` parameter ``moks bake --phi`` sets.
ATMOSPHERE_TYPE = "moks.atmosphere.phase"


def set_phi(graph: Graph, phi: float) -> list[str]:
    """Set ``phi`` on every ``moks.atmosphere.phase`` node (issue 17: φ drives the camera's
    wind, the fog and the flicker); returns their ids. ``ValueError`` when the graph has no
    atmosphere node or ``phi`` is outside [0, 1]."""
    if not 0.0 <= float(phi) <= 1.0:
        raise ValueError(f"phi must be in [0, 1], got {phi}")
    ids = sorted(i for i, node in graph.nodes.items() if node.type == ATMOSPHERE_TYPE)
    if not ids:
        raise ValueError(f"the graph has no {ATMOSPHERE_TYPE} node to set phi on")
    for node_id in ids:
        graph.set_param(node_id, "phi", float(phi))
    return ids


def bake_file(file: str, host: str, out: str, *, frames: tuple[int, int] | None = None,
              subframes: int | None = None, console: Any = None,
              progress: BakeProgress | None = None, scene_map: str | None = None,
              resolver: Resolver | None = None,
              options: Mapping[str, Any] | None = None,
              link_to_target: bool = False, phi: float | None = None, look: bool = True,
              ambient: bool = True) -> Path:
    """Load, validate, evaluate and write ``out`` for ``host``. Returns the path written.

    ``console`` (a rich Console): progress bar while baking (interactive
    consoles only) and the summary with warnings afterwards. ``progress``:
    also called with every :data:`BakeProgress` step. ``scene_map``: a JSON
    scene map (:func:`load_scene_map`) to resolve selectors against;
    ``resolver``: any resolver (asked before the scene map). ``options``: the
    writer's options (:func:`bake`). ``link_to_target``: see :func:`bake`. ``phi``: the
    atmospheric phase for every atmosphere node (:func:`set_phi`, ``moks bake --phi``).
    ``look`` / ``ambient``: see :func:`bake` (``moks bake --no-look / --no-ambient``).
    """
    host_writer(host)
    check_options(host, options)
    check_link(host, link_to_target)
    check_output(host, out)
    graph = mgraph.load(file)
    if phi is not None:
        set_phi(graph, phi)
    chain = bake_resolver(scene_map, resolver)
    if console is None:
        result = bake(graph, host, out, frames=frames, subframes=subframes, resolver=chain,
                      progress=progress, options=options, link_to_target=link_to_target,
                      look=look, ambient=ambient)
        return result.path
    with rich_progress(console, host) as bar:

        def both(phase: str, done: int, total: int, detail: str) -> None:
            bar(phase, done, total, detail)
            if progress is not None:
                progress(phase, done, total, detail)

        result = bake(graph, host, out, frames=frames, subframes=subframes, resolver=chain,
                      progress=both, options=options, link_to_target=link_to_target,
                      look=look, ambient=ambient)
    print_summary(console, result)
    return result.path
