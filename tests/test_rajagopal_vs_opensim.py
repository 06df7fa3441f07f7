"""Cross-check hipsim's RajagopalLaiUhlrich2023 musculotendon lengths and moment arms against
OpenSim.

The 2023 model (Rajagopal 2016 + Lai 2017 + Uhlrich 2022, in ../shared/reference/opensim/
rajagopal_lai_uhlrich2023/) exercises what gait2392 does not: PinJoints, the walker knee
(several rotation axes driven by knee_angle_r through polynomials), the patella as a branch off
the femur driven by a CoordinateCouplerConstraint, and WrapCylinder path wrapping.

Poses as in test_muscles_vs_opensim.py (neutral, the 32 corners of the range box, 60 random poses
from default_rng(0)), with the knee in this model's convention (flexion positive, 0-110 deg).
OpenSim's dependent coordinate knee_angle_r_beta is set from the coupler function (OpenSim's own)
so that the constraint holds without assembly. Tolerances: length 1 mm; moment arm
max(2 mm, 5 %). Skipped when ../shared or the opensim package is absent.

Two OpenSim 4.6 quirks, both checked here rather than assumed:

* Muscles with two PathWraps (gaslat_r, gasmed_r): OpenSim iterates the wraps, but its path
  length reuses the ground positions of the tangent points cached on the first pass (the
  PathWrapPoint's Point location cache is not invalidated when the wrap is recomputed), while
  the arc lengths are updated; at some poses the reported length is then shorter than the
  path through OpenSim's own final tangent points (by up to ~9 mm, with an "arc" shorter than
  its chord). The reference length is therefore OpenSim's final path re-evaluated consistently:
  its tangent points (``PathWrapPoint.getLocation``) through their frames, plus its arc lengths.
  For every other muscle this equals ``getLength`` (asserted).
* ``computeMomentArm`` treats the wrap tangent points as fixed on the wrap body, which equals
  -dL/dq only when the tangent points are optimal; OpenSim's iterated tangent points are not
  always (e.g. glmax1_r in deep flexion with rotation: -6.6 mm against -13.9 mm = -dL/dq). The
  reference moment arm is therefore -dL/dq by central differences of the reference lengths,
  OpenSim's own moment-arm convention; ``computeMomentArm`` is checked too wherever it agrees
  with that derivative.
"""
from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

opensim = pytest.importorskip("opensim")

pytestmark = pytest.mark.opensim

MODEL = (Path(__file__).resolve().parents[2] / "shared" / "reference" / "opensim"
         / "rajagopal_lai_uhlrich2023" / "RajagopalLaiUhlrich2023.osim")

LENGTH_TOL = 1e-3
MOMENT_ARM_ABS_TOL = 2e-3
MOMENT_ARM_REL_TOL = 0.05
POSE_RANGES_DEG = {
    "hip_flexion_r": (-20.0, 110.0),
    "hip_adduction_r": (-30.0, 20.0),
    "hip_rotation_r": (-35.0, 35.0),
    "knee_angle_r": (0.0, 110.0),
    "ankle_angle_r": (-30.0, 25.0),
}
COORDS = tuple(POSE_RANGES_DEG)
N_RANDOM_POSES = 60


