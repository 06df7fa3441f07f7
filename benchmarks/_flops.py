"""Arithmetic floor of the per-frame pipeline: floating-point operations per frame of each numba
kernel, one core's sustained scalar double-precision rate, and their ratio.

Counting rules (every count below follows them):

* add, sub, mul, div and sqrt count 1 each; a negation, abs, min, max, a comparison, an int
  conversion and a copy count 0;
* a transcendental (sin, cos, acos, atan2, exp, log and ``x ** p`` with a run-time float ``p``,
  which is a libm ``pow`` call) counts ``TRANSCENDENTAL`` = 20, a rough cost in flop-equivalents;
* an expression repeated verbatim (pure, so the compiler keeps one copy) counts once.

Counts are per *frame of the run* (the pipeline's output rows). Where the work depends on
iteration counts the run records, those are used frame by frame; where it depends on pruning or
branches the run does not record, the count is the *minimum* the algorithm must do, as each
function's docstring says. So the total is a floor: the kernels cannot do less arithmetic, and
``floor_us_per_frame`` is the time they would take at the measured peak rate.

Run ``python benchmarks/_flops.py`` for the table of the running trial at 3.5 m/s.
"""
import math
import time

import numba
import numpy as np

from hipsim.model import ACTUATED_COORDINATES, FUNC_CONSTANT, FUNC_LINEAR, FUNC_POLY

#: flop-equivalents charged for one transcendental call (sin, cos, pow, ...)
TRANSCENDENTAL = 20


# ----------------------------------------------------------------------------- shared pieces
def _eval_cost(model, f):
    """Flops of ``kinematics.eval_function_at`` for function ``f``: constant 0; linear
    a x + b 2; polynomial (Horner, value and derivative) 4 per coefficient; cubic spline between
    knots 13 (dx 1, value 6, derivative 6; the knot search only compares; the linear
    extrapolation outside the knots costs 3, but the coordinates stay inside their ranges)."""
    kind = model.func_type[f]
    if kind == FUNC_CONSTANT:
        return 0
    if kind == FUNC_LINEAR:
        return 2
    if kind == FUNC_POLY:
        return 4 * int(model.spline_n[model.func_spline[f]])
    return 13


def _hip_rotations(run):
    """(n_frame, 3, 3) femur -> pelvis rotations of the run, as ``pipeline._motion`` makes them."""
    from hipsim.morphology import hip_rotation
    hip = run.model.coordinate_index(ACTUATED_COORDINATES[:3])
    return hip_rotation(np.rad2deg(run.dynamics.q[:, hip]))


# ----------------------------------------------------------------------------- the kernels
def fk_flops_per_pose(model):
    """Flops of one ``kinematics.chain_pose`` (one pose of ``forward_kinematics_frames``).

    The pipeline runs it on 3 poses per frame (t - h, t, t + h, for the central differences of
    ``inverse_dynamics``; ``muscle_geometry`` reuses the middle one). The dependent-coordinate
    couplers (``extend_coordinates_frames``, another kernel) are not counted.
    """
    total = 0
    for b in range(model.joint_func.shape[0]):
        if model.body_parent[b] >= 0:
            total += 9 * 5 + 3 * 6                 # r_f = R_parent P (3 mul 2 add each); o_f (3 mul 3 add)
        for a in range(6):
            f = model.joint_func[b, a]
            k = model.func_coord[f]
            total += _eval_cost(model, f)
            if a < 3:                              # rotation axis
                if k >= 0:
                    total += 3 * 7                 # w_local += der * (acc . axis)
                if k >= 0 or model.func_param[f, 0] != 0.0:
                    # applied rotation: cos + sin, t = 1 - c, Rodrigues (3 diagonal x 3 + 6
                    # off-diagonal x 4 = 33), then acc = acc step (27 mul 18 add)
                    total += 2 * TRANSCENDENTAL + 1 + 33 + 45
            else:                                  # translation axis
                total += 3 * 2                     # t += val * axis
                if k >= 0:
                    total += 3 * 7                 # jac_v += der * (r_f axis)
            if k >= 0:
                total += 3 * 5                     # jac_w = r_f w_local
        total += 3 * 6 + 9 * 5                     # o_m = o_f + r_f t; r_m = r_f acc
        total += 9 * 5 + 3 * 6                     # rot = r_m C^T; origin = o_m - rot c
    return total


