"""Load measures behind the causes of post-run hip pain (issue 5, item 4)."""
import math

import numpy as np
import pytest

from hipsim import load_config
from hipsim.gait import G
from hipsim.loads import (NECK_CORTEX_MM, TENDON_GROUPS, cumulative_load_per_km, femoral_neck_stress,
                          neck_section, trochanteric_compression)
from hipsim.morphology import build_hip
from hipsim.muscles import muscle_group
from hipsim.pipeline import run_pipeline, simulate, to_dataset


@pytest.fixture(scope="module")
def running():
    config = load_config({"activity": {"kind": "running"}})
    run = run_pipeline(config)
    return config, run, to_dataset(config, run)


def test_tendon_force_adds_its_muscles(running):
    config, run, ds = running
    bw = config.subject.mass_kg * G
    groups = np.array([muscle_group(n) for n in run.model.muscle_names])
    for name, members in TENDON_GROUPS.items():
        expected = run.muscle_force[:, np.isin(groups, members)].sum(axis=1) / bw
        np.testing.assert_allclose(ds["tendon_force"].sel(tendon_group=name).values, expected)
    assert ds["tendon_force"].attrs["units"] == "BW"


def test_neck_stress_of_pure_axial_and_pure_bending_loads():
    hip = build_hip({})
    s, r_o = neck_section(hip)
    r_i = r_o - NECK_CORTEX_MM
    area, inertia = math.pi * (r_o ** 2 - r_i ** 2), math.pi / 4 * (r_o ** 4 - r_i ** 4)
    n = hip.neck_axis / np.linalg.norm(hip.neck_axis)
    F = 2000.0
    # the head pushed down the neck axis: uniform compression (force on the acetabulum = -force on head)
    sigma = femoral_neck_stress(hip, np.eye(3)[None], -(F * n)[None])
    np.testing.assert_allclose(sigma[0], [-F / area, -F / area], rtol=1e-9)
    # a force across the neck, pushing the head inferiorly: tension on top, compression below
    down = -(np.array([0, 1.0, 0]) - n[1] * n)
    down /= np.linalg.norm(down)
    sigma = femoral_neck_stress(hip, np.eye(3)[None], -(F * down)[None])
    bending = F * s * r_o / inertia
    np.testing.assert_allclose(sigma[0], [bending, -bending], rtol=1e-9)


def test_neck_is_compressed_below_and_running_loads_it_more(running):
    walk = simulate(load_config({"activity": {"kind": "walking"}}))
    run_ds = running[2]
    for ds in (walk, run_ds):
        inferior = ds["femoral_neck_stress"].sel(site="inferior").values
        superior = ds["femoral_neck_stress"].sel(site="superior").values
        i = int(np.argmax(ds["hip_contact_force_resultant"].values))
        assert inferior[i] < 0 and inferior[i] < superior[i]
    assert run_ds["femoral_neck_stress"].sel(site="inferior").min() < 1.5 * walk["femoral_neck_stress"].sel(
        site="inferior").min()


def test_trochanteric_compression_rises_with_adduction():
    config = load_config({"activity": {"kind": "walking"}})
    run = run_pipeline(config)
    model = run.model
    from hipsim.kinematics import forward_kinematics
    k = model.coordinate_index(("hip_adduction_r",))[0]
    q = np.zeros((4, model.n_coord))
    q[:, k] = np.radians([-10.0, 0.0, 10.0, 20.0])
    force = np.zeros((4, model.n_muscle))
    for i, name in enumerate(model.muscle_names):
        if name in ("tfl_r", "glut_max1_r"):
            force[:, i] = 500.0
    compression = trochanteric_compression(model, forward_kinematics(model, q), force, 1.0)
    assert np.all(np.diff(compression) > 0)


def test_cumulative_load_per_km_is_impulse_times_strides(running):
    config, run, ds = running
    t = run.trial.time
    f = ds["hip_contact_force_resultant"].values
    impulse = np.trapezoid(f, t) if hasattr(np, "trapezoid") else np.trapz(f, t)
    expected = impulse * 1000.0 / (run.trial.speed * run.trial.stride_time)
    assert float(ds["cumulative_load_per_km"]) == pytest.approx(expected, rel=1e-12)
    assert ds["cumulative_load_per_km"].attrs["units"] == "BW s / km"
    assert math.isnan(cumulative_load_per_km(t, np.ones((len(t), 3)), 0.0, 1.0))
