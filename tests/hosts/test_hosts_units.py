"""hosts.units: axis/unit conversions, light units and frame-rate names against known values."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph import rotations
from moks_graph.hosts import units as u

RNG = np.random.default_rng(1234)  # test data only


def _forward(rx, ry, rz):
    """Internal world forward (-Z local) of Euler XYZ degrees."""
    return -rotations.euler_angles_to_matrix(rx, ry, rz)[:, :, 2]


def _random_pose(n=300):
    t = RNG.normal(size=(3, n)) * 5
    rx, rz = RNG.uniform(-179, 179, (2, n))
    ry = RNG.uniform(-89, 89, n)
    return t, rx, ry, rz


# --------------------------------------------------------------------------- rotations


def test_euler_matrix_known_rotations():
    # Rx(90) maps +Y to +Z; Rz(90) maps +X to +Y; order is Rz @ Ry @ Rx.
    np.testing.assert_allclose(rotations.euler_angles_to_matrix(90, 0, 0)[0] @ [0, 1, 0], [0, 0, 1],
                               atol=1e-15)
    np.testing.assert_allclose(rotations.euler_angles_to_matrix(0, 0, 90)[0] @ [1, 0, 0], [0, 1, 0],
                               atol=1e-15)
    r = rotations.euler_angles_to_matrix(90, 0, 90)[0]
    # X first (+Y -> +Z), then Z (+Z stays): +Y -> +Z.
    np.testing.assert_allclose(r @ [0, 1, 0], [0, 0, 1], atol=1e-15)
    # camera at rest looks down, with rx = 90 looks along +Y
    np.testing.assert_allclose(_forward(0, 0, 0)[0], [0, 0, -1], atol=1e-15)
    np.testing.assert_allclose(_forward(90, 0, 0)[0], [0, 1, 0], atol=1e-15)


def test_matrix_to_euler_single_sample_takes_smallest_rotation():
    _, rx, ry, rz = _random_pose()
    for i in range(len(rx)):  # independent samples: no continuity coupling
        m = rotations.euler_angles_to_matrix(rx[i], ry[i], rz[i])
        a, b, c = rotations.continuous_euler_xyz(m)
        np.testing.assert_allclose(rotations.euler_angles_to_matrix(a, b, c), m, atol=1e-12)
        alt = [rx[i] + 180, 180 - ry[i], rz[i] + 180]
        best = min(np.abs((np.array(v) + 180) % 360 - 180).sum()
                   for v in ([rx[i], ry[i], rz[i]], alt))
        assert abs(a[0]) + abs(b[0]) + abs(c[0]) == pytest.approx(best, abs=1e-9)
    # with a reference the nearest equivalent solution is returned, 360-shifted too
    a, b, c = rotations.continuous_euler_xyz(rotations.euler_angles_to_matrix(-176.0, 54.0, -138.0),
                                    near=[184.0, 50.0, 222.0])
    np.testing.assert_allclose([a[0], b[0], c[0]], [184.0, 54.0, 222.0], atol=1e-9)


def test_matrix_to_euler_is_continuous_through_gimbal_and_wrap():
    # A yaw sweep about Maya-like Y through +-90 (gimbal of the xyz order) and 180.
    n = 721
    yaw = np.linspace(-200.0, 520.0, n)
    tilt = np.full(n, 12.0)
    mats = rotations.euler_angles_to_matrix(np.zeros(n), yaw, np.zeros(n)) \
        @ rotations.euler_angles_to_matrix(tilt, np.zeros(n), np.zeros(n))
    a, b, c = rotations.continuous_euler_xyz(mats, near=[12.0, -200.0, 0.0])
    np.testing.assert_allclose(b, yaw, atol=1e-7)  # sampled exactly at 90: gimbal branch
    np.testing.assert_allclose(a, tilt, atol=1e-7)
    np.testing.assert_allclose(c, 0.0, atol=1e-7)
    back = rotations.euler_angles_to_matrix(a, b, c)
    np.testing.assert_allclose(back, mats, atol=1e-12)


def test_gimbal_samples_reconstruct_the_matrix():
    for b in (90.0, -90.0):
        m = rotations.euler_angles_to_matrix([30.0, 10.0], [b, b], [50.0, -20.0])
        a2, b2, c2 = rotations.continuous_euler_xyz(m)
        np.testing.assert_allclose(rotations.euler_angles_to_matrix(a2, b2, c2), m, atol=1e-12)
        a3, b3, c3 = rotations.continuous_euler_xyz(m[:1], gimbal_zero="a")
        assert a3[0] == pytest.approx(0.0, abs=1e-9)
        np.testing.assert_allclose(rotations.euler_angles_to_matrix(a3, b3, c3), m[:1], atol=1e-12)
        _, _, c4 = rotations.continuous_euler_xyz(m[:1], gimbal_zero="c")
        assert c4[0] == pytest.approx(0.0, abs=1e-9)


def test_quaternion_round_trip_including_half_turns():
    _, rx, ry, rz = _random_pose()
    mats = np.concatenate([rotations.euler_angles_to_matrix(rx, ry, rz),
                           rotations.euler_angles_to_matrix([180, 0, 0, 180], [0, 180, 0, 0],
                                                 [0, 0, 180, 180])])
    q = rotations.matrix_to_quaternion(mats)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(rotations.quaternion_to_matrix(q), mats, atol=1e-14)
    # Known quaternion: 90 deg about Z = (cos 45, 0, 0, sin 45)
    q90 = rotations.matrix_to_quaternion(rotations.euler_angles_to_matrix(0, 0, 90))[0]
    np.testing.assert_allclose(q90, [np.sqrt(0.5), 0, 0, np.sqrt(0.5)], atol=1e-15)


def test_quaternion_sign_continuity_and_previous():
    yaw = np.linspace(0.0, 720.0, 97)  # two full turns: w changes sign without continuity
    q = rotations.matrix_to_quaternion(rotations.euler_angles_to_matrix(0, 0, yaw))
    assert np.all(np.sum(q[1:] * q[:-1], axis=1) > 0.99)
    assert q[0, 0] == pytest.approx(1.0)
    # a chunk starting after a sample of -q keeps that sign
    q2 = rotations.matrix_to_quaternion(rotations.euler_angles_to_matrix(0, 0, yaw[:3]),
                                        previous=-q[0])
    np.testing.assert_allclose(q2, -q[:3], atol=1e-15)


# --------------------------------------------------------------------------- Maya


def test_maya_known_cases():
    x, y, z, rx, ry, rz = u.to_maya_transform(1.0, 2.0, 3.0, 0.0, 0.0, 0.0)
    np.testing.assert_allclose([x[0], y[0], z[0]], [100.0, 300.0, -200.0])
    np.testing.assert_allclose([rx[0], ry[0], rz[0]], [-90.0, 0.0, 0.0], atol=1e-12)
    # internal rx = 90 looks along +Y = Maya -Z: Maya rest orientation
    m = u.to_maya_transform(0, 0, 0, 90.0, 0.0, 0.0)
    np.testing.assert_allclose([m[3][0], m[4][0], m[5][0]], [0, 0, 0], atol=1e-12)
    # pan by rz about internal Z = yaw about Maya Y by the same angle
    m = u.to_maya_transform(0, 0, 0, 100.0, 0.0, 30.0)
    np.testing.assert_allclose([m[3][0], m[4][0], m[5][0]], [10.0, 30.0, 0.0], atol=1e-12)


def test_maya_forward_vector_matches_internal():
    t, rx, ry, rz = _random_pose()
    _, _, _, mx, my, mz = u.to_maya_transform(*t, rx, ry, rz)
    fwd_maya = -rotations.euler_angles_to_matrix(mx, my, mz)[:, :, 2]
    fwd_internal = fwd_maya @ u.Z_UP_TO_Y_UP  # Maya (x, y, z) -> internal (x, -z, y)
    np.testing.assert_allclose(fwd_internal, _forward(rx, ry, rz), atol=1e-12)


def test_maya_round_trip():
    t, rx, ry, rz = _random_pose()
    back = u.from_maya_transform(*u.to_maya_transform(*t, rx, ry, rz))
    np.testing.assert_allclose(np.array(back[:3]), t, atol=1e-12)
    np.testing.assert_allclose(rotations.euler_angles_to_matrix(*back[3:]),
                               rotations.euler_angles_to_matrix(rx, ry, rz), atol=1e-12)


def test_maya_circling_camera_round_trip_is_exact_and_continuous():
    n = 200
    pan = np.linspace(-30.0, 400.0, n)
    tilt = 80.0 + 3.0 * np.sin(np.linspace(0, 5, n))
    m = u.to_maya_transform(np.cos(pan), np.sin(pan), 1.5, tilt, 0.0, pan)
    for a in m[3:]:
        assert np.abs(np.diff(a)).max() < 5.0  # no 180/360 jumps
    np.testing.assert_allclose(m[4], pan, atol=1e-9)  # Maya ry carries the pan
    back = u.from_maya_transform(*m)
    np.testing.assert_allclose(back[3], tilt, atol=1e-9)
    np.testing.assert_allclose(back[4], 0.0, atol=1e-9)
    np.testing.assert_allclose(back[5], pan, atol=1e-9)


# --------------------------------------------------------------------------- Unreal


def test_unreal_rotator_matrix_known_axes():
    fwd = lambda r, p, y: u.unreal_rotator_to_matrix(r, p, y)[0][:, 0]  # noqa: E731
    np.testing.assert_allclose(fwd(0, 0, 0), [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(fwd(0, 90, 0), [0, 0, 1], atol=1e-15)  # pitch up
    np.testing.assert_allclose(fwd(0, 0, 90), [0, 1, 0], atol=1e-15)  # yaw toward +Y
    right = u.unreal_rotator_to_matrix(90, 0, 0)[0][:, 1]
    np.testing.assert_allclose(right, [0, 0, -1], atol=1e-15)  # roll lowers the right axis
    r, p, y = RNG.uniform(-180, 180, (3, 50))
    np.testing.assert_allclose(u.unreal_rotator_to_matrix(r, p, y),
                               rotations.euler_angles_to_matrix(-r, -p, y), atol=1e-14)


def test_unreal_known_cases():
    rest = u.to_unreal_transform(1.0, 2.0, 3.0, 0.0, 0.0, 0.0)
    np.testing.assert_allclose([a[0] for a in rest[:3]], [100.0, -200.0, 300.0])
    np.testing.assert_allclose([a[0] for a in rest[3:]], [0.0, -90.0, -90.0], atol=1e-9)
    along_y = u.to_unreal_transform(0, 0, 0, 90.0, 0.0, 0.0)
    np.testing.assert_allclose([a[0] for a in along_y[3:]], [0.0, 0.0, -90.0], atol=1e-9)
    along_x = u.to_unreal_transform(0, 0, 0, 90.0, 0.0, -90.0)
    np.testing.assert_allclose([a[0] for a in along_x[3:]], [0.0, 0.0, 0.0], atol=1e-9)
    # no roll: pitch = rx - 90, yaw = -rz - 90
    rx = np.array([60.0, 95.0, 120.0, 80.0, 100.0])
    rz = np.array([10.0, -40.0, 170.0, 60.0, -120.0])
    for i in range(len(rx)):  # independent samples
        ue = u.to_unreal_transform(0, 0, 0, rx[i], 0.0, rz[i])
        assert ue[3][0] == pytest.approx(0.0, abs=1e-9)
        assert ue[4][0] == pytest.approx(rx[i] - 90.0, abs=1e-9)
        assert (ue[5][0] - (-rz[i] - 90.0) + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=1e-9)
    # as one sequence the yaw is continuous (unwrapped), not folded into +-180
    seq = u.to_unreal_transform(0, 0, 0, 90.0, 0.0, np.linspace(0.0, 300.0, 31))
    np.testing.assert_allclose(seq[5], -np.linspace(0.0, 300.0, 31) - 90.0, atol=1e-9)


def test_unreal_forward_and_up_match_mirrored_internal_axes():
    t, rx, ry, rz = _random_pose()
    _, _, _, roll, pitch, yaw = u.to_unreal_transform(*t, rx, ry, rz)
    m = u.unreal_rotator_to_matrix(roll, pitch, yaw)
    r = rotations.euler_angles_to_matrix(rx, ry, rz)
    mirror = np.array([1.0, -1.0, 1.0])
    np.testing.assert_allclose(m[:, :, 0], -r[:, :, 2] * mirror, atol=1e-12)  # forward
    np.testing.assert_allclose(m[:, :, 2], r[:, :, 1] * mirror, atol=1e-12)  # up


def test_unreal_round_trip():
    t, rx, ry, rz = _random_pose()
    back = u.from_unreal_transform(*u.to_unreal_transform(*t, rx, ry, rz))
    np.testing.assert_allclose(np.array(back[:3]), t, atol=1e-12)
    np.testing.assert_allclose(rotations.euler_angles_to_matrix(*back[3:]),
                               rotations.euler_angles_to_matrix(rx, ry, rz), atol=1e-12)


# --------------------------------------------------------------------------- USD


def test_usd_known_cases():
    tr, q = u.to_usd_transform(1.0, 2.0, 3.0, 0.0, 0.0, 0.0)
    np.testing.assert_allclose(tr[0], [100.0, 200.0, 300.0])  # cm stage
    np.testing.assert_allclose(q[0], [1.0, 0.0, 0.0, 0.0])
    tr, q = u.to_usd_transform(1.0, 2.0, 3.0, 0.0, 0.0, 0.0, up_axis="Y", meters_per_unit=1.0)
    np.testing.assert_allclose(tr[0], [1.0, 3.0, -2.0])
    np.testing.assert_allclose(q[0], [np.sqrt(0.5), -np.sqrt(0.5), 0.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("up", ["Z", "Y"])
@pytest.mark.parametrize("mpu", [0.01, 1.0])
def test_usd_round_trip(up, mpu):
    t, rx, ry, rz = _random_pose()
    tr, q = u.to_usd_transform(*t, rx, ry, rz, up_axis=up, meters_per_unit=mpu)
    assert np.all(np.sum(q[1:] * q[:-1], axis=1) >= 0.0)
    back = u.from_usd_transform(tr, q, up_axis=up, meters_per_unit=mpu)
    np.testing.assert_allclose(np.array(back[:3]), t, atol=1e-12)
    np.testing.assert_allclose(rotations.euler_angles_to_matrix(*back[3:]),
                               rotations.euler_angles_to_matrix(rx, ry, rz), atol=1e-12)


def test_transform_bad_input():
    with pytest.raises(ValueError, match="rx"):
        u.to_maya_transform(0, 0, 0, [np.nan], 0, 0)
    with pytest.raises(ValueError, match="different lengths"):
        u.to_unreal_transform([0, 1], [0, 1, 2], 0, 0, 0, 0)
    with pytest.raises(ValueError, match="up_axis"):
        u.to_usd_transform(0, 0, 0, 0, 0, 0, up_axis="X")
    with pytest.raises(ValueError, match="meters_per_unit"):
        u.to_usd_transform(0, 0, 0, 0, 0, 0, meters_per_unit=0.0)


# --------------------------------------------------------------------------- lens units


def test_lens_units():
    np.testing.assert_allclose(u.film_back_to_maya_inches([25.4, 36.0]), [1.0, 36.0 / 25.4])
    np.testing.assert_allclose(u.film_back_from_maya_inches(u.film_back_to_maya_inches(24.0)),
                               24.0)
    np.testing.assert_allclose(u.lens_to_usd(35.0, 0.01), 35.0)  # cm stage: mm exactly
    np.testing.assert_allclose(u.lens_to_usd(35.0, 1.0), 0.35)  # tenths of a metre
    np.testing.assert_allclose(u.lens_from_usd(u.lens_to_usd(50.0, 0.001), 0.001), 50.0)


# --------------------------------------------------------------------------- light units

K = u.LUMINOUS_EFFICACY


@pytest.mark.parametrize(
    ("host", "kind", "cd", "size", "expected"),
    [
        ("blender", "light.point", K, None, 4 * np.pi),  # P = 4 pi I / 683
        ("blender", "light.spot", K, None, 4 * np.pi),
        ("blender", "light.area", K, 1.0, np.pi),  # P = pi I / 683
        ("blender", "light.sun", K, None, 1.0),  # S = E / 683 W/m^2
        ("usd", "light.point", np.pi, 2.0, 1.0),  # L = I / (pi r^2), r = 1
        ("usd", "light.spot", 100 * np.pi, 0.2, 1e4),  # r = 0.1 -> pi r^2 = 0.01 pi
        ("usd", "light.area", 4.0, 2.0, 1.0),  # L = I / (w h)
        ("usd", "light.sun", 1e5, None, 1e5),  # normalized distant light: lux
        ("maya", "light.point", 2.0, None, 2e4),  # 10^4 I (quadratic decay in cm)
        ("maya", "light.area", 4.0, 2.0, 1.0),  # I / size^2
        ("maya", "light.sun", 3.0, None, 3.0),
        ("unreal", "light.point", 7.0, None, 7.0),  # candela
        ("unreal", "light.area", 7.0, 3.0, 7.0),
        ("unreal", "light.sun", 9.0, None, 9.0),  # lux
    ],
)
def test_light_to_host_known_values(host, kind, cd, size, expected):
    got = u.light_to_host(host, kind, cd, size_m=size)
    assert got.shape == (1,)
    assert got[0] == pytest.approx(expected, rel=1e-12)


def test_usd_sphere_luminance_gives_inverse_square_illuminance():
    # A small sphere of luminance L and radius r seen from d >> r gives E = L * pi r^2 / d^2,
    # which must equal I / d^2 for the candela value we started from.
    intensity, size, d = 1200.0, 0.08, 7.0
    lum = u.light_to_host("usd", "light.point", intensity, size_m=size)[0]
    r = size / 2
    assert lum * np.pi * r * r / d**2 == pytest.approx(intensity / d**2, rel=1e-12)


@pytest.mark.parametrize("host", u.HOSTS)
@pytest.mark.parametrize("kind", u.LIGHT_KINDS)
def test_light_round_trip(host, kind):
    intensity = RNG.uniform(1.0, 1e5, 40)
    size = RNG.uniform(0.05, 3.0, 40)
    value = u.light_to_host(host, kind, intensity, size_m=size, spot_angle_deg=45.0)
    back = u.light_from_host(host, kind, value, size_m=size, spot_angle_deg=45.0)
    np.testing.assert_allclose(back, intensity, rtol=1e-14)


def test_light_bad_input():
    with pytest.raises(ValueError, match="light_kind"):
        u.light_to_host("usd", "light.laser", 1.0)
    with pytest.raises(ValueError, match="host"):
        u.light_to_host("houdini", "light.point", 1.0)
    with pytest.raises(ValueError, match="size_m is required"):
        u.light_to_host("usd", "light.area", 1.0)
    with pytest.raises(ValueError, match="size_m must be positive"):
        u.light_to_host("usd", "light.point", 1.0, size_m=[0.0])
    with pytest.raises(ValueError, match="intensity_cd"):
        u.light_to_host("unreal", "light.point", [1.0, np.nan])
    with pytest.raises(ValueError, match="spot_angle_deg"):
        u.light_to_host("unreal", "light.spot", 1.0, spot_angle_deg=-5.0)


# --------------------------------------------------------------------------- frame rates


@pytest.mark.parametrize(
    ("fps", "name"),
    [(24, "film"), (25, "pal"), (30, "ntsc"), (48, "show"), (50, "palf"), (60, "ntscf"),
     (15, "game"), (24000 / 1001, "23.976fps"), (30000 / 1001, "29.97fps"),
     (60000 / 1001, "59.94fps"), (120, "120fps"), (12.5, "12.5fps")],
)
def test_maya_time_units(fps, name):
    assert u.maya_time_unit(fps) == name
    assert u.fps_from_maya_time_unit(name) == pytest.approx(fps, rel=1e-12)


def test_maya_time_unit_bad_input():
    with pytest.raises(ValueError, match="fps"):
        u.maya_time_unit(0)
    with pytest.raises(ValueError, match="not a Maya"):
        u.fps_from_maya_time_unit("fortnight")


@pytest.mark.parametrize(
    ("fps", "rate"),
    [(24, (24, 1)), (24000 / 1001, (24000, 1001)), (30000 / 1001, (30000, 1001)),
     (12.5, (25, 2)), (60, (60, 1))],
)
def test_frame_rate_fractions(fps, rate):
    assert u.fps_to_frame_rate(fps) == rate