def newton_euler_flops(model):
    """Flops of one ``dynamics.newton_euler_frame`` (one frame of ``newton_euler_frames``): the
    recursion over bodies n_chain - 1 .. 1, each with its velocities at three instants."""
    nb = model.n_chain
    mask = model.body_coord_mask[:nb]
    calcn = model.body_names.index("calcn_r")     # the body carrying the ground reaction
    total = 0
    for b in range(nb - 1, 0, -1):
        # _body_velocity at 3 instants: COM c (3 x 6), then per coordinate moving the body
        # r = c - o (3), vel += (w x r + v) qdot (3 x 6), omega += w qdot (3 x 2)
        total += 3 * (18 + 27 * int(mask[b].sum()))
        total += 6 * 3                             # alpha, acc: (x+ - x-) / (2 h)
        total += 9 * 9 * 3                         # world inertia R I R^T, written as 81 triple products
        total += 3 * 5 + 9                         # I w, w x I w
        total += 3 * 2                             # m (a - g)
        total += 3 * 6 + 3 + 3 * 2 + 9 + 3        # moment: I alpha + w x I w, r, m (a - g), r x ma, +=
        if b + 1 < nb:
            total += 3 + 3 + 9 + 6                 # + child force; r, r x f_child, + child moment
        if b == calcn:
            total += 3 + 3 + 9 + 6                 # - external force; r, r x F, - (r x F + free moment)
    for k in range(model.n_ext):                   # generalized force w . M + v . F at the coordinate's joint
        if any(mask[b, k] and not mask[b - 1, k] for b in range(1, nb)):
            total += 3 * 4
    return total


def muscle_path_flops(model, q):
    """Flops of ``paths.muscle_paths`` for each frame (n_frame,) at extended coordinates ``q``
    (the conditional points active in each frame decide the polyline).

    Per active point: a moving point's 3 functions (plus 1 for the derivative when its
    coordinate is inside its range, counted always); the ground position (3 x 6); per path
    coordinate moving the point's body the derivative w x (p - o) + v (3 + 3 x 4 = 15) and for a
    moving point the rotated d loc / d q (3 x 6). Per segment: the unit vector and its length
    (3 sub, 5 + sqrt, 3 div, 1 add = 13), the moment arms (9 per path coordinate), and the hip
    direction (3 x 6) where the segment crosses between the pelvis and another body. Muscles
    with PathWraps are charged the same polyline over their points, without the cylinder tests
    (a lower bound; the shipped gait2392 has none). Couplers: their slope and 2 per muscle.
    """
    pc = model.path_coordinates
    n_pc = len(pc)
    moving = model.point_type == 2
    per_point = np.full(len(moving), 18)
    for p in range(len(moving)):
        b = model.point_body[p]
        per_point[p] += 15 * int(model.body_coord_mask[b, pc].sum())
        if moving[p]:
            per_point[p] += 18 * n_pc
            per_point[p] += sum(_eval_cost(model, f) + 1 for f in model.point_func[p])
    lo, hi = model.point_range[:, 0], model.point_range[:, 1]
    v = q[:, np.maximum(model.point_coord, 0)]
    active = (model.point_type != 1) | ((v >= lo) & (v <= hi))    # (n_frame, n_point)
    out = np.zeros(q.shape[0])
    start = model.muscle_point_start
    for i in range(q.shape[0]):
        for m in range(model.n_muscle):
            idx = np.arange(start[m], start[m + 1])[active[i, start[m]:start[m + 1]]]
            pelvis = model.point_body[idx] == 0
            out[i] += per_point[idx].sum() + (13 + 9 * n_pc) * max(len(idx) - 1, 0)
            out[i] += 18 * int(np.count_nonzero(pelvis[1:] != pelvis[:-1]))
    for f in model.dependent_func:
        out += _eval_cost(model, f) + 2 * model.n_muscle
    return out


def _cholesky_flops(m):
    """Flops of ``static_opt._cholesky_solve`` for an m x m system."""
    factor = sum(2 * j + 1 + (m - 1 - j) * (2 * j + 1) for j in range(m))
    return factor + sum(2 * i + 1 for i in range(m)) + sum(2 * (m - 1 - i) + 1 for i in range(m))


