"""hosts.selectors: parsing, resolution, proxy nulls, and how the writers write proxies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moks_graph.channels import Channels
from moks_graph.hosts.selectors import (
    MappingResolver,
    Resolver,
    Selector,
    is_proxy_name,
    parse_selector,
    proxy_name,
    resolve_selectors,
    sanitise,
    with_proxy_nulls,
)
from moks_graph.timebase import time_array


def test_parse_selector():
    assert parse_selector("tag:hero") == Selector("tag", "hero")
    assert parse_selector(" name:key_light ") == Selector("name", "key_light")
    assert str(parse_selector("tag:hero")) == "tag:hero"
    sel = Selector("name", "x")
    assert parse_selector(sel) is sel
    with pytest.raises(ValueError, match="must look like"):
        parse_selector("hero")
    with pytest.raises(ValueError, match="selector kind"):
        parse_selector("path:/a/b")
    with pytest.raises(ValueError, match="selector value"):
        parse_selector("tag:")
    with pytest.raises(TypeError, match="selector must be a string"):
        parse_selector(3)  # type: ignore[arg-type]


def test_sanitise_and_proxy_names():
    assert sanitise("tag:hero") == "tag_hero"
    assert sanitise("name:Key-Light.02") == "name_Key_Light_02"
    assert proxy_name("tag:hero") == "MISSING_TARGET_tag_hero"
    assert proxy_name("name:rig/eye.L") == "MISSING_TARGET_name_rig_eye_L"
    assert is_proxy_name("MISSING_TARGET_tag_hero")
    assert not is_proxy_name("hero")


class _Recording:
    def __init__(self) -> None:
        self.calls: list[Selector] = []

    def resolve(self, selector: Selector) -> str | None:
        self.calls.append(selector)
        return "hero_mesh" if selector == Selector("tag", "hero") else None


def test_resolve_selectors_with_proxies_and_report():
    resolver = MappingResolver(names=frozenset({"key_light"}),
                               tags={"hero": ["hero_b", "hero_a"], "empty": []})
    assert isinstance(resolver, Resolver)
    res = resolve_selectors(["name:key_light", "tag:hero", "tag:villain", "name:fill",
                             "tag:empty", "tag:villain"], resolver)
    assert res.targets == {
        "name:key_light": "key_light",
        "tag:hero": "hero_a",  # first sorted member
        "tag:villain": "MISSING_TARGET_tag_villain",
        "name:fill": "MISSING_TARGET_name_fill",
        "tag:empty": "MISSING_TARGET_tag_empty",
    }
    assert res.proxies == ("MISSING_TARGET_tag_villain", "MISSING_TARGET_name_fill",
                           "MISSING_TARGET_tag_empty")
    assert len(res.report) == 3
    assert "tag:villain" in res.report[0] and "MISSING_TARGET_tag_villain" in res.report[0]


def test_custom_resolver_protocol():
    rec = _Recording()
    res = resolve_selectors(["tag:hero", "tag:hero", "name:x"], rec)
    assert res.targets["tag:hero"] == "hero_mesh"
    assert rec.calls == [Selector("tag", "hero"), Selector("name", "x")]  # deduplicated
    with pytest.raises(TypeError, match="resolve"):
        resolve_selectors(["tag:a"], object())  # type: ignore[arg-type]


def _base() -> Channels:
    t = time_array(1, 4, 24.0, 2)
    return Channels(t, {"cam.tx": np.linspace(0, 1, len(t))}, {"cam": "camera"})


def test_with_proxy_nulls_adds_static_nulls():
    ch = with_proxy_nulls(_base(), ["MISSING_TARGET_tag_hero"])
    assert ch.kinds["MISSING_TARGET_tag_hero"] == "null"
    assert ch.of("MISSING_TARGET_tag_hero") == {}
    np.testing.assert_array_equal(ch["cam.tx"], _base()["cam.tx"])
    with pytest.raises(ValueError, match="must start with"):
        with_proxy_nulls(_base(), ["hero"])


def test_writers_write_proxies_as_xform_and_locator(tmp_path):
    pytest.importorskip("pxr")
    from pxr import Usd, UsdGeom

    from moks_graph.hosts.maya.ma_parser import parse_ma_text, read_ma
    from moks_graph.hosts.maya.ma_writer import write_ma
    from moks_graph.hosts.usd.reader import read_usd
    from moks_graph.hosts.usd.writer import write_usd

    res = resolve_selectors(["tag:hero"], MappingResolver())
    ch = with_proxy_nulls(_base(), res.proxies)
    usd = write_usd(ch, tmp_path / "proxy.usda")
    stage = Usd.Stage.Open(usd)
    prim = stage.GetPrimAtPath("/World/MISSING_TARGET_tag_hero")
    assert prim.IsValid() and prim.IsA(UsdGeom.Xform)
    assert prim.GetCustomDataByKey("moks:proxy") is True
    assert read_usd(usd).kinds["MISSING_TARGET_tag_hero"] == "null"

    ma = write_ma(ch, tmp_path / "proxy.ma")
    scene = parse_ma_text(Path(ma).read_text(encoding="utf-8"))
    types = {n.name: n.node_type for n in scene.nodes}
    assert types["MISSING_TARGET_tag_heroShape"] == "locator"
    assert read_ma(ma).kinds["MISSING_TARGET_tag_hero"] == "null"
