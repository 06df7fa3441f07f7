"""Cartilage contact pressure by discrete element analysis (issue 4)."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.cli import main
from hipsim.errors import InputError
from hipsim.morphology import build_hip, clock_position, hip_rotation
from hipsim.pressure import (PressureModel, aggregate_modulus, cartilage_layer, concentric_solution,
                             hemispherical_socket, spherical_head)

E, NU, H = 12.0, 0.45, 2.0


@pytest.mark.parametrize("F", [1000.0, 2000.0, 4000.0])    # 1.5-6 BW
def test_concentric_sphere_matches_the_closed_form(F):
    """Below ~0.5 BW the displacement (~0.005 mm) is so small that the equator ring, where the
    deformation is u cos(89 deg), stays open within the mesh's normal-direction error (~1e-4
    mm) and the area reads ~1 % low; from walking loads up it is within 0.03 %."""
    Rs = 28.0
    layer = cartilage_layer(hemispherical_socket(Rs))
    model = PressureModel.from_parts(layer, spherical_head(Rs - H), H, E, NU)
    res = model.solve(np.eye(3)[None], np.array([[0.0, -F, 0.0]]))
    exact = concentric_solution(F, Rs, H, E, NU)
    assert res.status[0] == 0 and res.residual_n[0] < 1e-3 * F
    assert res.peak_mpa[0] == pytest.approx(exact["peak_mpa"], rel=0.01)
    assert res.mean_mpa[0] == pytest.approx(exact["mean_mpa"], rel=0.01)
    assert res.contact_area_mm2[0] == pytest.approx(exact["area_mm2"], rel=0.01)
    u = exact["displacement_mm"]
    np.testing.assert_allclose(res.displacement_mm[0], [0.0, -u, 0.0], atol=0.01 * u)


def test_no_load_no_pressure_and_an_unsupported_load_is_flagged():
    Rs = 28.0
    layer = cartilage_layer(hemispherical_socket(Rs))
    model = PressureModel.from_parts(layer, spherical_head(Rs - H), H, E, NU)
    res = model.solve(np.repeat(np.eye(3)[None], 2, 0), np.array([[0.0, 0.0, 0.0], [0.0, 800.0, 0.0]]))
    assert res.peak_mpa[0] == 0.0 and res.contact_area_mm2[0] == 0.0 and res.status[0] == 0
    # (the radial springs of a congruent sphere touch at zero load without pressing)
    assert res.status[1] == 3                    # pulled out of the socket: nothing can hold it


@pytest.fixture(scope="module")
def walking():
    from hipsim.pipeline import run_pipeline
    config = load_config({"activity": {"kind": "walking"}, "cartilage": {"pressure_map": True}})
    return config, run_pipeline(config)


def _spring_force(layer, pressure, displacement):
    """(n, 3) [N] of the radial springs: sum p A max(0, -n.u) u, u from the head's centre."""
    q = layer.position[None] - displacement[:, None]
    u = q / np.linalg.norm(q, axis=2, keepdims=True)
    facing = np.maximum(0.0, -np.einsum("ei,fei->fe", layer.normal, u))
    return np.einsum("fe,e,fe,fei->fi", pressure, layer.area, facing, u)


def test_force_balance_in_every_walking_frame(walking):
    config, run = walking
    res = run.pressure
    assert (res.status == 0).all()
    from hipsim.pipeline import pressure_model
    layer = pressure_model(config.morphology, config.cartilage).layer
    force = _spring_force(layer, res.pressure_map, res.displacement_mm)
    err = np.linalg.norm(force - run.contact_force, axis=1)
    assert np.all(err <= 1e-3 * np.linalg.norm(run.contact_force, axis=1))      # within 0.1 %
    np.testing.assert_allclose(res.peak_mpa, res.pressure_map.max(axis=1))
    assert 100.0 < res.contact_area_mm2.max() < 2500.0


def test_pressure_rises_and_area_falls_as_cover_drops():
    """The real hip's rim trimmed (LCEA 40 -> 25 -> 15): the same walking load on less cartilage."""
    from hipsim.hip_models import pressure_model
    load = np.array([[100.0, 1600.0, -400.0]])        # walking stance direction, pelvis frame [N]
    peak, area = [], []
    for lcea in (40.0, 25.0, 15.0):
        config = load_config({"morphology": {"lce_angle_deg": lcea}})
        res = pressure_model(config.morphology, config.cartilage).solve(hip_rotation([20.0, 0.0, 0.0]), load)
        assert res.status[0] == 0
        peak.append(res.peak_mpa[0])
        area.append(res.contact_area_mm2[0])
    assert peak[2] > peak[0]                       # the dome keeps the peak until the cover is dysplastic
    assert area[0] > area[1] > area[2]