def static_opt_flops(capacity, solution, exponent=2.0):
    """Flops of ``static_opt.solve_frames`` for each frame (n_frame,).

    ``solution.iterations`` counts the passes P of the active-set loop of ``_box_qp``. Each pass
    forms the model gradient (diff n, A d 2mn, grad n (2m + 4)); a pass then solves the Newton
    system (Woodbury) or, after a full step that hit no bound, only checks multipliers, so at
    least ceil(P / 2) passes solve and at most floor(P / 2) take a step: the floor charges
    exactly that. A Woodbury solve on n_F free muscles costs y 3 m n_F, S 3 n_F m (m + 1) / 2
    + m, the Cholesky solve and the step n_F (2m + 2); n_F is taken as the smaller of the free
    counts (0 < a < 1) of the previous frame's solution (the warm start: the first solve's free
    set) and of this frame's (the last solve's) -- an estimate, as the passes between add and
    release bounds. A step: ratio test 1 per free muscle, update 2n. Around the QP: the initial
    objective; one outer iteration (the minimum, and exactly one when p = 2 and the full step is
    accepted): residual 2mn, gradient n (2m + 26, with a pow), box_qp setup n, one line-search
    trial 6n plus an objective (n pow + n + m (2n + 3)); then the reserves 2mn.
    """
    n_frame, m, n = capacity.shape
    p = float(exponent)
    a = solution.activation
    free = ((a > 0.0) & (a < 1.0)).sum(axis=1)
    free_start = np.concatenate([[n], free[:-1]])                 # frame 0 starts at 0.05 everywhere
    n_f = np.minimum(free, free_start)
    passes = solution.iterations
    woodbury = np.ceil(passes / 2)
    steps = passes - woodbury
    objective = n * (TRANSCENDENTAL + 1) + m * (2 * n + 3)
    solve = 3 * m * n_f + 3 * n_f * m * (m + 1) // 2 + m + 1 + _cholesky_flops(m) + n_f * (2 * m + 2)
    outer = (2 * m * n + n * (2 * m + 26) + (0 if p == 2.0 else n * (TRANSCENDENTAL + 3))
             + n + 6 * n + objective)
    flops = (3 + objective + np.where(passes > 0, outer, 0)
             + passes * (4 * m * n + 5 * n) + woodbury * solve + steps * (n_f + 2 * n)
             + 2 * m * n)
    return flops.astype(float)


def clearance_flops(run, clearance_model):
    """Lower bound on the flops of ``clearance.clearance_poses`` for each frame (n_frame,).

    The kernel culls the femur's sphere tree against the pelvis's box trees; the run records
    only ``n_exact`` (the exact point-triangle evaluations), so this counts what every pose must
    do whatever the culling: the rotation of the point attaining the minimum (15), at least one
    closest-point evaluation per exact evaluation and at least one in all, and the final
    rotation of the attaining point (15). A closest-point evaluation is charged its cheapest exit
    (vertex region A: 3 edge vectors 9, two dots 10, distance 8 = 27; the face region costs
    ~80). The tree traversals (sphere-box bounds) and the signs are not counted.
    """
    cpt = 27
    exact = np.maximum(run.impingement.n_exact, 1) * cpt
    return (15 + exact + 15).astype(float)


def dea_flops(run, pressure_model):
    """Flops of ``dea.solve_frames`` for each frame (n_frame,), from ``run.pressure.iterations``.

    Per spring evaluation (``_springs``), every element: q = x - d (3), b = q . n (5), the
    discriminant (9) = 17; an element in compression adds sqrt, s, delta (3), pressure, force
    (8) = 11, and with the Jacobian 40 more (gradient 3 x 4, weight 1, 9 entries x 3). A frame
    with I Newton iterations makes 1 + I evaluations with the Jacobian and at least I without
    (one line-search trial per iteration; more when it backtracks, which the run does not
    record). The elements in compression are taken as contact_area / largest element area, a
    lower bound at the solution (earlier iterates are warm-started and similar). Per frame also:
    element radii (R^T u 15, neck-axis dot 5, plus 1, and the cube-map lookup 25 for the
    elements whose direction is within the neck zone, counted exactly from the run's poses);
    load norm and tolerance 7; per iteration the 3 x 3 solve (4 determinants x 14 + 3 div),
    the trial point 6 and its residual test 12, the residual and |d| 15; final residual 9 and
    summaries 3 per element in compression + 1.
    """
    layer, head = pressure_model.layer, pressure_model.head
    n_el = layer.n_elements
    its = run.pressure.iterations
    engaged = np.floor(run.pressure.contact_area_mm2 / layer.area.max())
    u = np.einsum("fji,ej->fei", _hip_rotations(run), layer.direction)      # R^T u per element
    lookups = np.count_nonzero(u @ head.neck_axis >= head.sphere_cos, axis=1)
    radii = n_el * (15 + 5 + 1) + 25 * lookups
    spring = 17 * n_el + 11 * engaged
    spring_jac = spring + 40 * engaged
    per_iter = spring + spring_jac + 59 + 6 + 12 + 15
    return (radii + 7 + spring_jac + 9 + its * per_iter + 9 + 3 * engaged + 1).astype(float)


