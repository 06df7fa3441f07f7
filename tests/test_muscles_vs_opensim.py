"""Cross-check hipsim's musculotendon lengths and moment arms against OpenSim.

The reference is computed with the ``opensim`` Python package on the very same
.osim file hipsim ships (gait2392, Thelen2003 muscles), at a fixed set of poses:
the neutral pose, the 32 corners of the physiological range box and 60 random
poses (numpy ``default_rng(0)``). Pelvis, subtalar and mtp coordinates stay 0.

Tolerances: length within 1 mm; moment arm within max(2 mm, 5 % of OpenSim's
value), for hip flexion/adduction/rotation, knee and ankle angle. OpenSim's
moment arm convention is r = -dL/dq; test_opensim_reference_is_minus_dL_dq
checks that the reference itself obeys it.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

opensim = pytest.importorskip("opensim")

pytestmark = pytest.mark.opensim


def _load_reference_helper():
    # Loaded by path so it works whatever pytest's import mode / tests package layout is.
    path = Path(__file__).with_name("opensim_reference.py")
    spec = importlib.util.spec_from_file_location("_hipsim_opensim_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load_reference_helper()

LENGTH_TOL = 1e-3  # m
MOMENT_ARM_ABS_TOL = 2e-3  # m
MOMENT_ARM_REL_TOL = 0.05

# Physiological ranges [deg] of the coordinates that are varied (gait2392: knee < 0 is flexion).
POSE_RANGES_DEG = {
    "hip_flexion_r": (-20.0, 110.0),
    "hip_adduction_r": (-30.0, 20.0),
    "hip_rotation_r": (-35.0, 35.0),
    "knee_angle_r": (-110.0, 0.0),
    "ankle_angle_r": (-30.0, 25.0),
}
# Coordinates held at zero (as documented for hipsim's model.coordinate_names).
FIXED_ZERO = (
    "pelvis_tilt",
    "pelvis_list",
    "pelvis_rotation",
    "pelvis_tx",
    "pelvis_ty",
    "pelvis_tz",
    "subtalar_angle_r",
    "mtp_angle_r",
)
POSE_COORDINATES = FIXED_ZERO[:6] + tuple(POSE_RANGES_DEG) + FIXED_ZERO[6:]
N_RANDOM_POSES = 60
SEED = 0


def make_poses() -> tuple[np.ndarray, list[str]]:
    """Return (q, labels): q is (n_pose, len(POSE_COORDINATES)) in radians/metres."""
    varied = list(POSE_RANGES_DEG)
    lo = np.deg2rad([POSE_RANGES_DEG[c][0] for c in varied])
    hi = np.deg2rad([POSE_RANGES_DEG[c][1] for c in varied])

    rows, labels = [np.zeros(len(varied))], ["neutral"]
    for k, corner in enumerate(itertools.product((0, 1), repeat=len(varied))):
        rows.append(np.where(np.array(corner) == 1, hi, lo))
        labels.append(f"corner {k}")
    rng = np.random.default_rng(SEED)
    random = lo + (hi - lo) * rng.random((N_RANDOM_POSES, len(varied)))
    for k, row in enumerate(random):
        rows.append(row)
        labels.append(f"random {k}")

    q = np.zeros((len(rows), len(POSE_COORDINATES)))
    cols = [POSE_COORDINATES.index(c) for c in varied]
    q[:, cols] = np.array(rows)
    return q, labels


POSES, POSE_LABELS = make_poses()


def describe_pose(i: int) -> str:
    angles = ", ".join(
        f"{c}={np.rad2deg(POSES[i, POSE_COORDINATES.index(c)]):+.1f}deg" for c in POSE_RANGES_DEG
    )
    return f"pose #{i} ({POSE_LABELS[i]}: {angles})"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def osim_ref():
    return ref.OpenSimReference(ref.DEFAULT_MODEL_PATH)


@pytest.fixture(scope="module")
def reference(osim_ref):
    """OpenSim lengths (n_pose, n_muscle) and moment arms (n_pose, n_muscle, 5), right-leg muscles."""
    L, R = osim_ref.evaluate(POSES, POSE_COORDINATES)
    return osim_ref.right_leg_muscle_names, L, R


@pytest.fixture(scope="module")
def hipsim_model():
    from hipsim.model import load_model

    return load_model()


@pytest.fixture(scope="module")
def hipsim_result(hipsim_model):
    """hipsim's (L, R) at POSES, with q mapped onto model.coordinate_names by name."""
    from hipsim.muscles import muscle_lengths_and_moment_arms

    names = list(hipsim_model.coordinate_names)
    missing = [c for c in POSE_RANGES_DEG if c not in names]
    assert not missing, f"hipsim model.coordinate_names lacks {missing}; has {names}"
    q = np.zeros((POSES.shape[0], len(names)))
    for j, c in enumerate(POSE_COORDINATES):
        if c in names:
            q[:, names.index(c)] = POSES[:, j]
    L, R = muscle_lengths_and_moment_arms(hipsim_model, q)
    return np.asarray(L, dtype=float), np.asarray(R, dtype=float)


