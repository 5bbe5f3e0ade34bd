"""The ``.mgraph`` file: canonical JSON that diffs cleanly, loaded without executing code.

Entry points: :func:`load`, :func:`loads`, :func:`load_checked`, :func:`save`, :func:`dumps`,
:func:`canonical_text`, :func:`json_schema`.

Details (moved from this docstring, issue 15): docs/file-format.md#moks_graphmgraphpy
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import TypedDict

from moks_graph.cache import atomic_write_bytes
from moks_graph.errors import NO_PATH, GraphFileError, MoksError, Problem, problem_path
from moks_graph.graph import Edge, Graph, NodeRecord, Settings
from moks_graph.migrations import (
    SCHEMA_MIGRATIONS,
    SCHEMA_VERSION,
    migrate_document,
    migrate_params,
    schema_version_of,
)
from moks_graph.registry import Registry
from moks_graph.subgraphs import SUBGRAPH_TYPE, Subgraph, expand_document, nest_document
from moks_graph.validation import pydantic_problems

if TYPE_CHECKING:
    from moks_graph.node import Node

try:  # an accelerator: the standard library parses whatever jiter refuses or when it is absent
    import jiter as _jiter
except ImportError:  # pragma: no cover - jiter is a declared dependency
    _jiter = None

EXTENSION = ".mgraph"


TYPE_ID_PATTERN = r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+"
TypeId = Annotated[str, StringConstraints(pattern=f"^{TYPE_ID_PATTERN}$")]
PortRef = tuple[str, str]


class NodeModel(TypedDict):
    """One node in the file: ``type``, ``type_version``, ``params`` by name, ``ui``."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    type: TypeId
    type_version: Annotated[int, Field(ge=1)]
    params: NotRequired[dict[str, Any]]
    ui: NotRequired[dict[str, Any]]
    bypass: NotRequired[StrictBool]
    keys: NotRequired[dict[str, Any]]


EdgeModel = TypedDict(  # "from" is a keyword, hence the functional form
    "EdgeModel", {"from": PortRef, "to": PortRef}
)
EdgeModel.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]


class GraphFileModel(BaseModel):
    """A ``.mgraph`` document (schema 2)."""

    model_config = ConfigDict(extra="forbid", title="MOKS Graph file")
    schema_version: int = Field(SCHEMA_VERSION, ge=SCHEMA_VERSION, le=SCHEMA_VERSION)
    settings: Settings = Field(default_factory=Settings)
    nodes: dict[str, NodeModel] = Field(default_factory=dict)
    edges: list[EdgeModel] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict, description="free-form, kept as written")


_TOP_KEYS = frozenset(GraphFileModel.model_fields)
_NODE_KEYS = frozenset(NodeModel.__annotations__)
_NODE_REQUIRED = frozenset({"type", "type_version"})
_SAVED_NODE_KEYS = frozenset({"type", "type_version", "params", "ui"})
_TYPE_ID = re.compile(TYPE_ID_PATTERN)
_EMPTY: dict[str, Any] = {}


