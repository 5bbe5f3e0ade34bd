"""Semantic selectors for scene objects, and proxy nulls for the ones a host lacks.

Graphs name host scene objects by selector rather than by host path:
``"name:key_light"`` (an object's name) or ``"tag:hero"`` (any object carrying
a tag). A :class:`Resolver` maps a :class:`Selector` to one host object name.
A selector that does not resolve never fails a bake: it yields a *proxy null*
(object kind ``"null"``) named ``MISSING_TARGET_<sanitised selector>`` and a
line in the report, so the bake still writes and the artist can re-target the
proxy in the host. The USD writer writes a proxy as an ``Xform`` prim and the
Maya ASCII writer as a ``locator``, like any null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from moks_graph.channels import Channels

#: Selector kinds: an object's name, or a tag that objects carry.
SELECTOR_KINDS: tuple[str, ...] = ("name", "tag")
#: Prefix of proxy null names.
PROXY_PREFIX = "MISSING_TARGET_"

_VALUE = re.compile(r"^[^\s:][^\s]*$")


@dataclass(frozen=True, order=True)
class Selector:
    """``kind:value``, e.g. ``Selector("tag", "hero")``."""

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in SELECTOR_KINDS:
            raise ValueError(f"selector kind must be one of {SELECTOR_KINDS}, got {self.kind!r}")
        if not isinstance(self.value, str) or not _VALUE.match(self.value):
            raise ValueError(f"selector value must be a non-empty word without spaces, "
                             f"got {self.value!r}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def parse_selector(text: str | Selector) -> Selector:
    """``"tag:hero"`` -> ``Selector("tag", "hero")``; a Selector passes through."""
    if isinstance(text, Selector):
        return text
    if not isinstance(text, str):
        raise TypeError(f"selector must be a string like 'tag:hero', got {type(text).__name__}")
    kind, sep, value = text.strip().partition(":")
    if not sep:
        raise ValueError(f"selector {text!r} must look like 'name:<object>' or 'tag:<tag>'")
    return Selector(kind, value)


def sanitise(text: str) -> str:
    """A selector as an identifier part: every run of non ``[A-Za-z0-9_]`` becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "unnamed"


def proxy_name(selector: str | Selector) -> str:
    """``"tag:hero"`` -> ``"MISSING_TARGET_tag_hero"``."""
    return PROXY_PREFIX + sanitise(str(parse_selector(selector)))


def is_proxy_name(name: str) -> bool:
    """True for object names made by :func:`proxy_name`."""
    return name.startswith(PROXY_PREFIX)


@runtime_checkable
class Resolver(Protocol):
    """Maps a selector to the name of one host object, or ``None`` when nothing matches."""

    def resolve(self, selector: Selector) -> str | None: ...


@dataclass(frozen=True)
class MappingResolver:
    """A :class:`Resolver` over plain data: object names and ``{tag: [objects]}``.

    ``name:x`` resolves when ``x`` is in ``names``; ``tag:t`` resolves to the
    first (sorted) object carrying ``t``.
    """

    names: frozenset[str] = frozenset()
    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def resolve(self, selector: Selector) -> str | None:
        if selector.kind == "name":
            return selector.value if selector.value in self.names else None
        members = sorted(self.tags.get(selector.value, ()))
        return members[0] if members else None


@dataclass(frozen=True)
class Resolution:
    """Result of :func:`resolve_selectors`.

    ``targets``: selector text -> host object name (a proxy name when
    unresolved); ``proxies``: the proxy null names, in selector order;
    ``report``: one human-readable line per unresolved selector.
    """

    targets: dict[str, str]
    proxies: tuple[str, ...]
    report: tuple[str, ...]


def resolve_selectors(selectors: Iterable[str | Selector], resolver: Resolver) -> Resolution:
    """Resolve every selector; unresolved ones become proxy nulls listed in the report."""
    if not isinstance(resolver, Resolver):
        raise TypeError("resolver must have a resolve(selector) -> str | None method")
    targets: dict[str, str] = {}
    proxies: list[str] = []
    report: list[str] = []
    for item in selectors:
        sel = parse_selector(item)
        key = str(sel)
        if key in targets:
            continue
        found = resolver.resolve(sel)
        if found is not None and not isinstance(found, str):
            raise TypeError(f"resolver returned {type(found).__name__} for {key!r}; "
                            "expected a host object name or None")
        if found:
            targets[key] = found
        else:
            name = proxy_name(sel)
            targets[key] = name
            proxies.append(name)
            report.append(f"selector {key!r} matched no scene object: "
                          f"wrote proxy null {name!r}")
    return Resolution(targets=targets, proxies=tuple(proxies), report=tuple(report))


def with_proxy_nulls(channels: Channels, proxies: Iterable[str]) -> Channels:
    """``channels`` plus one static null object (no channels) per proxy name.

    A proxy sits at the origin; hosts create it so that constraints and
    look-at targets have something to point at.
    """
    kinds = dict(channels.kinds)
    for name in proxies:
        if not is_proxy_name(name):
            raise ValueError(f"proxy name {name!r} must start with {PROXY_PREFIX!r}")
        if name in kinds and kinds[name] != "null":
            raise ValueError(f"proxy {name!r} clashes with an object of kind {kinds[name]!r}")
        kinds[name] = "null"
    values = {k: np.asarray(v) for k, v in channels.values.items()}
    return Channels(channels.time, values, kinds)
