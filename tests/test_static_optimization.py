"""Static optimization (hipsim.optimize) against slow references (tests/naive.py) and invariants.

Problems: the OpenSim gait2392 subject01 walking trial through hipsim's own pipeline (skipped
where ../shared/reference is absent) and synthetic but realistic frames (5 actuated degrees of
freedom, 43 muscles each crossing one to three of them, fixed seed) that always run.
"""
from pathlib import Path

import numpy as np
import pytest

import naive
from hipsim.optimize import (STATUS_INVALID, STATUS_OK, STATUS_RESERVE, static_optimization)

#: The defaults of ``config.Solver`` (reserve optimal moment, flag, iteration limit, tolerance).
R0 = 1.0
FLAG = 1.0
SOLVER = dict(reserve_optimal=R0, reserve_flag=FLAG, max_iterations=100, tolerance=1e-10)

#: Agreement demanded of hipsim against the scipy references (norm-based, relative, per frame).
RTOL_OBJECTIVE = 1e-6
RTOL_FORCE = 1e-6
#: First-order optimality: |gradient of the reserve-eliminated objective| on free activations
#: (the objective is O(0.01-1), the gradient O(1), hipsim's projected-gradient tolerance 1e-10).
KKT_TOL = 1e-7

SHARED_OPENSIM = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "opensim"


def shared_file(relative):
    """A file of the development reference data (../shared/reference/opensim), or skip."""
    path = SHARED_OPENSIM / relative
    if not path.exists():
        pytest.skip(f"development reference data not found: {path}")
    return str(path)


def solve(capacity, demand, p, **kwargs):
    return static_optimization(capacity, demand, exponent=p, **{**SOLVER, **kwargs})


def relative_error(x, ref):
    """Norm-based relative error |x - ref| / |ref| (absolute where ref is zero)."""
    scale = np.linalg.norm(ref)
    return np.linalg.norm(np.asarray(x) - ref) / (scale if scale > 0 else 1.0)


# ----------------------------------------------------------------------------- problems
def random_problem(seed, n_frame=20, n_dof=5, n_muscle=43):
    """Synthetic frames shaped like the walking problem.

    Each muscle crosses one to three of the degrees of freedom with moment arms of 5-60 mm and
    either sign, and has an active force capacity of 100-3000 N (log-uniform) times a
    force-length-velocity factor of 0.3-1. Demands are what a random sparse activation pattern
    (~half the muscles, up to 0.6) produces plus a few N m of noise.

    Returns
    -------
    capacity : (n_frame, n_dof, n_muscle) [N m per unit activation]
    demand : (n_frame, n_dof) [N m]
    active : (n_frame, n_muscle) [N], force at full activation
    """
    rng = np.random.default_rng(seed)
    crossing = np.zeros((n_dof, n_muscle), dtype=bool)
    for i in range(n_muscle):
        crossing[rng.choice(n_dof, size=rng.integers(1, 4), replace=False), i] = True
    sign = rng.choice([-1.0, 1.0], size=(n_dof, n_muscle))
    max_force = np.exp(rng.uniform(np.log(100.0), np.log(3000.0), size=n_muscle))
    arm = sign * rng.uniform(0.005, 0.06, size=(n_frame, n_dof, n_muscle)) * crossing
    active = max_force * rng.uniform(0.3, 1.0, size=(n_frame, n_muscle))
    capacity = arm * active[:, None, :]
    pattern = rng.uniform(0.0, 0.6, size=(n_frame, n_muscle)) * (rng.random((n_frame, n_muscle)) < 0.5)
    demand = np.einsum("fki,fi->fk", capacity, pattern) + rng.normal(0.0, 3.0, size=(n_frame, n_dof))
    return capacity, demand, active