def _plain_model(doc: dict[str, Any], types: set[str] | None = None) -> GraphFileModel | None:
    """The model of a document that already has exactly the schema's shape, or None;
    ``types``, when given, gets the node types the document names (filled as it goes).

    The fast path of loading: plain JSON types only, nothing to coerce, so
    :class:`GraphFileModel` would accept the document unchanged and the model
    can be constructed without pydantic's pass over every node and edge.
    Anything else returns None and goes through ``model_validate``, which
    words the errors (the tests check that whatever this accepts, the model
    accepts with the same values).
    """
    settings, nodes = doc.get("settings", {}), doc.get("nodes", {})
    edges, meta = doc.get("edges", []), doc.get("meta", {})
    version = doc.get("schema_version")
    if not (doc.keys() <= _TOP_KEYS and type(version) is int and version == SCHEMA_VERSION
            and type(settings) is dict and type(nodes) is dict and type(edges) is list
            and type(meta) is dict):
        return None
    types = set() if types is None else types
    for node in nodes.values():
        if type(node) is not dict:
            return None
        keys = node.keys()
        if keys == _SAVED_NODE_KEYS:  # what save writes for a node without bypass or keys
            if type(node["params"]) is not dict or type(node["ui"]) is not dict:
                return None
        elif not _NODE_REQUIRED <= keys <= _NODE_KEYS or (
                type(node.get("params", _EMPTY)) is not dict
                or type(node.get("ui", _EMPTY)) is not dict
                or type(node.get("bypass", False)) is not bool
                or type(node.get("keys", _EMPTY)) is not dict):
            return None
        type_id, type_version = node["type"], node["type_version"]
        if type(type_id) is not str or type(type_version) is not int or type_version < 1:
            return None
        if type_id not in types:
            if not _TYPE_ID.fullmatch(type_id):
                return None
            types.add(type_id)
    for edge in edges:  # {"from": [node, port], "to": [node, port]}, all text
        if type(edge) is not dict or len(edge) != 2:
            return None
        src, dst = edge.get("from"), edge.get("to")
        if (type(src) is not list or type(dst) is not list or len(src) != 2 or len(dst) != 2
                or type(src[0]) is not str or type(src[1]) is not str
                or type(dst[0]) is not str or type(dst[1]) is not str):
            return None
    try:
        checked_settings = Settings.model_validate(settings)
    except PydanticValidationError:
        return None
    return GraphFileModel.model_construct(schema_version=version, settings=checked_settings,
                                          nodes=nodes, edges=edges, meta=meta)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of ``.mgraph`` files."""
    schema = GraphFileModel.model_json_schema(by_alias=True)
    node = schema["$defs"]["NodeModel"]["properties"]
    node["subgraph"] = {"type": "object", "description": (
        "only on nodes of type moks.subgraph: nodes, edges, inputs, outputs "
        "(docs/file-format.md, Subgraphs)")}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://moks-graph.dev/schema/mgraph-2.json"
    return schema


# -- canonical text -------------------------------------------------------------
def canonical_text(doc: Any) -> str:
    """Sorted keys, 2-space indent, shortest round-trip floats, trailing newline."""
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_document(graph: Graph) -> dict[str, Any]:
    """The document of a graph; subgraph members nested in their subgraph nodes."""
    return nest_document({
        "schema_version": SCHEMA_VERSION,
        "settings": graph.settings.model_dump(mode="json"),
        "nodes": {nid: rec.to_json() for nid, rec in graph.nodes.items()},
        "edges": [e.to_json() for e in graph.edges],
        "meta": graph.meta,
    }, graph)


def dumps(graph: Graph) -> str:
    """The canonical ``.mgraph`` text of a graph."""
    return canonical_text(to_document(graph))


def save(graph: Graph, path: str | os.PathLike[str]) -> None:
    """Write atomically (temp file, fsync, rename): a crash leaves the old file intact."""
    text = dumps(graph)
    try:
        atomic_write_bytes(path, text.encode("utf-8"))
    except OSError as exc:
        raise GraphFileError(Problem("MG141", f"cannot write: {exc.strerror or exc}", NO_PATH),
                             str(path)) from exc
    graph.source = str(path)


# -- loading ----------------------------------------------------------------------
class _KeyedObject(dict):  # type: ignore[type-arg]
    """A JSON object that had keys written more than once (only built on that slow path)."""

    duplicates: tuple[str, ...] = ()


def _marking_hook(found: list[bool]) -> Any:
    """A pairs hook that builds plain dicts at C speed and marks duplicated keys."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        marked = _KeyedObject(out)
        counts: dict[str, int] = {}
        for k, _ in pairs:
            counts[k] = counts.get(k, 0) + 1
        marked.duplicates = tuple(k for k, n in counts.items() if n > 1)
        found.append(True)
        return marked

    return hook