def _helper():
    path = Path(__file__).with_name("opensim_reference.py")
    spec = importlib.util.spec_from_file_location("_hipsim_opensim_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_poses():
    lo = np.deg2rad([POSE_RANGES_DEG[c][0] for c in COORDS])
    hi = np.deg2rad([POSE_RANGES_DEG[c][1] for c in COORDS])
    rows = [np.zeros(len(COORDS))]
    for corner in itertools.product((0, 1), repeat=len(COORDS)):
        rows.append(np.where(np.array(corner) == 1, hi, lo))
    rng = np.random.default_rng(0)
    rows.extend(lo + (hi - lo) * rng.random((N_RANDOM_POSES, len(COORDS))))
    return np.array(rows)


POSES = make_poses()


class CoupledReference:
    """One OpenSim model and state; the patellofemoral coupler is honoured by setting the
    dependent coordinate from OpenSim's own coupler function."""

    def __init__(self, path):
        ref = _helper()
        with ref.quiet_opensim_log():
            self.model = opensim.Model(str(path))
            self.state = self.model.initSystem()
        self.coords = self.model.getCoordinateSet()
        muscles = self.model.getMuscles()
        self.muscles = {muscles.get(i).getName(): muscles.get(i) for i in range(muscles.getSize())}
        self.names = ref.right_leg_muscle_names(self.model)
        self.couplers = []
        cs = self.model.getConstraintSet()
        for i in range(cs.getSize()):
            con = opensim.CoordinateCouplerConstraint.safeDownCast(cs.get(i))
            if con is None:
                continue
            indep = con.getIndependentCoordinateNames()
            scale = float(con.getPropertyByName("scale_factor").toString())
            self.couplers.append((con.getDependentCoordinateName(), indep.get(0), con.getFunction(),
                                  scale))
        for c in range(self.coords.getSize()):
            self.coords.get(c).setValue(self.state, self.coords.get(c).getDefaultValue(), False)

    def set_pose(self, values):
        values = dict(values)
        for dep, indep, func, scale in self.couplers:
            if indep in values:
                x = opensim.Vector(1, float(values[indep]))
                values[dep] = scale * func.calcValue(x)
        for name, value in values.items():
            self.coords.get(name).setValue(self.state, float(value), False)
        self.model.realizePosition(self.state)

    def lengths(self):
        return np.array([self.muscles[m].getLength(self.state) for m in self.names])

    def consistent_lengths(self):
        """Lengths of OpenSim's current paths with every point located afresh (see module doc)."""
        out = self.lengths()
        for k, name in enumerate(self.names):
            path = opensim.GeometryPath.safeDownCast(self.muscles[name].getPath())
            if path.getWrapSet().getSize() < 2:
                continue
            cp = path.getCurrentPath(self.state)
            total, prev, prev_wrap = 0.0, None, None
            for j in range(cp.getSize()):
                point = cp.get(j)
                wrap_point = opensim.PathWrapPoint.safeDownCast(point)
                if wrap_point is not None:
                    x = wrap_point.getParentFrame().getTransformInGround(self.state)
                    g = x.shiftFrameStationToBase(wrap_point.getLocation(self.state))
                    wrap = wrap_point.getWrapObject().getName()
                else:
                    g = point.getLocationInGround(self.state)
                    wrap = None
                g = np.array([g.get(0), g.get(1), g.get(2)])
                if prev is not None:
                    if wrap is not None and wrap == prev_wrap:
                        total += wrap_point.getWrapLength(self.state)
                    else:
                        total += float(np.linalg.norm(g - prev))
                prev, prev_wrap = g, wrap
            out[k] = total
        return out

    def multi_wrap(self):
        return np.array([opensim.GeometryPath.safeDownCast(self.muscles[m].getPath()).getWrapSet()
                         .getSize() >= 2 for m in self.names])

    def moment_arms(self):
        coords = [self.coords.get(c) for c in COORDS]
        return np.array([[self.muscles[m].computeMomentArm(self.state, c) for c in coords]
                         for m in self.names])


@pytest.fixture(scope="module")
def osim():
    if not MODEL.exists():
        pytest.skip(f"development reference data not found: {MODEL}")
    return CoupledReference(MODEL)


FD_STEP = 1e-5  # rad


@pytest.fixture(scope="module")
def reference(osim):
    """Consistent lengths (n_pose, n_muscle), -dL/dq (n_pose, n_muscle, 5), OpenSim's getLength
    and computeMomentArm."""
    n, m = len(POSES), len(osim.names)
    L, L_raw = np.empty((n, m)), np.empty((n, m))
    R, R_cma = np.empty((n, m, len(COORDS))), np.empty((n, m, len(COORDS)))
    for i, row in enumerate(POSES):
        pose = dict(zip(COORDS, row))
        osim.set_pose(pose)
        L[i] = osim.consistent_lengths()
        L_raw[i] = osim.lengths()
        R_cma[i] = osim.moment_arms()
        for j, c in enumerate(COORDS):
            osim.set_pose({**pose, c: pose[c] + FD_STEP})
            lp = osim.consistent_lengths()
            osim.set_pose({**pose, c: pose[c] - FD_STEP})
            lm = osim.consistent_lengths()
            R[i, :, j] = -(lp - lm) / (2 * FD_STEP)
    return L, R, L_raw, R_cma


@pytest.fixture(scope="module")
def model():
    if not MODEL.exists():
        pytest.skip(f"development reference data not found: {MODEL}")
    from hipsim.model import load_model
    return load_model(MODEL)


@pytest.fixture(scope="module")
def hipsim_result(model):
    from hipsim.muscles import muscle_lengths_and_moment_arms
    q = np.zeros((len(POSES), model.n_coord))
    q[:, model.coordinate_index(COORDS)] = POSES
    L, R = muscle_lengths_and_moment_arms(model, q)
    return L, R[:, :, model.coordinate_index(COORDS)]


def test_model_structure(model):
    assert model.body_names[-1] == "patella_r"
    assert model.dependent_names == ("knee_angle_r_beta",)
    assert len(model.wrap_radius) > 0 and len(model.pathwrap_object) > 0


def test_muscle_names_match(model, osim):
    assert set(model.muscle_names) == set(osim.names)


def test_reference_lengths(osim, reference):
    """The consistent re-evaluation changes only the two-wrap muscles."""
    L, _, L_raw, _ = reference
    single = ~osim.multi_wrap()
    assert np.allclose(L[:, single], L_raw[:, single], rtol=0, atol=1e-9)


def test_reference_knee_moment_arm_includes_patella(osim, reference):
    """OpenSim's computeMomentArm about knee_angle_r for the quadriceps (no wrapping on the knee
    side of the patella) equals -dL/dq with the coupler: the patella's motion is in it."""
    _, R, _, R_cma = reference
    j = COORDS.index("knee_angle_r")
    quads = [osim.names.index(n) for n in ("vasmed_r", "vaslat_r", "vasint_r")]
    assert np.max(np.abs(R[:, quads, j] - R_cma[:, quads, j])) < 5e-4


def _order(model, osim):
    return [list(model.muscle_names).index(n) for n in osim.names]


def test_lengths_match_opensim(model, osim, hipsim_result, reference):
    L = hipsim_result[0][:, _order(model, osim)]
    err = np.abs(L - reference[0])
    i, m = np.unravel_index(np.argmax(err), err.shape)
    assert err.max() < LENGTH_TOL, (
        f"worst {osim.names[m]} at pose {i} {np.rad2deg(POSES[i]).round(1)}: "
        f"{L[i, m]:.6f} vs {reference[0][i, m]:.6f} m")


def test_moment_arms_match_computeMomentArm_where_consistent(model, osim, hipsim_result, reference):
    """Against OpenSim's computeMomentArm wherever that agrees with OpenSim's -dL/dq to 0.5 mm."""
    R = hipsim_result[1][:, _order(model, osim)]
    _, R_fd, _, R_cma = reference
    use = np.abs(R_cma - R_fd) < 5e-4
    assert use.mean() > 0.95
    tol = np.maximum(MOMENT_ARM_ABS_TOL, MOMENT_ARM_REL_TOL * np.abs(R_cma))
    bad = use & (np.abs(R - R_cma) > tol)
    assert not bad.any(), f"{bad.sum()} of {use.sum()} outside tolerance"


def test_moment_arms_match_opensim(model, osim, hipsim_result, reference):
    R = hipsim_result[1][:, _order(model, osim)]
    err = np.abs(R - reference[1])
    tol = np.maximum(MOMENT_ARM_ABS_TOL, MOMENT_ARM_REL_TOL * np.abs(reference[1]))
    ratio = err / tol
    i, m, c = np.unravel_index(np.argmax(ratio), ratio.shape)
    bad = ratio > 1
    assert not bad.any(), (
        f"{bad.sum()} of {bad.size} outside tolerance; worst {osim.names[m]} / {COORDS[c]} at pose "
        f"{i} {np.rad2deg(POSES[i]).round(1)}: {1e3 * R[i, m, c]:+.3f} vs "
        f"{1e3 * reference[1][i, m, c]:+.3f} mm; failing muscles "
        f"{sorted({osim.names[k] for k in np.nonzero(bad.any(axis=(0, 2)))[0]})}")


def test_moment_arms_are_minus_dL_dq(model):
    """hipsim's analytic moment arms against central differences of hipsim's own lengths."""
    from hipsim.muscles import muscle_lengths_and_moment_arms
    idx = model.coordinate_index(COORDS)
    q = np.zeros((len(POSES), model.n_coord))
    q[:, idx] = POSES
    _, R = muscle_lengths_and_moment_arms(model, q)
    h = 1e-6
    worst = 0.0
    for j, k in enumerate(idx):
        dq = np.zeros(model.n_coord)
        dq[k] = h
        lp, _ = muscle_lengths_and_moment_arms(model, q + dq)
        lm, _ = muscle_lengths_and_moment_arms(model, q - dq)
        fd = -(lp - lm) / (2 * h)
        worst = max(worst, float(np.max(np.abs(fd - R[:, :, k]))))
    # Exact -dL/dq but for the finite-difference error near wrap onset (a kink in L).
    assert worst < 1e-4, worst


def test_pipeline_runs_with_the_2023_model(model):
    """The whole pipeline on the library walking cycle (gait2392-convention knee, negated for this
    model): finite hip contact force with two stance humps, no flagged frames."""
    from hipsim import load_config
    from hipsim.pipeline import run_pipeline
    run = run_pipeline(load_config({"activity": {"kind": "walking"}, "model": {"osim_file": str(MODEL)}}))
    assert run.model.n_muscle == 40
    force = np.linalg.norm(run.contact_force, axis=1) / (70.0 * 9.80665)
    assert np.all(np.isfinite(force))
    phase = np.asarray(run.trial.gait_phase)
    assert 1.5 < force[(phase > 10) & (phase < 30)].max() < 5.0
    assert 1.5 < force[(phase > 40) & (phase < 60)].max() < 5.0
    assert np.count_nonzero(run.solution.status) == 0
    knee = run.model.coordinate_index(["knee_angle_r"])[0]
    assert run.dynamics.q[:, knee].mean() > 0.0


def test_walking_trial_hip_force_matches_opensim():
    """OpenSim's own RajagopalLaiUhlrich2023 walking run (scaled model, IK at 100 Hz filtered
    6 Hz, static optimization + joint reaction, ../shared/reference/opensim/results/
    walk_rajagopal2023/: peak 4.45 BW at 49 %): hipsim on the same model, kinematics and GRF."""
    results = MODEL.parents[1] / "results" / "walk_rajagopal2023"
    files = [results / n for n in ("ik_output_walk_2023.mot", "grf_walk.mot",
                                   "subject_scaled_walk_2023.osim", "hip_r_resultant_cycle.txt")]
    if not all(f.exists() for f in files):
        pytest.skip("development reference data not found")
    from hipsim import load_config
    from hipsim.pipeline import run_pipeline
    run = run_pipeline(load_config({
        "subject": {"mass_kg": 85.0668, "height_m": 1.8},
        "activity": {"kind": "walking", "frames": 115, "motion_file": str(files[0]),
                     "grf_file": str(files[1])},
        "model": {"osim_file": str(files[2])}}))
    force = np.linalg.norm(run.contact_force, axis=1) / (85.0668 * 9.81)
    ref = np.loadtxt(files[3])
    phase = np.asarray(run.trial.gait_phase)
    expected = np.interp(phase, ref[:, 1], ref[:, 2])
    assert np.corrcoef(force, expected)[0, 1] > 0.97
    assert abs(force.max() - ref[:, 2].max()) < 0.1 * ref[:, 2].max()
    assert np.count_nonzero(run.solution.status) == 0
