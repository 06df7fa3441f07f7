"""Running-form and core levers (issue 5): pelvic rotation scale, core strength and cadence."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.cli import main
from hipsim.pipeline import run_pipeline, simulate


@pytest.fixture(scope="module")
def walks():
    return {s: simulate(load_config({"activity": {"kind": "walking"}, "form": {"pelvic_rotation_scale": s}}))
            for s in (1.0, 2.0)}


def _femur_in_space(config_dict):
    run = run_pipeline(load_config(config_dict))
    return run.dynamics.kinematics[0][:, run.model.body_names.index("femur_r")]


def test_pelvic_rotation_scales_about_its_mean_and_the_leg_keeps_its_path(walks):
    base, wide = walks[1.0], walks[2.0]
    p0 = base["pelvis_angle"].sel(pelvis_dof="rotation").values
    p1 = wide["pelvis_angle"].sel(pelvis_dof="rotation").values
    np.testing.assert_allclose(p1 - p1.mean(), 2.0 * (p0 - p0.mean()), atol=1e-6)
    walking = {"activity": {"kind": "walking"}}
    np.testing.assert_allclose(_femur_in_space({**walking, "form": {"pelvic_rotation_scale": 2.0}}),
                               _femur_in_space(walking), atol=1e-7)
    h0 = base["hip_angle"].sel(dof="internal_rotation").values
    h1 = wide["hip_angle"].sel(dof="internal_rotation").values
    stance = base["grf"].sel(lab_axis="superior").values > 0.3
    assert np.ptp(h1[stance]) > np.ptp(h0[stance]) + 3.0
    assert (wide["solver_status"].values == 0).all()


def test_a_weak_core_lets_the_pelvis_drop_and_the_stance_hip_adduct_and_rotate():
    """Direction of Schmitz et al. 2014 (Gait Posture 40:82): weaker trunk, more hip internal
    rotation in stance; and more contralateral drop and hip adduction (issue 5)."""
    walking = {"activity": {"kind": "walking"}}
    strong, weak = (simulate(load_config({**walking, "strength": {"core": c}})) for c in (1.0, 0.6))
    obliquity = lambda ds: ds["pelvis_angle"].sel(pelvis_dof="obliquity").values
    np.testing.assert_allclose(np.ptp(obliquity(weak)), np.ptp(obliquity(strong)) / 0.6, rtol=1e-6)
    stance = strong["grf"].sel(lab_axis="superior").values > 0.3
    for dof in ("adduction", "internal_rotation"):
        assert weak["hip_angle"].sel(dof=dof).values[stance].max() > \
            strong["hip_angle"].sel(dof=dof).values[stance].max() + 0.5
    np.testing.assert_allclose(_femur_in_space({**walking, "strength": {"core": 0.6}}), _femur_in_space(walking),
                               atol=1e-7)


@pytest.fixture(scope="module")
def runs():
    return {c: simulate(load_config({"activity": {"kind": "running"}, "form": {"cadence_change_pct": c}}))
            for c in (0.0, 10.0)}


def test_cadence_shortens_the_stride_and_keeps_the_step_impulse(runs):
    base, quick = runs[0.0], runs[10.0]
    assert quick.attrs["stride_time_s"] == pytest.approx(base.attrs["stride_time_s"] / 1.1, rel=1e-12)
    assert quick.attrs["speed_m_s"] == base.attrs["speed_m_s"]

    def impulse(ds):
        return np.trapezoid(ds["grf"].sel(lab_axis="superior").values, ds["time"].values)
    # one right contact per stride carries body weight x step time (= half the stride)
    ratio = impulse(quick) / impulse(base)
    assert ratio == pytest.approx(1 / 1.1, rel=0.03)


def test_quicker_steps_land_closer_with_less_force(runs):
    """Directions of Heiderscheit et al. 2011 (Med Sci Sports Exerc 43:296) for +10 % step rate:
    smaller hip flexion at contact, smaller braking and vertical force peaks, less vertical
    excursion of the centre of mass."""
    base, quick = runs[0.0], runs[10.0]
    flexion = lambda ds: ds["hip_angle"].sel(dof="flexion").values
    assert flexion(quick)[0] < flexion(base)[0] - 0.5
    grf = lambda ds, axis: ds["grf"].sel(lab_axis=axis).values
    assert grf(quick, "superior").max() < 0.95 * grf(base, "superior").max()
    assert grf(quick, "anterior").min() > grf(base, "anterior").min()        # braking is negative


def test_a_narrower_step_adducts_the_hip_and_raises_the_abductor_moment():
    """Direction of Brindle et al. 2014 (Gait Posture 39:124): narrow steps, more peak hip
    adduction; and a longer frontal lever of the ground force about the hip."""
    runs = {w: simulate(load_config({"activity": {"kind": "running"}, "form": {"step_width_m": w}}))
            for w in (0.15, 0.06, 0.01)}
    stance = runs[0.06]["grf"].sel(lab_axis="superior").values > 0.3
    adduction = [runs[w]["hip_angle"].sel(dof="adduction").values[stance].max() for w in (0.15, 0.06, 0.01)]
    abduction = [-runs[w]["hip_moment"].sel(dof="adduction").values.min() for w in (0.15, 0.06, 0.01)]
    assert adduction[0] < adduction[1] < adduction[2]
    assert abduction[0] < abduction[1] < abduction[2]
    # the preferred width reproduces the library cycle
    base = simulate(load_config({"activity": {"kind": "running"}}))
    np.testing.assert_allclose(runs[0.06]["hip_contact_force"], base["hip_contact_force"], atol=1e-9)


def test_overstriding_flexes_the_hip_at_contact_and_brakes_harder():
    base, over = (simulate(load_config({"activity": {"kind": "running"}, "form": {"overstride_m": o}}))
                  for o in (0.0, 0.10))
    flexion = lambda ds: float(ds["hip_angle"].sel(dof="flexion")[0])
    assert flexion(over) > flexion(base) + 3.0
    fx = lambda ds: ds["grf"].sel(lab_axis="anterior").values
    assert fx(over).min() < fx(base).min()                                   # braking is negative
    impulse = lambda ds, axis: np.trapezoid(ds["grf"].sel(lab_axis=axis).values, ds["time"].values)
    # steady speed: the lever keeps the cycle's net fore-aft impulse (the measured cycle's own
    # is 0.0024 BW s, a 0.35 % BW mean offset of the treadmill force) [BW s]
    assert abs(impulse(over, "anterior") - impulse(base, "anterior")) < 2e-4
    assert abs(impulse(over, "anterior")) < 5e-3
    assert impulse(over, "superior") == pytest.approx(impulse(base, "superior"), rel=0.02)
    assert over.attrs["stride_time_s"] == base.attrs["stride_time_s"]


@pytest.mark.parametrize("key,settings", [
    ("strength.core", ["strength.core=0.1"]),                               # beyond the compliance model
    ("form.pelvic_rotation_scale", ["form.pelvic_rotation_scale=4"]),
    ("form.cadence_change_pct", ["activity.kind=walking", "form.cadence_change_pct=5"]),
    ("form.cadence_change_pct", ["activity.kind=running", "form.cadence_change_pct=45"]),
    ("form.step_width_m", ["activity.kind=walking", "form.step_width_m=0.1"]),
    ("form.step_width_m", ["activity.kind=running", "form.step_width_m=-0.2"]),   # legs crossing
    ("form.overstride_m", ["activity.kind=walking", "form.overstride_m=0.05"]),
    ("form.overstride_m", ["activity.kind=running", "form.overstride_m=0.4"]),    # no flight left
])
def test_levers_outside_the_models_exit_2(tmp_path, capsys, key, settings):
    out = tmp_path / "r.nc"
    args = ["run"] + [a for setting in settings for a in ("--set", setting)] + ["-o", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {key}") and "Traceback" not in err and not out.exists()