def _common_muscles(hipsim_model, reference):
    osim_names = reference[0]
    common = [m for m in hipsim_model.muscle_names if m in osim_names]
    assert common, (
        f"no hipsim muscle name matches an OpenSim right-leg muscle; "
        f"hipsim has {list(hipsim_model.muscle_names)[:10]}..."
    )
    hip_idx = [list(hipsim_model.muscle_names).index(m) for m in common]
    ref_idx = [osim_names.index(m) for m in common]
    return common, hip_idx, ref_idx


# --------------------------------------------------------------------------- tests
def test_pose_set():
    assert POSES.shape[0] >= 61
    assert np.all(POSES[0] == 0.0)
    for c in FIXED_ZERO:
        assert np.all(POSES[:, POSE_COORDINATES.index(c)] == 0.0)


def test_opensim_reference_is_minus_dL_dq(osim_ref):
    """The reference's computeMomentArm equals -dL/dq by central differences of OpenSim's own lengths.

    Guards the reference helper (and the sign convention) rather than hipsim.
    """
    muscles = osim_ref.right_leg_muscle_names
    coords = ref.MOMENT_ARM_COORDINATES
    osim_ref.reset_pose()
    worst = (0.0, None)
    for i in list(range(0, 33, 4)) + list(range(33, POSES.shape[0], 6)):
        pose = dict(zip(POSE_COORDINATES, POSES[i]))
        osim_ref.set_pose(pose)
        ma = osim_ref.moment_arms(muscles, coords)
        fd = osim_ref.finite_difference_moment_arms(pose, muscles, coords)
        err = np.abs(ma - fd)
        m, c = np.unravel_index(np.argmax(err), err.shape)
        if err[m, c] > worst[0]:
            worst = (err[m, c], (muscles[m], coords[c], describe_pose(i), ma[m, c], fd[m, c]))
    assert worst[0] < 1e-6, "computeMomentArm != -dL/dq: %s %s at %s: %.9g vs %.9g" % worst[1]


def test_muscle_names_match_opensim(hipsim_model, osim_ref):
    hip = list(hipsim_model.muscle_names)
    expected = set(osim_ref.right_leg_muscle_names)
    assert len(hip) == len(set(hip)), f"duplicate muscle names in hipsim: {sorted(m for m in hip if hip.count(m) > 1)}"
    got = set(hip)
    assert got == expected, (
        f"hipsim muscles missing vs OpenSim: {sorted(expected - got)}; "
        f"extra in hipsim: {sorted(got - expected)}"
    )


def test_output_shapes(hipsim_model, hipsim_result):
    L, R = hipsim_result
    n_pose, n_mus, n_coord = POSES.shape[0], len(hipsim_model.muscle_names), len(hipsim_model.coordinate_names)
    assert L.shape == (n_pose, n_mus)
    assert R.shape == (n_pose, n_mus, n_coord)
    assert np.all(np.isfinite(L)), "non-finite musculotendon lengths"
    assert np.all(np.isfinite(R)), "non-finite moment arms"