@pytest.fixture(scope="module")
def walking():
    """Capacity, demand and active force of the subject01 walking trial (101 frames)."""
    from hipsim import load_config
    from hipsim.pipeline import run_pipeline
    cfg = load_config({
        "subject": {"mass_kg": 72.6},
        "activity": {"kind": "walking", "frames": 101,
                     "motion_file": shared_file("gait2392_pipeline/subject01_walk1_ik.mot"),
                     "grf_file": shared_file("gait2392_walk_SO_JR/subject01_walk1_grf.mot")},
        "model": {"osim_file": shared_file("gait2392_walk_SO_JR/subject01_simbody_adjusted_StaticOp.osim")},
    })
    run = run_pipeline(cfg)
    return run.capacity, run.demand, run.active


@pytest.fixture(scope="module")
def synthetic():
    return random_problem(seed=20240611)


@pytest.fixture(params=["walking", "synthetic"])
def problem(request):
    return request.getfixturevalue(request.param)


# ----------------------------------------------------------------------------- the references
def test_references_agree_with_each_other(synthetic):
    """SLSQP on the explicit problem (alone and refined on its active set), the Lagrangian dual
    and (p = 2) bounded least squares are unrelated routes; their agreement is what makes them
    references."""
    capacity, demand, active = synthetic
    for p in (2.0, 3.0):
        for f in range(4):
            A, b = capacity[f], demand[f]
            a_raw, _, J_raw, _ = naive.static_opt_scipy(A, b, p, R0, refine=False)
            a_s, r_s, J_s, _ = naive.static_opt_scipy(A, b, p, R0)
            a_d, r_d, J_d, res = naive.static_opt_dual(A, b, p, R0)
            assert naive.kkt_violation(a_d, A, b, p, R0)[0] < 1e-9
            assert naive.kkt_violation(a_s, A, b, p, R0)[0] < 1e-9
            assert abs(J_raw - J_d) <= 1e-9 * J_d
            assert relative_error(a_raw * active[f], a_d * active[f]) < 2e-6     # SLSQP's floor
            assert abs(J_s - J_d) <= 1e-12 * J_d
            assert relative_error(a_s * active[f], a_d * active[f]) < 1e-9
            if p == 2.0:
                a_l, _, J_l, _ = naive.static_opt_lsq(A, b, R0)
                assert abs(J_l - J_d) <= 1e-12 * J_d
                assert relative_error(a_l * active[f], a_d * active[f]) < 1e-9


# ----------------------------------------------------------------------------- against scipy
@pytest.mark.parametrize("p", [2.0, 3.0])
def test_matches_scipy_slsqp(problem, p):
    """Same objective and muscle forces as scipy SLSQP on the identical problem (>= 20 frames)."""
    capacity, demand, active = problem
    sol = solve(capacity, demand, p)
    frames = np.linspace(0, len(demand) - 1, 20 if len(demand) <= 20 else 26).round().astype(int)
    for f in np.unique(frames):
        A, b = capacity[f], demand[f]
        a_ref, r_ref, J_ref, res = naive.static_opt_scipy(A, b, p, R0)
        a = sol.activation[f]
        J = naive.objective(a, A, b, p, R0)
        assert abs(J - J_ref) <= RTOL_OBJECTIVE * J_ref, (f, J, J_ref)
        assert J <= J_ref * (1 + 1e-9), (f, J, J_ref)        # never worse than SLSQP
        err = relative_error(a * active[f], a_ref * active[f])
        assert err <= RTOL_FORCE, (f, err)


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_matches_the_dual_solution(problem, p):
    """Every frame against the (KKT-exact) dual reference, to a tighter tolerance than SLSQP can
    reach on its own."""
    capacity, demand, active = problem
    sol = solve(capacity, demand, p)
    a_ref, r_ref, J_ref = naive.static_opt_frames(capacity, demand, p, R0, method="dual")
    for f in range(len(demand)):
        a = sol.activation[f]
        assert abs(naive.objective(a, capacity[f], demand[f], p, R0) - J_ref[f]) <= 1e-9 * J_ref[f]
        assert relative_error(a * active[f], a_ref[f] * active[f]) <= 1e-7, f
        assert np.allclose(sol.reserve[f], r_ref[f], rtol=1e-6, atol=1e-9), f