def _duplicate_problems(doc: Any, path: tuple[str | int, ...] = ()) -> list[Problem]:
    problems = []
    if isinstance(doc, dict):
        for key in getattr(doc, "duplicates", ()):
            node = key if path == ("nodes",) else None
            what = "node id" if node else "key"
            problems.append(Problem("MG109", f"{what} {key!r} appears more than once; the file is "
                                    "ambiguous", problem_path(*path, key), node))
        for key, value in doc.items():
            problems += _duplicate_problems(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            problems += _duplicate_problems(value, (*path, i))
    return problems


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (only finite numbers)")


def parse_json(data: str | bytes, source: str) -> Any:
    """Strict JSON: no NaN/Infinity; duplicate keys (they would hide nodes) are errors.

    ``data``: text, or the file's bytes (which must be UTF-8). jiter (pydantic's
    Rust JSON parser) reads it with its duplicate-key check; anything it refuses
    (malformed JSON or UTF-8, duplicates, NaN, lone surrogates, nesting deeper
    than it allows) is read again by the standard library, which is the
    reference: it words the error with a JSON path, or accepts what jiter was
    stricter about.
    """
    if _jiter is not None:
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
        try:
            return _jiter.from_json(raw, allow_inf_nan=False, catch_duplicate_keys=True)
        except ValueError:
            pass
    return _parse_json_stdlib(data if isinstance(data, str) else _utf8(data, source), source)


#: Digits to ``0``, exponent letters to ``e``: the shape of the numbers.
_NUMBER_SHAPE = bytes.maketrans(b"0123456789E", b"0000000000e")
#: Dropped from the shape: signs and JSON whitespace. Dropping only joins what was apart, so
#: every pattern the signs kept apart is still found (``1e+309`` is ``0e000``), and the
#: shorter text is searched once for ``e000`` instead of also for ``e+000``.
_NOT_IN_SHAPE = b"+- \t\n\r"


def _maybe_unwritable(data: str | bytes) -> bool:
    """Whether ``data`` may hold a value :func:`save` cannot write (a cheap test, C speed).

    True for a ``\\uD...`` escape or a raw surrogate (a lone surrogate can come only
    from those) and for a number with a 3-digit exponent or 309 digits (a float
    can overflow only so); only such files are walked by :func:`unwritable_problems`.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if b"\xed" in raw or (b"\\" in raw and (b"\\ud" in raw or b"\\uD" in raw)):
        return True  # (a one-byte search is a memchr: most files have no backslash)
    shape = raw.translate(_NUMBER_SHAPE, _NOT_IN_SHAPE)
    return b"e000" in shape or b"0" * 309 in shape


def _shown(text: str) -> str:
    """``text`` printable (a lone surrogate as its escape)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _bad_text(text: str) -> str | None:
    """The first lone surrogate of ``text`` as ``U+D800``, or None when it is valid text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"U+{ord(text[exc.start]):04X}"
    return None


def unwritable_problems(doc: Any) -> list[Problem]:
    """Values the canonical saver cannot write, each with its JSON path.

    A string or key holding a lone surrogate (``"\\ud800"``: not Unicode text, UTF-8
    cannot encode it) is MG111; a number that overflows a float (``-1e309`` reads as
    ``-inf``, which strict JSON cannot hold) is MG107. The loader refuses them, so
    whatever loads also saves and reads back equal.
    """
    problems: list[Problem] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            children = []
            for key, item in value.items():
                bad = _bad_text(key) if isinstance(key, str) else None
                if bad:
                    problems.append(_where(Problem(
                        "MG111", f"key \"{_shown(key)[:60]}\" is not valid text (lone surrogate "
                        f"{bad})", problem_path(*path, _shown(key))), path))
                children.append((item, (*path, _shown(key) if bad else key)))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(item, (*path, i)) for i, item in enumerate(value)]))
        elif isinstance(value, str):
            bad = _bad_text(value)
            if bad:
                problems.append(_where(Problem(
                    "MG111", f"text \"{_shown(value)[:60]}\" is not valid (lone surrogate {bad}); "
                    "UTF-8 cannot encode it", problem_path(*path)), path))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(_where(Problem(
                "MG107", f"number out of range: it overflows a 64-bit float ({value})",
                problem_path(*path)), path))
    return problems


def _where(problem: Problem, path: tuple[str | int, ...]) -> Problem:
    """``problem`` with its node and field filled in from ``path`` when under ``nodes``."""
    if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], str):
        field = path[3] if len(path) >= 4 and path[2] == "params" else None
        return Problem(problem.code, problem.message, problem.path, path[1],
                       field if isinstance(field, str) else None)
    return problem


def _utf8(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GraphFileError(Problem("MG111", f"not UTF-8 text (byte {exc.start})"),
                             source) from None


def _parse_json_stdlib(text: str, source: str) -> Any:
    found: list[bool] = []
    try:
        doc = json.loads(text, object_pairs_hook=_marking_hook(found),
                         parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise GraphFileError(Problem("MG111", f"invalid JSON at line {exc.lineno} column "
                                     f"{exc.colno}: {exc.msg}"), source) from None
    except (ValueError, RecursionError) as exc:
        raise GraphFileError(Problem("MG111", f"invalid JSON: {exc}"), source) from None
    duplicates = _duplicate_problems(doc) if found else []
    if duplicates:
        raise GraphFileError(duplicates, source)
    return doc


def loads(text: str | bytes, source: str = "<string>",
          registry: Registry | None = None) -> Graph:
    """Parse ``.mgraph`` text (or UTF-8 bytes) into a :class:`Graph` (problems stay queryable).

    Raises :class:`GraphFileError` only when the text is not a graph at all:
    invalid JSON, wrong structure, unsupported schema version.
    """
    with paused_gc():
        return _loads(text, source, registry)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (restored after).

    Loading builds tens of thousands of acyclic objects (reference counting
    frees them); each collection the allocations would trigger walks every
    object of the process, so its cost grows with whatever else is in memory
    (an editor session, an evaluator's cache).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _loads(text: str | bytes, source: str, registry: Registry | None) -> Graph:
    doc = parse_json(text, source)
    if _maybe_unwritable(text):  # refuse at load what save could not write back
        problems = unwritable_problems(doc)
        if problems:
            raise GraphFileError(problems, source)
    if not isinstance(doc, dict):
        raise GraphFileError(Problem("MG110", "the top level must be a JSON object"), source)
    version = schema_version_of(doc)
    if not isinstance(version, int) or isinstance(version, bool):
        raise GraphFileError(Problem("MG110", "missing or non-integer 'schema_version'",
                                     "$.schema_version", field="schema_version"), source)
    if version > SCHEMA_VERSION:
        raise GraphFileError(Problem("MG113", f"schema_version {version} is newer than this "
                                     f"MOKS Graph supports ({SCHEMA_VERSION}); upgrade moks-graph",
                                     "$.schema_version", field="schema_version"), source)
    if version < SCHEMA_VERSION and version not in SCHEMA_MIGRATIONS:
        raise GraphFileError(Problem("MG113", f"schema_version {version} is not supported",
                                     "$.schema_version", field="schema_version"), source)
    try:
        doc = migrate_document(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GraphFileError(Problem("MG110", f"cannot migrate schema {version}: malformed "
                                     f"document ({type(exc).__name__}: {exc})"), source) from None
    types: set[str] = set()
    model = _plain_model(doc, types)  # the document as it is: nothing to expand?
    subgraphs: dict[str, Subgraph] = {}
    if model is None or SUBGRAPH_TYPE in types:  # = expand_document's own test, for free
        doc, subgraphs = expand_document(doc, source)
        model = _plain_model(doc)
    if model is None:
        try:
            model = GraphFileModel.model_validate(doc)
        except PydanticValidationError as exc:
            raise GraphFileError(_schema_problems(exc), source) from None
    graph = _build(model, doc, source, registry)
    graph.subgraphs = subgraphs
    return graph


def _schema_problems(exc: PydanticValidationError) -> list[Problem]:
    problems = pydantic_problems(exc, ())
    out = []
    for p in problems:
        node = None
        parts = p.path.split(".")
        if len(parts) > 2 and parts[1] == "nodes":
            node = parts[2]
        out.append(Problem("MG110", p.message, p.path, node, p.field))
    return out


def _build(model: GraphFileModel, doc: dict[str, Any], source: str,
           registry: Registry | None) -> Graph:
    graph = Graph(model.settings, registry, model.meta)
    graph.source = source
    raw_nodes = doc.get("nodes", {})
    records = []
    classes: dict[str, type[Node] | None] = {}  # one registry lookup a type
    for node_id, node in model.nodes.items():
        type_id, type_version = node["type"], node["type_version"]
        if type_id not in classes:
            classes[type_id] = graph.registry.get(type_id)
        cls = classes[type_id]
        params = node.get("params")  # a dict when present (the model's shape); {} when not
        if params is None:
            params = {}
        raw: dict[str, Any] | None = None
        if cls is None or type_version > cls.type_version:
            raw = raw_nodes[node_id]  # placeholder: keep exactly what was written
        elif type_version < cls.type_version:
            try:
                params = migrate_params(cls.migrations, type_version, cls.type_version, params)
            except Exception as exc:
                path = problem_path("nodes", node_id, "type_version")
                raise GraphFileError(Problem("MG113", f"node {node_id!r}: cannot migrate "
                                             f"{type_id} v{type_version} to "
                                             f"v{cls.type_version}: {exc}", path, node_id),
                                     source) from None
        version = type_version if raw is not None or cls is None else cls.type_version
        ui, keys = node.get("ui"), node.get("keys")
        if ui is None:
            ui = {}
        if raw is not None:  # the record's params/ui must not alias what saves back verbatim
            params, ui = dict(params), dict(ui)
        records.append(NodeRecord(node_id, type_id, version, params, ui, raw,
                                  node.get("bypass", False), {} if keys is None else keys))
    graph.insert_nodes(records)
    # each end is a validated [node, port] pair: tuple.__new__ skips the NamedTuple arity check
    graph.insert_edges([tuple.__new__(Edge, e["from"] + e["to"]) for e in model.edges])
    return graph


def load(path: str | os.PathLike[str], registry: Registry | None = None) -> Graph:
    """Load a ``.mgraph`` file (see :func:`loads`)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise GraphFileError(Problem("MG112", "no such file", NO_PATH), str(p)) from None
    except OSError as exc:
        raise GraphFileError(Problem("MG112", f"cannot read: {exc.strerror or exc}", NO_PATH),
                             str(p)) from None
    return loads(data, str(p), registry)


def load_checked(path: str | os.PathLike[str], registry: Registry | None = None) -> Graph:
    """Load and raise :class:`MoksError` listing every problem, if there is any."""
    graph = load(path, registry)
    problems = graph.validate()
    if problems:
        raise MoksError(problems, str(path))
    return graph