def flops_per_frame(run, config=None):
    """Floating-point operations per frame [flop] of each numba kernel of the pipeline, mean
    over the frames of ``run`` (a :class:`hipsim.pipeline.Pipeline`).

    ``config`` is the run's config; only its morphology and cartilage are read (for the bone and
    cartilage models, which the Pipeline does not keep); default: the default config's.
    Returns {kernel name: flops per frame}; see each counting function for what is counted.
    """
    from hipsim import load_config
    from hipsim.pipeline import clearance_model, pressure_model
    config = config or load_config()
    model = run.model
    q = run.dynamics.q
    if model.n_dependent:
        from hipsim.kinematics import extended_coordinates
        q = extended_coordinates(model, q)
    exponent = config.solver.activation_exponent
    return {
        "forward kinematics (3 poses)": 3.0 * fk_flops_per_pose(model),
        "Newton-Euler inverse dynamics": float(newton_euler_flops(model)),
        "muscle paths": float(muscle_path_flops(model, q).mean()),
        "static optimization": float(static_opt_flops(run.capacity, run.solution, exponent).mean()),
        "clearance (lower bound)": float(clearance_flops(run, clearance_model(config.morphology)).mean()),
        "DEA cartilage pressure": float(dea_flops(run, pressure_model(config.morphology,
                                                                      config.cartilage)).mean()),
    }


# ----------------------------------------------------------------------------- the machine
@numba.njit(fastmath=False, cache=False)
def _multiply_adds(n, x, y):
    """12 independent chains a = a x + y, n times: 24 n flops. Twelve chains cover the
    latency of a dependent multiply and add (6-8 cycles), so the loop runs at the FP ports' rate."""
    a0, a1, a2, a3, a4, a5 = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6
    a6, a7, a8, a9, a10, a11 = 0.7, 0.8, 0.9, 1.0, 1.1, 1.2
    for _ in range(n):
        a0 = a0 * x + y
        a1 = a1 * x + y
        a2 = a2 * x + y
        a3 = a3 * x + y
        a4 = a4 * x + y
        a5 = a5 * x + y
        a6 = a6 * x + y
        a7 = a7 * x + y
        a8 = a8 * x + y
        a9 = a9 * x + y
        a10 = a10 * x + y
        a11 = a11 * x + y
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11


def peak_flops_per_s(seconds=0.3, repeats=3):
    """One core's sustained scalar double-precision rate [flop/s], measured in this process.

    A numba loop of independent multiply-adds (no fast-math, so numba emits a separate scalar
    multiply and add, ``vmulsd`` + ``vaddsd``, as the hipsim kernels do), each a x + y counted as
    2 flops; the best of ``repeats`` runs of about ``seconds / repeats`` each. x < 1 keeps the
    values finite and normal.
    """
    x, y = 0.999999, 1e-6
    _multiply_adds(1000, x, y)                     # compile
    n = 1_000_000
    t0 = time.perf_counter()
    _multiply_adds(n, x, y)
    n = max(n, int(n * seconds / repeats / (time.perf_counter() - t0)))
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        _multiply_adds(n, x, y)
        best = min(best, time.perf_counter() - t0)
    return 24.0 * n / best


def floor_us_per_frame(run, config=None, peak=None):
    """Arithmetic floor [us per frame]: total flops per frame / peak rate (measured when
    ``peak`` [flop/s] is not given)."""
    peak = peak or peak_flops_per_s()
    return sum(flops_per_frame(run, config).values()) / peak * 1e6


if __name__ == "__main__":
    from hipsim import load_config
    from hipsim.pipeline import run_pipeline

    cfg = load_config({"activity": {"kind": "running", "speed_m_s": 3.5}})
    run = run_pipeline(cfg)
    flops = flops_per_frame(run, cfg)
    peak = peak_flops_per_s()
    print(f"running 3.5 m/s, {len(run.trial.time)} frames; flops per frame "
          f"(transcendental = {TRANSCENDENTAL} flops)")
    for name, value in flops.items():
        print(f"  {name:32s} {value:12,.0f}  {value / peak * 1e6:8.3f} us")
    total = sum(flops.values())
    print(f"  {'total':32s} {total:12,.0f}")
    print(f"peak (1 core, scalar double, mul + add): {peak / 1e9:.2f} Gflop/s")
    print(f"floor: {total / peak * 1e6:.2f} us per frame ({peak / total:,.0f} frames/s)")