def test_a_cam_entering_the_joint_loads_the_anterosuperior_cartilage():
    from hipsim.hip_models import hip_geometry, pressure_model
    from hipsim.mesh import clock_direction
    R = hip_rotation(np.array([[75.0, 5.0, 10.0]]))          # flexed, adducted, turned in
    normal, cam = load_config(), load_config({"morphology": {"alpha_angle_deg": 70.0, "cam_clock": 3.0}})
    g = hip_geometry(normal.morphology)
    toward = -0.8 * g.acetabular_axis + 0.6 * clock_direction(1.5, g.acetabular_axis, g.pelvis_axes[1], g.pelvis_axes[0])
    load = 400.0 * (toward / np.linalg.norm(toward))[None]     # into the anterosuperior socket
    a = pressure_model(normal.morphology, normal.cartilage).solve(R, load, pressure_map=True)
    model = pressure_model(cam.morphology, cam.cartilage)
    b = model.solve(R, load, pressure_map=True)
    assert a.status[0] == b.status[0] == 0
    assert b.peak_mpa[0] > 2 * a.peak_mpa[0]
    hot = model.layer.position[np.argmax(b.pressure_map[0])]
    clock = hip_geometry(cam.morphology).clock(hot[None])[0]
    assert clock >= 11.5 or clock <= 3.0


def test_the_newton_jacobian_is_the_derivative_of_the_spring_force():
    """The kernel's analytic Jacobian (radial springs, projected areas included) against central
    differences on the atlas hip, flexed so the head-neck junction loads the rim."""
    from hipsim._kernels import dea
    from hipsim.hip_models import pressure_model
    config = load_config()
    model = pressure_model(config.morphology, config.cartilage)
    L, head = model.layer, model.head
    rho = np.empty(L.n_elements)
    dea.element_radii(hip_rotation(np.array([[75.0, 5.0, 20.0]]))[0], L.direction, head.table, head.sphere_radius_mm,
                      head.sphere_cos, head.neck_axis, head.offset_mm, rho)

    def force(d, jac=None):
        out, pressure = np.zeros(3), np.zeros(L.n_elements)
        dea._springs(*d, L.position, L.normal, L.area, rho, model.element_thickness, model.stiffness_mpa,
                     jac is not None, np.zeros((3, 3)) if jac is None else jac, out, pressure)
        return out

    d = np.array([-0.04, 0.015, -0.19])
    jac = np.zeros((3, 3))
    force(d, jac)
    step = 1e-6
    numeric = np.stack([(force(d + e) - force(d - e)) / (2 * step) for e in np.eye(3) * step], axis=1)
    np.testing.assert_allclose(jac, numeric, rtol=1e-5, atol=1e-3 * np.abs(numeric).max())


def test_a_cam_that_levers_the_head_out_is_flagged_not_solved():
    """An alpha-85 cam deep in the anterosuperior socket: the head must move more than three
    cartilage thicknesses to make room, so the frame is flagged 'no support', while the normal
    hip under the same load balances."""
    from hipsim.hip_models import hip_geometry, pressure_model
    from hipsim.mesh import clock_direction
    R = hip_rotation(np.array([[75.0, 5.0, 10.0]]))
    normal, cam = load_config(), load_config({"morphology": {"alpha_angle_deg": 85.0, "cam_clock": 3.0}})
    g = hip_geometry(normal.morphology)
    toward = -0.8 * g.acetabular_axis + 0.6 * clock_direction(1.5, g.acetabular_axis, g.pelvis_axes[1], g.pelvis_axes[0])
    load = 400.0 * (toward / np.linalg.norm(toward))[None]
    assert pressure_model(normal.morphology, normal.cartilage).solve(R, load).status[0] == 0
    res = pressure_model(cam.morphology, cam.cartilage).solve(R, load)
    model = pressure_model(cam.morphology, cam.cartilage)
    assert res.status[0] == 3 and np.linalg.norm(res.displacement_mm[0]) > 3 * model.thickness_mm


def test_same_inputs_same_pressures():
    model = PressureModel(build_hip({}), H, E, NU)
    R = hip_rotation(np.array([[10.0, 0.0, 0.0], [30.0, 5.0, 5.0]]))
    load = np.array([[100.0, 1500.0, -300.0], [200.0, 2000.0, -400.0]])
    a, b = model.solve(R, load), model.solve(R, load)
    np.testing.assert_array_equal(a.peak_mpa, b.peak_mpa)
    np.testing.assert_array_equal(a.displacement_mm, b.displacement_mm)


@pytest.mark.parametrize("setting,key", [
    ("cartilage.thickness_mm=0", "cartilage.thickness_mm"),
    ("cartilage.thickness_mm=-1", "cartilage.thickness_mm"),
    ("cartilage.poisson_ratio=0.5", "cartilage.poisson_ratio"),
    ("cartilage.modulus_mpa=0", "cartilage.modulus_mpa"),
    ("cartilage.thickness_mm=5", "cartilage.thickness_mm"),      # thicker than the narrowest joint space
])
def test_nonsense_cartilage_exits_2_and_writes_nothing(tmp_path, capsys, setting, key):
    out = tmp_path / "r.nc"
    assert main(["run", "--set", "activity.kind=walking", "--set", setting, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and key in err and "Traceback" not in err
    assert not out.exists()


def test_aggregate_modulus_refuses_incompressible():
    with pytest.raises(InputError):
        aggregate_modulus(12.0, 0.5)
