"""The node registry and plugin loading.

The details (moved from this docstring): docs/writing-nodes.md, "Module notes",
`moks_graph/registry.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import math
import os
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from moks_graph.node import Node, check_node_class
from moks_graph.streams import stdout_to_stderr

ENTRY_POINT_GROUP = "moks_graph.nodes"
NODE_PATH_ENV = "MOKS_NODE_PATH"
IMPORT_LIMIT_ENV = "MOKS_PLUGIN_IMPORT_LIMIT"
#: Seconds one plugin's import may take when ``MOKS_PLUGIN_IMPORT_LIMIT`` is unset.
DEFAULT_IMPORT_LIMIT = 20.0
_BUILTIN_EP = "builtin"


def plugin_import_limit() -> tuple[float | None, str | None]:
    """The per-plugin import limit in seconds (None: none) and a complaint about the
    variable's text when it is not a number (the default is used then)."""
    text = os.environ.get(IMPORT_LIMIT_ENV, "").strip()
    if not text:
        return DEFAULT_IMPORT_LIMIT, None
    if text.lower() in ("off", "none", "0"):
        return None, None
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_IMPORT_LIMIT, (f"{IMPORT_LIMIT_ENV}={text[:40]!r} is not a number of "
                                      f"seconds; using {DEFAULT_IMPORT_LIMIT:g}")
    if math.isnan(value):
        return DEFAULT_IMPORT_LIMIT, f"{IMPORT_LIMIT_ENV} is NaN; using {DEFAULT_IMPORT_LIMIT:g}"
    return (value if math.isfinite(value) and value > 0 else None), None