# ----------------------------------------------------------------------------- invariants
@pytest.mark.parametrize("p", [2.0, 3.0])
def test_kkt_conditions(problem, p):
    """g_i >= 0 at a_i = 0, g_i <= 0 at a_i = 1, g_i = 0 otherwise, for g the gradient of the
    reserve-eliminated objective; and the bounds hold."""
    capacity, demand, _ = problem
    sol = solve(capacity, demand, p)
    assert np.all(sol.activation >= 0.0) and np.all(sol.activation <= 1.0)
    for f in range(len(demand)):
        violation, g = naive.kkt_violation(sol.activation[f], capacity[f], demand[f], p, R0)
        assert violation <= KKT_TOL, (f, violation)


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_moment_balance(problem, p):
    """capacity @ activation + reserve = demand (the reserves close the balance exactly)."""
    capacity, demand, _ = problem
    sol = solve(capacity, demand, p)
    balance = np.einsum("fki,fi->fk", capacity, sol.activation) + sol.reserve
    assert np.abs(balance - demand).max() <= 1e-9                # N m, demands up to ~120 N m


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_answer_does_not_depend_on_the_warm_start(problem, p):
    """Reverse frame order, other first guesses and cold single-frame solves agree."""
    capacity, demand, active = problem
    n_muscle = capacity.shape[2]
    forward = solve(capacity, demand, p)
    variants = {
        "reverse": solve(capacity[::-1], demand[::-1], p).activation[::-1],
        "zeros": solve(capacity, demand, p, initial=np.zeros(n_muscle)).activation,
        "ones": solve(capacity, demand, p, initial=np.ones(n_muscle)).activation,
        "random": solve(capacity, demand, p,
                        initial=np.random.default_rng(1).random(n_muscle)).activation,
        "cold": np.array([solve(capacity[f:f + 1], demand[f:f + 1], p).activation[0]
                          for f in range(len(demand))]),
    }
    force = forward.activation * active
    for name, activation in variants.items():
        for f in range(len(demand)):
            err = relative_error(activation[f] * active[f], force[f])
            assert err <= 1e-7, (name, f, err)


def test_infeasible_frame_is_flagged_and_the_reserve_carries_the_gap(synthetic):
    """A demand far beyond the muscles' capacity: status 1, the reserve at least the shortfall,
    the balance still closed and the answer still the optimum (per the dual reference)."""
    capacity, demand, active = synthetic
    capacity, demand = capacity[:3].copy(), demand[:3].copy()
    demand[1, 0] = 20.0 * np.abs(capacity[1, 0]).sum()       # 20 x what all muscles could give
    demand[1, 3] = -20.0 * np.abs(capacity[1, 3]).sum()
    for p in (2.0, 3.0):
        sol = solve(capacity, demand, p)
        assert sol.status[1] == STATUS_RESERVE
        assert sol.status[0] == STATUS_OK and sol.status[2] == STATUS_OK
        A, b = capacity[1], demand[1]
        most = np.maximum(A, 0.0).sum(axis=1)                # largest moment muscles can give
        least = np.minimum(A, 0.0).sum(axis=1)
        assert sol.reserve[1, 0] >= b[0] - most[0] > 0.9 * b[0]
        assert sol.reserve[1, 3] <= b[3] - least[3] < 0.9 * b[3]
        assert np.allclose(A @ sol.activation[1] + sol.reserve[1], b, rtol=0, atol=1e-9 * np.abs(b).max())
        a_ref, r_ref, J_ref, _ = naive.static_opt_dual(A, b, p, R0)
        J = naive.objective(sol.activation[1], A, b, p, R0)
        assert abs(J - J_ref) <= RTOL_OBJECTIVE * J_ref
        assert relative_error(sol.reserve[1], r_ref) <= 1e-9
        assert relative_error(sol.activation[1] * active[1], a_ref * active[1]) <= 1e-6


