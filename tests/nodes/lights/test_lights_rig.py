"""Light channels, role parameter models and the key/fill ratio."""

from __future__ import annotations

import typing

import numpy as np
import pydantic
import pytest

from moks_graph.channels import ATTRIBUTES, Channels
from moks_graph.nodes.lights.emitters import light_illuminance_per_cd
from moks_graph.nodes.lights.rig import (
    FillLightParams,
    KeyLightParams,
    PracticalLightParams,
    RimLightParams,
    fill_intensity_cd,
    light_channels,
    subject_illuminance,
    three_point_channels,
)
from moks_graph.timebase import time_array

CAMERA = np.array([0.0, -5.0, 1.6])
TARGET = np.array([0.0, 0.0, 1.5])
COMMON = {"tx", "ty", "tz", "rx", "ry", "rz", "intensity", "exposure_ev",
          "color_temperature", "tint", "color_r", "color_g", "color_b"}


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("point", set()), ("light.spot", {"spot_angle", "spot_blend"}), ("area", {"size"})],
)
def test_channel_keys_per_kind(kind: str, extra: set[str]) -> None:
    ch = light_channels(kind, 5, CAMERA, TARGET, 45.0, 30.0, 3.0, 1000.0, 5600.0, 0.0)
    assert set(ch) == COMMON | extra
    assert all(v.shape == (5,) and v.dtype == np.float64 for v in ch.values())
    assert set(ch) <= set(ATTRIBUTES)


def test_channels_fit_the_engine_container() -> None:
    t = time_array(1, 12, 24.0)
    ch = light_channels("spot", t, CAMERA, TARGET, 45.0, 30.0, 3.0, 1000.0, 3200.0, 0.0,
                        flicker_ev=np.linspace(-0.5, 0.5, 12), spot_angle_deg=30.0)
    c = Channels(t, {f"key.{k}": v for k, v in ch.items()}, {"key": "light.spot"})
    assert c.finite()
    assert c["key.spot_angle"][0] == 30.0


def test_intensity_folds_compensation_and_flicker() -> None:
    n = 9
    dist = np.linspace(2.0, 4.0, n)
    flicker = np.linspace(-1.0, 1.0, n)
    ch = light_channels("point", n, CAMERA, TARGET, 0.0, 0.0, dist, 500.0, 5600.0, 0.0,
                        reference_distance_m=2.0, flicker_ev=flicker)
    np.testing.assert_allclose(ch["intensity"], 500.0 * 2.0 ** (ch["exposure_ev"] + flicker))
    np.testing.assert_allclose(ch["exposure_ev"], 2.0 * np.log2(dist / 2.0))
    np.testing.assert_allclose(subject_illuminance(ch, TARGET), 125.0 * 2.0**flicker, rtol=1e-9)


def test_kind_specific_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="spot_angle_deg"):
        light_channels("point", 3, CAMERA, TARGET, 0, 0, 1, 1, 5600, 0, spot_angle_deg=20)
    with pytest.raises(ValueError, match="size_m"):
        light_channels("spot", 3, CAMERA, TARGET, 0, 0, 1, 1, 5600, 0, size_m=1.0)
    with pytest.raises(ValueError, match="kind"):
        light_channels("sun", 3, CAMERA, TARGET, 0, 0, 1, 1, 5600, 0)
    with pytest.raises(ValueError, match="intensity_cd"):
        light_channels("point", 3, CAMERA, TARGET, 0, 0, 1, -1.0, 5600, 0)
    with pytest.raises(ValueError, match="cct_K"):
        light_channels("point", 3, CAMERA, TARGET, 0, 0, 1, 1.0, [5600, 5600], 0)


def test_role_defaults() -> None:
    key, fill, rim = KeyLightParams(), FillLightParams(), RimLightParams()
    assert (key.azimuth_deg, key.elevation_deg) == (45.0, 30.0)
    assert np.sign(fill.azimuth_deg) == -np.sign(key.azimuth_deg)
    assert abs(rim.azimuth_deg) == 150.0
    assert fill.key_fill_ratio == 4.0
    assert PracticalLightParams().compensate is False


def test_models_forbid_extra_and_are_frozen() -> None:
    with pytest.raises(pydantic.ValidationError):
        KeyLightParams(colour="red")
    with pytest.raises(pydantic.ValidationError):
        RimLightParams(azimuth_deg=200.0)
    with pytest.raises(pydantic.ValidationError):
        FillLightParams(key_fill_ratio=0.5)
    key = KeyLightParams()
    with pytest.raises(pydantic.ValidationError):
        key.intensity_cd = 5.0  # type: ignore[misc]
    for name, field in KeyLightParams.model_fields.items():
        # the unit is declared structurally (Param(unit=...)); a choice field lists its
        # choices; a flag has no unit
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        choice = typing.get_origin(field.annotation) is typing.Literal
        assert field.description and (extra.get("unit") or field.annotation is bool or choice), name


def test_fill_intensity_formula() -> None:
    assert fill_intensity_cd(400.0, 2.0, 4.0) == pytest.approx(400.0)
    with pytest.raises(ValueError, match="key_fill_ratio"):
        fill_intensity_cd(400.0, 2.0, 0.5)


@pytest.mark.parametrize("compensate", [True, False])
def test_key_fill_ratio_holds_at_every_sample(compensate: bool) -> None:
    n = 40
    key = KeyLightParams(compensate=compensate, distance_m=3.0)
    fill = FillLightParams(key_fill_ratio=4.0, distance_m=2.5)
    rig = three_point_channels(
        n, CAMERA, TARGET, key, fill, RimLightParams(), [PracticalLightParams()],
        key_distance_m=np.linspace(2.0, 5.0, n), fill_distance_m=np.linspace(4.0, 1.0, n),
        flicker_ev=0.3 * np.sin(np.arange(n)),
    )
    assert set(rig) == {"key", "fill", "rim", "practical_0"}
    e_key = subject_illuminance(rig["key"][1], TARGET)
    e_fill = subject_illuminance(rig["fill"][1], TARGET)
    np.testing.assert_allclose(e_key / e_fill, 4.0, rtol=1e-9)
    # Two stops, as DESIGN.md defines the ratio.
    np.testing.assert_allclose(np.log2(e_key / e_fill), 2.0, rtol=1e-9)
    if compensate:
        # The key (a 1 m square area light) holds the illuminance its 2000 cd give at the
        # 3 m reference distance: the exact square law, not 2000 / 3**2 (issue 19).
        e0 = 2000.0 * light_illuminance_per_cd("light.area", 3.0, 1.0)
        np.testing.assert_allclose(e_key, e0 * 2.0 ** rig["key"][1]["flicker"])
        assert e0 == pytest.approx(2000.0 / 9.0 * 0.96433, rel=1e-4)
    # The fill really sits on the other side of the camera axis.
    assert (rig["fill"][1]["tx"] < 0).all() and (rig["key"][1]["tx"] > 0).all()
    assert (rig["rim"][1]["ty"] > TARGET[1]).all()  # behind the subject
