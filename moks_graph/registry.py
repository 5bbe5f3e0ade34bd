"""The node registry and plugin loading.

Built-in nodes register exactly like TD plugins: through the
``moks_graph.nodes`` entry-point group (the built-ins are its ``builtin``
entry) and from folders on ``MOKS_NODE_PATH``. A plugin that fails to import is
reported with its error; the rest still load.

A plugin is either a module with a ``register(registry)`` function, or a module
whose :class:`~moks_graph.node.Node` subclasses (with a ``type_id``) are
registered as found.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from moks_graph.node import Node, check_node_class

ENTRY_POINT_GROUP = "moks_graph.nodes"
NODE_PATH_ENV = "MOKS_NODE_PATH"


@dataclass(frozen=True)
class PluginError:
    """A plugin that could not be loaded: where from, and why."""

    source: str
    message: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class Registry:
    """Node types by ``type_id``."""

    def __init__(self) -> None:
        self._types: dict[str, type[Node]] = {}
        self._sources: dict[str, str] = {}
        self.errors: list[PluginError] = []

    def register(self, cls: type[Node], source: str = "python") -> type[Node]:
        """Add a node class; usable as a decorator. Raises ``TypeError`` if malformed."""
        problems = check_node_class(cls)
        if problems:
            name = getattr(cls, "__name__", cls)
            raise TypeError(f"cannot register {name!r}: " + "; ".join(problems))
        existing = self._types.get(cls.type_id)
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

    def load_entry_points(self) -> None:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            source = f"entry point {ep.name} ({ep.value})"
            try:
                target = ep.load()
                if isinstance(target, ModuleType):
                    self.load_module(target, source)
                else:
                    target(self)
            except Exception as exc:  # a broken plugin must not stop the others
                self.record_failure(source, exc)

    def load_path(self, folders: list[str] | None = None) -> None:
        """Import every ``*.py`` module and package in each folder of ``MOKS_NODE_PATH``."""
        if folders is None:
            folders = [f for f in os.environ.get(NODE_PATH_ENV, "").split(os.pathsep) if f]
        for folder in folders:
            root = Path(folder)
            if not root.is_dir():
                self.errors.append(PluginError(str(root), "plugin folder does not exist"))
                continue
            for path in sorted(root.iterdir()):
                if path.name.startswith(("_", ".")):
                    continue
                if path.suffix == ".py":
                    self._import_file(path, path)
                elif (path / "__init__.py").is_file():
                    self._import_file(path / "__init__.py", path)

    def _import_file(self, file: Path, origin: Path) -> None:
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
            spec.loader.exec_module(module)
            self.load_module(module, str(origin))
        except Exception as exc:
            sys.modules.pop(name, None)
            self.record_failure(str(origin), exc)

    def record_failure(self, source: str, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}"
        self.errors.append(PluginError(source, message, traceback.format_exc()))


_DEFAULT: Registry | None = None


def default_registry(reload: bool = False) -> Registry:
    """The process-wide registry: built-ins, entry-point plugins and ``MOKS_NODE_PATH``."""
    global _DEFAULT
    if _DEFAULT is None or reload:
        reg = Registry()
        reg.load_entry_points()
        reg.load_path()
        _DEFAULT = reg
    return _DEFAULT