def test_lengths_match_opensim(hipsim_model, hipsim_result, reference):
    common, hip_idx, ref_idx = _common_muscles(hipsim_model, reference)
    L_hip = hipsim_result[0][:, hip_idx]
    L_ref = reference[1][:, ref_idx]
    err = np.abs(L_hip - L_ref)
    err = np.where(np.isnan(err), np.inf, err)
    bad = err > LENGTH_TOL
    if bad.any():
        i, m = np.unravel_index(np.argmax(err), err.shape)
        per_muscle = sorted(
            ((err[:, k].max(), common[k]) for k in range(len(common)) if bad[:, k].any()), reverse=True
        )
        pytest.fail(
            f"musculotendon length off by > {LENGTH_TOL * 1e3:.1f} mm in {bad.sum()} of {bad.size} "
            f"(pose, muscle) pairs. Worst: muscle {common[m]} at {describe_pose(i)}: "
            f"hipsim {L_hip[i, m]:.6f} m vs OpenSim {L_ref[i, m]:.6f} m "
            f"(diff {1e3 * (L_hip[i, m] - L_ref[i, m]):+.3f} mm).\n"
            "Max error per failing muscle [mm]: "
            + ", ".join(f"{n} {1e3 * e:.2f}" for e, n in per_muscle)
        )


def test_moment_arms_match_opensim(hipsim_model, hipsim_result, reference):
    common, hip_idx, ref_idx = _common_muscles(hipsim_model, reference)
    coords = list(ref.MOMENT_ARM_COORDINATES)
    names = list(hipsim_model.coordinate_names)
    missing = [c for c in coords if c not in names]
    assert not missing, f"hipsim model.coordinate_names lacks {missing}"
    R_hip = hipsim_result[1][:, hip_idx][:, :, [names.index(c) for c in coords]]
    R_ref = reference[2][:, ref_idx]

    err = np.abs(R_hip - R_ref)
    tol = np.maximum(MOMENT_ARM_ABS_TOL, MOMENT_ARM_REL_TOL * np.abs(R_ref))
    ratio = np.where(np.isnan(err), np.inf, err / tol)
    bad = ratio > 1.0
    if bad.any():
        i, m, c = np.unravel_index(np.argmax(ratio), ratio.shape)
        lines = [
            f"moment arm outside max({MOMENT_ARM_ABS_TOL * 1e3:.0f} mm, {MOMENT_ARM_REL_TOL:.0%}) "
            f"in {bad.sum()} of {bad.size} (pose, muscle, coordinate) triples. "
            f"Worst: muscle {common[m]}, coordinate {coords[c]}, {describe_pose(i)}: "
            f"hipsim {1e3 * R_hip[i, m, c]:+.3f} mm vs OpenSim {1e3 * R_ref[i, m, c]:+.3f} mm "
            f"(OpenSim convention r = -dL/dq).",
            "Per coordinate (failures, worst muscle @ pose: hipsim vs OpenSim [mm]):",
        ]
        for k, cname in enumerate(coords):
            if not bad[:, :, k].any():
                continue
            ii, mm = np.unravel_index(np.argmax(ratio[:, :, k]), ratio[:, :, k].shape)
            failing = sorted({common[j] for j in np.nonzero(bad[:, :, k].any(axis=0))[0]})
            lines.append(
                f"  {cname}: {bad[:, :, k].sum()} failures, worst {common[mm]} @ pose #{ii} "
                f"({POSE_LABELS[ii]}): {1e3 * R_hip[ii, mm, k]:+.3f} vs {1e3 * R_ref[ii, mm, k]:+.3f}; "
                f"failing muscles: {', '.join(failing)}"
            )
        pytest.fail("\n".join(lines))