@pytest.mark.parametrize("where", ["demand", "capacity"])
def test_non_finite_frame_is_flagged_and_does_not_poison_the_next(synthetic, where):
    """A NaN in a frame: status 3 there, and the next frame is solved exactly as if the bad frame
    were not in the sequence (it warm-starts from the last good frame)."""
    capacity, demand, active = synthetic
    capacity, demand = capacity[:6].copy(), demand[:6].copy()
    if where == "demand":
        demand[2, 1] = np.nan
    else:
        capacity[2, 0, 5] = np.nan
    keep = [0, 1, 3, 4, 5]
    for p in (2.0, 3.0):
        sol = solve(capacity, demand, p)
        clean = solve(capacity[keep], demand[keep], p)
        assert sol.status[2] == STATUS_INVALID
        assert np.all(sol.status[keep] == STATUS_OK)
        assert np.all(np.isfinite(sol.activation[keep])) and np.all(np.isfinite(sol.reserve[keep]))
        assert np.allclose(sol.activation[keep], clean.activation, rtol=0, atol=1e-12)
        assert np.allclose(sol.reserve[keep], clean.reserve, rtol=0, atol=1e-9)


def test_degenerate_frames(synthetic):
    """Zero demand, a muscle crossing no actuated joint, two identical muscles, a joint no muscle
    crosses: each against the dual reference and the obvious answer."""
    capacity, demand, active = synthetic
    A = capacity[0].copy()
    A[:, 7] = 0.0                      # crosses nothing
    A[:, 9] = A[:, 8]                  # a twin
    A[2, :] = 0.0                      # a joint without muscles
    frames_A = np.stack([A, A])
    frames_b = np.stack([np.zeros(5), demand[0]])
    for p in (2.0, 3.0):
        sol = solve(frames_A, frames_b, p)
        # The optimum is a = 0. For p > 2 the curvature of a^p vanishes there, so Newton creeps
        # towards 0 (halving each step) and stops once the projected gradient p a^(p-1) is
        # below tolerance: accept activations that cost nothing.
        assert naive.objective(sol.activation[0], A, frames_b[0], p, R0) <= 1e-12
        assert sol.activation[0].max() <= (1e-12 if p == 2.0 else 1e-5)
        assert sol.status[0] == STATUS_OK
        a = sol.activation[1]
        assert a[7] <= (0.0 if p == 2.0 else 1e-5)          # see above
        assert abs(a[8] - a[9]) <= 1e-9
        assert sol.reserve[1, 2] == pytest.approx(demand[0, 2], abs=1e-12)
        a_ref, _, J_ref, _ = naive.static_opt_dual(A, demand[0], p, R0)
        assert naive.objective(a, A, demand[0], p, R0) == pytest.approx(J_ref, rel=1e-9)


# ----------------------------------------------------------------------------- realistic trial
@pytest.mark.parametrize("p", [2.0, 3.0])
def test_walking_converges_with_small_reserves(walking, p):
    capacity, demand, _ = walking
    sol = solve(capacity, demand, p)
    assert np.all(sol.status == STATUS_OK), np.flatnonzero(sol.status)
    assert np.abs(sol.reserve).max() < 0.1                    # N m, against demands up to ~120


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_minimum_activation_is_a_lower_bound_with_its_own_optimality_conditions(synthetic, p):
    """``min_activation`` (OpenSim's 0.01): every activation at or above it, muscles that the
    moments do not need exactly at it, and the KKT conditions of the bounded problem (zero
    gradient where free, non-negative at the lower bound, non-positive at 1)."""
    capacity, demand, _ = synthetic
    lo = 0.01
    sol = solve(capacity, demand, p, min_activation=lo)
    a = sol.activation
    assert np.all(a >= lo - 1e-12) and np.all(a <= 1.0 + 1e-12)
    c = 2.0 / R0 ** 2
    for f in range(len(demand)):
        r = demand[f] - capacity[f] @ a[f]
        g = p * a[f] ** (p - 1.0) - c * capacity[f].T @ r
        free = (a[f] > lo + 1e-9) & (a[f] < 1.0 - 1e-9)
        assert np.all(np.abs(g[free]) < KKT_TOL * max(1.0, np.abs(g).max()))
        assert np.all(g[a[f] <= lo + 1e-9] > -KKT_TOL) and np.all(g[a[f] >= 1.0 - 1e-9] < KKT_TOL)
    plain = solve(capacity, demand, p)
    assert np.any(plain.activation < lo) and np.any(np.isclose(a, lo))