@dataclass(frozen=True)
class PluginError:
    """A plugin that could not be loaded: where from, and why."""

    source: str
    message: str
    detail: str = ""
    #: the plugin's Python files, where known (searched for the type ids it would have given)
    files: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class Registry:
    """Node types by ``type_id``."""

    def __init__(self) -> None:
        self._types: dict[str, type[Node]] = {}
        self._sources: dict[str, str] = {}
        self.errors: list[PluginError] = []
        self._loading: str | None = None  # the plugin being loaded, while one is
        self._failed_types: dict[str, PluginError | None] = {}
        #: seconds each plugin's import may take (None: no limit); set when loading starts
        self.import_limit: float | None = None

    def register(self, cls: type[Node], source: str = "python") -> type[Node]:
        """Add a node class; usable as a decorator. Raises ``TypeError`` if malformed."""
        problems = check_node_class(cls)
        if problems:
            name = getattr(cls, "__name__", cls)
            raise TypeError(f"cannot register {name!r}: " + "; ".join(problems))
        existing = self._types.get(cls.type_id)
        if existing is not None and existing is not cls and self._loading is not None:
            # a plugin may not replace a type another source gave (the built-ins above all)
            error = PluginError(
                self._loading, f"type_id {cls.type_id!r} is already registered by "
                f"{self._sources[cls.type_id]}; the plugin's {cls.__name__} was not registered")
            if error not in self.errors:
                self.errors.append(error)
            return cls
        if existing is not None and existing is not cls:
            raise TypeError(
                f"type_id {cls.type_id!r} from {source} is already registered by "
                f"{self._sources[cls.type_id]}"
            )
        self._types[cls.type_id] = cls
        self._sources[cls.type_id] = source
        return cls

    def get(self, type_id: str) -> type[Node] | None:
        return self._types.get(type_id)

    def source(self, type_id: str) -> str:
        return self._sources.get(type_id, "")

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types

    def __iter__(self) -> Iterator[type[Node]]:
        return iter(sorted(self._types.values(), key=lambda c: c.type_id))

    def __len__(self) -> int:
        return len(self._types)

    # -- plugin loading ---------------------------------------------------
    def _isolated(self, source: str, limit: float | None = None) -> AbstractContextManager[None]:
        """Load one plugin: its prints go to stderr, it cannot replace registered types, and
        it is stopped after ``limit`` seconds (``ComputeTimeout``, see the module doc)."""
        registry = self
        from moks_graph.timelimit import deadline  # the engine's one deadline

        @contextlib.contextmanager
        def guard() -> Iterator[None]:
            before = dict(registry._types)
            registry._loading = source
            try:
                with stdout_to_stderr(), deadline(limit):
                    yield
            finally:
                registry._loading = None
                for type_id, cls in before.items():  # written around register(): undone
                    if registry._types.get(type_id) is not cls:
                        registry._types[type_id] = cls
                        registry.errors.append(PluginError(
                            source, f"tried to replace type_id {type_id!r} "
                            f"(registered by {registry._sources.get(type_id)}); kept the original"))
                registry._failed_types.clear()

        return guard()

    def failed_plugin_for(self, type_id: str) -> PluginError | None:
        """The failed plugin whose source names ``type_id``, if any: the plugin that would
        have given a node type that is unknown because its plugin failed to load."""
        if type_id in self._failed_types:
            return self._failed_types[type_id]
        found = None
        for err in self.errors:
            for file in err.files:
                try:
                    with open(file, encoding="utf-8", errors="replace") as f:
                        text = f.read(1 << 20)
                except OSError:
                    continue
                if f"'{type_id}'" in text or f'"{type_id}"' in text:
                    found = err
                    break
            if found is not None:
                break
        self._failed_types[type_id] = found
        return found

    def load_module(self, module: ModuleType, source: str) -> None:
        """Register a plugin module's nodes (via its ``register`` or by scanning)."""
        register = getattr(module, "register", None)
        if callable(register):
            register(self)
            return
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, Node)
                and value is not Node
                and value.type_id
                and value.__module__ == module.__name__
            ):
                self.register(value, source)

    def _limit(self) -> float | None:
        """The import limit (``MOKS_PLUGIN_IMPORT_LIMIT``), a bad value recorded once."""
        limit, complaint = plugin_import_limit()
        if complaint and not any(e.source == IMPORT_LIMIT_ENV for e in self.errors):
            self.errors.append(PluginError(IMPORT_LIMIT_ENV, complaint))
        self.import_limit = limit
        return limit

    def load_entry_points(self) -> None:
        """Load the entry-point plugins, the built-ins first (so no plugin can take their ids)."""
        eps = entry_points(group=ENTRY_POINT_GROUP)
        limit = self._limit()
        for ep in sorted(eps, key=lambda e: (e.name != _BUILTIN_EP, e.name)):
            source = f"entry point {ep.name} ({ep.value})"
            builtin = ep.name == _BUILTIN_EP and ep.value.startswith("moks_graph.")
            try:
                with self._isolated(source, None if builtin else limit):
                    target = ep.load()
                    if isinstance(target, ModuleType):
                        self.load_module(target, source)
                    else:
                        target(self)
            except BaseException as exc:  # SystemExit too: must not stop the rest
                self.record_failure(source, exc, _module_files(ep.value.split(":")[0]))

    def load_path(self, folders: list[str] | None = None) -> None:
        """Import every ``*.py`` module and package in each folder of ``MOKS_NODE_PATH``."""
        if folders is None:
            folders = [f for f in os.environ.get(NODE_PATH_ENV, "").split(os.pathsep) if f]
        limit = self._limit() if folders else None
        for folder in folders:
            root = Path(folder)
            if not root.is_dir():
                self.errors.append(PluginError(str(root), "plugin folder does not exist"))
                continue
            for path in sorted(root.iterdir()):
                if path.name.startswith(("_", ".")):
                    continue
                if path.suffix == ".py":
                    self._import_file(path, path, limit)
                elif (path / "__init__.py").is_file():
                    self._import_file(path / "__init__.py", path, limit)

    def _import_file(self, file: Path, origin: Path, limit: float | None = None) -> None:
        tag = hashlib.sha256(str(origin.resolve()).encode()).hexdigest()[:12]
        name = f"moks_user_nodes_{tag}_{origin.stem}"
        try:
            spec = importlib.util.spec_from_file_location(
                name, file, submodule_search_locations=[str(origin)] if origin.is_dir() else None
            )
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {file}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            with self._isolated(str(origin), limit):
                spec.loader.exec_module(module)
                self.load_module(module, str(origin))
        except BaseException as exc:  # SystemExit, KeyboardInterrupt too
            sys.modules.pop(name, None)
            files = sorted(str(f) for f in origin.rglob("*.py")) if origin.is_dir() else [str(file)]
            self.record_failure(str(origin), exc, files[:200])

    def record_failure(self, source: str, exc: BaseException,
                       files: list[str] | tuple[str, ...] = ()) -> None:
        from moks_graph.timelimit import ComputeTimeout

        if isinstance(exc, ComputeTimeout):
            message = (f"its import took longer than {self.import_limit:g} s "
                       f"({IMPORT_LIMIT_ENV}); not loaded")
        else:
            message = f"{type(exc).__name__}: {str(exc)[:2000]}"
        self.errors.append(PluginError(source, message, traceback.format_exc(), tuple(files)))
        self._failed_types.clear()


def _module_files(module: str) -> tuple[str, ...]:
    """The source file of an entry point's module, found without importing it (top level)."""
    try:
        spec = importlib.util.find_spec(module) if "." not in module else None
    except BaseException:
        return ()
    origin = getattr(spec, "origin", None)
    return (origin,) if origin and origin.endswith(".py") else ()


_DEFAULT: Registry | None = None
_BUILDING: tuple[int, Registry] | None = None  # (thread, registry) while one is being loaded


def default_registry(reload: bool = False) -> Registry:
    """The process-wide registry: built-ins, entry-point plugins and ``MOKS_NODE_PATH``.

    A plugin that calls this while it is being loaded gets the registry being
    built (so its ``register`` calls go through the same guard), not a second
    registry that would import every plugin again.
    """
    global _DEFAULT, _BUILDING
    building = _BUILDING
    if building is not None and building[0] == threading.get_ident():
        return building[1]
    if _DEFAULT is None or reload:
        reg = Registry()
        _BUILDING = (threading.get_ident(), reg)
        try:
            reg.load_entry_points()
            reg.load_path()
        finally:
            _BUILDING = None
        _DEFAULT = reg
    return _DEFAULT
