"""Throughput of the per-frame pipeline (inverse dynamics -> muscle geometry -> static
optimization -> hip contact force) against scipy SLSQP measured in the same process.

Rows (see ``run``):

* numba compile time: the first pipeline call in a fresh process with an empty
  ``NUMBA_CACHE_DIR``, against the first call in a fresh process whose on-disk cache is warm;
* frames/s per core of the whole per-frame pipeline, after compilation, for the OpenSim
  subject01 walking trial (or the library walking cycle where ../shared is absent) and the
  library running trial at 3.5 m/s, each tiled to ~10,000 frames; median of several repetitions,
  against SLSQP solving only the static-optimization problem of the same frames, in two forms:
  a strong one (analytic gradients, each frame warm-started from the last, the main ratio) and
  a quick-script one (finite-difference gradients, every frame from the same cold start);
* frames/s of the static-optimization kernel alone, against the same SLSQP baseline;
* SLSQP per frame against the TARGETS.md anchor; the pipeline against OpenSim's ~8.4 frames/s
  (anchor measured once on this machine type, not re-measured here).

The throughput rows are measured in one worker subprocess pinned to a single CPU with every
thread pool (BLAS, OpenMP, numba) at one thread, so "per core" means what it says whatever the
parent process has already imported. Run directly (``python benchmarks/bench_pipeline.py``) or
through ``benchmarks/run_all.py``.
"""
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _worker import SINGLE_THREAD_ENV, main, row, run_worker  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED_OPENSIM = ROOT.parent / "shared" / "reference" / "opensim"

#: Aims from the project brief and the anchors of ../shared/validation/TARGETS.md.
AIM_FRAMES_PER_S = 20_000
AIM_SPEEDUP_VS_SLSQP = 200
OPENSIM_FRAMES_PER_S = 8.4          # OpenSim 4.6 SO + JR, gait2392 walking, 151 frames in 18.0 s
SLSQP_ANCHOR_S = 0.040              # scipy SLSQP, one frame, 35 muscles x 4 moment constraints

TARGET_FRAMES = 10_000              # the trial is tiled to about this many frames
REPEATS = 5
SLSQP_FTOL = 1e-10                  # a practical, already strict, setting (objective ~0.01-1)



def walking_config():
    """The subject01 walking problem of the tests, or the library cycle without ../shared."""
    files = {"motion": SHARED_OPENSIM / "gait2392_pipeline/subject01_walk1_ik.mot",
             "grf": SHARED_OPENSIM / "gait2392_walk_SO_JR/subject01_walk1_grf.mot",
             "osim": SHARED_OPENSIM / "gait2392_walk_SO_JR/subject01_simbody_adjusted_StaticOp.osim"}
    if all(p.exists() for p in files.values()):
        return "walking, subject01 (gait2392 file trial)", {
            "subject": {"mass_kg": 72.6},
            "activity": {"kind": "walking", "frames": 101, "motion_file": str(files["motion"]),
                         "grf_file": str(files["grf"])},
            "model": {"osim_file": str(files["osim"])}}
    return "walking, library cycle (../shared absent)", {"activity": {"kind": "walking"}}


def trial_configs():
    configs = [walking_config()]
    if (ROOT / "hipsim" / "data" / "gait" / "running_3.5.csv").exists():
        configs.append(("running 3.5 m/s, library cycle", {"activity": {"kind": "running", "speed_m_s": 3.5}}))
    return configs


# ----------------------------------------------------------------------------- workers
def _worker_compile(config):
    """Time the first and second pipeline call of a fresh process (run in a subprocess)."""
    import time
    t0 = time.perf_counter()
    from hipsim import load_config
    from hipsim.pipeline import run_pipeline
    t1 = time.perf_counter()
    cfg = load_config(config)
    run_pipeline(cfg)
    t2 = time.perf_counter()
    run_pipeline(cfg)
    t3 = time.perf_counter()
    return {"import_s": t1 - t0, "first_s": t2 - t1, "second_s": t3 - t2}


def _load_naive():
    import importlib.util
    spec = importlib.util.spec_from_file_location("hipsim_tests_naive", ROOT / "tests" / "naive.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tile(trial, k):
    import dataclasses

    import numpy as np
    return dataclasses.replace(
        trial, time=np.tile(trial.time, k), gait_phase=np.tile(trial.gait_phase, k),
        grf=np.tile(trial.grf, (k, 1)), cop=np.tile(trial.cop, (k, 1)),
        free_moment=np.tile(trial.free_moment, (k, 1)))


def _worker_throughput(label, config):
    """Pipeline stages, the SO kernel and the SLSQP baseline, all in this (pinned) process."""
    import time

    import numpy as np

    from hipsim import load_config
    from hipsim.contact import hip_contact_force
    from hipsim.dynamics import inverse_dynamics
    from hipsim.optimize import static_optimization
    from hipsim.muscles import muscle_geometry
    from hipsim.pipeline import muscle_problem, run_pipeline

    cfg = load_config(config)
    s = cfg.solver
    run = run_pipeline(cfg)                                   # compiles (or loads) every kernel
    model = run.model
    k = max(1, round(TARGET_FRAMES / len(run.trial.time)))
    trial = _tile(run.trial, k)
    n = len(trial.time)

    def solve(capacity, demand):
        return static_optimization(capacity, demand, s.activation_exponent, s.reserve_optimal_moment_nm,
                                   s.reserve_flag_nm, s.max_iterations, s.tolerance)

    stages = {"inverse_dynamics": [], "muscle_problem": [], "static_optimization": [], "contact": []}
    totals = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        dyn = inverse_dynamics(model, trial)
        t1 = time.perf_counter()
        geometry = muscle_geometry(model, dyn.q, dyn.kinematics)
        hip_direction = geometry[2]
        active, passive, capacity, demand = muscle_problem(model, dyn, geometry, cfg.strength,
                                                           s.muscle_physiology)
        t2 = time.perf_counter()
        sol = solve(capacity, demand)
        t3 = time.perf_counter()
        hip_contact_force(dyn.hip_force, sol.activation * active + passive, hip_direction)
        t4 = time.perf_counter()
        for name, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            stages[name].append(dt)
        totals.append(t4 - t0)
    pipeline_fps = n / float(np.median(totals))
    stage_us = {name: 1e6 * float(np.median(v)) / n for name, v in stages.items()}

    kernel_times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        solve(capacity, demand)
        kernel_times.append(time.perf_counter() - t0)
    kernel_fps = n / float(np.median(kernel_times))

    # SLSQP on the identical per-frame problem, one cycle, each frame warm-started from the last.
    naive = _load_naive()
    p, r0 = s.activation_exponent, s.reserve_optimal_moment_nm
    cap1, dem1, act1 = run.capacity, run.demand, run.active
    naive.static_opt_scipy(cap1[0], dem1[0], p, r0, ftol=SLSQP_FTOL, refine=False)      # warm-up
    slsqp_times, errors = [], []
    for rep in range(3):
        guess = None
        t0 = time.perf_counter()
        answers = []
        for f in range(len(dem1)):
            a, _, _, _ = naive.static_opt_scipy(cap1[f], dem1[f], p, r0, a0=guess, ftol=SLSQP_FTOL,
                                                refine=False)
            answers.append(a)
            guess = a
        slsqp_times.append(time.perf_counter() - t0)
    for f, a in enumerate(answers):
        ref = run.solution.activation[f] * act1[f]
        errors.append(np.linalg.norm(a * act1[f] - ref) / max(np.linalg.norm(ref), 1e-12))
    slsqp_fps = len(dem1) / float(np.median(slsqp_times))
    # The quick-script variant: every frame from the same cold start, finite-difference gradients.
    sample = np.arange(0, len(dem1), 5)
    naive_times = []
    for rep in range(2):
        t0 = time.perf_counter()
        for f in sample:
            naive.static_opt_scipy(cap1[f], dem1[f], p, r0, ftol=SLSQP_FTOL, refine=False, analytic=False)
        naive_times.append(time.perf_counter() - t0)
    slsqp_naive_fps = len(sample) / float(np.median(naive_times))
    status = np.bincount(sol.status, minlength=4)
    return {"label": label, "frames": n, "tiles": k, "pipeline_fps": pipeline_fps, "stage_us": stage_us,
            "kernel_fps": kernel_fps, "kernel_iterations": float(sol.iterations.mean()),
            "slsqp_fps": slsqp_fps, "slsqp_frames": len(dem1),
            "slsqp_naive_fps": slsqp_naive_fps, "slsqp_naive_frames": len(sample),
            "slsqp_force_error_median": float(np.median(errors)),
            "slsqp_force_error_max": float(np.max(errors)), "status": status.tolist(),
            "n_muscle": int(cap1.shape[2]), "n_dof": int(cap1.shape[1])}


def _subprocess(kind, args, env_extra, pin=True):
    return run_worker(__file__, [kind, json.dumps(args)], env_extra, pin)


# ----------------------------------------------------------------------------- rows
def compile_rows():
    label, config = walking_config()
    with tempfile.TemporaryDirectory(prefix="hipsim-numba-cache-") as cache:
        env = {**SINGLE_THREAD_ENV, "NUMBA_CACHE_DIR": cache}
        cold = _subprocess("compile", config, env, pin=False)
        warm = _subprocess("compile", config, env, pin=False)      # same, now populated, cache
    compile_s = cold["first_s"] - warm["first_s"]
    return [row("numba compile: first pipeline call, empty cache", cold["first_s"], "s",
                 warm["first_s"], "s (first call, on-disk cache)", cold["first_s"] / warm["first_s"],
                 f"compile ~{compile_s:.1f} s; steady-state call {1e3 * cold['second_s']:.0f} ms; "
                 f"import hipsim {cold['import_s']:.2f} s; {label}, 101 frames")]


def throughput_rows():
    rows = []
    for label, config in trial_configs():
        r = _subprocess("throughput", {"label": label, "config": config}, SINGLE_THREAD_ENV)
        st = r["stage_us"]
        total_us = sum(st.values())
        profile = ", ".join(f"{k.replace('_', ' ')} {v:.1f} us ({100 * v / total_us:.0f}%)"
                            for k, v in st.items())
        speedup = r["pipeline_fps"] / r["slsqp_fps"]
        status = r["status"]
        flagged = "" if sum(status[1:]) == 0 else (
            f"; solver_status counts {dict((i, c) for i, c in enumerate(status) if c)}")
        rows.append(row(
            f"pipeline per core, {label}", r["pipeline_fps"], "frames/s",
            r["slsqp_fps"], "frames/s (SLSQP warm start, analytic gradients)", speedup,
            f"aim >= {AIM_FRAMES_PER_S:,} f/s: {'met' if r['pipeline_fps'] >= AIM_FRAMES_PER_S else 'NOT met'}, "
            f"aim >= {AIM_SPEEDUP_VS_SLSQP}x SLSQP: {'met' if speedup >= AIM_SPEEDUP_VS_SLSQP else 'NOT met'}; "
            f"median of {REPEATS} x {r['frames']:,} frames ({r['tiles']} tiles); {profile}{flagged}"))
        rows.append(row(
            f"static optimization kernel alone, {label}", r["kernel_fps"], "frames/s",
            r["slsqp_fps"], "frames/s (scipy SLSQP)", r["kernel_fps"] / r["slsqp_fps"],
            f"{r['n_muscle']} muscles x {r['n_dof']} dofs; mean {r['kernel_iterations']:.1f} "
            f"inner iterations/frame; SLSQP (explicit reserves, analytic gradients) ftol {SLSQP_FTOL:g}, warm-started, {r['slsqp_frames']} frames, "
            f"x3; SLSQP vs hipsim forces: median {r['slsqp_force_error_median']:.1e}, "
            f"max {r['slsqp_force_error_max']:.1e} relative"))
        naive_speedup = r["pipeline_fps"] / r["slsqp_naive_fps"]
        rows.append(row(
            f"pipeline vs quick-script SLSQP, {label}", r["pipeline_fps"], "frames/s",
            r["slsqp_naive_fps"], "frames/s (SLSQP cold start, finite differences)", naive_speedup,
            f"aim >= {AIM_SPEEDUP_VS_SLSQP}x: {'met' if naive_speedup >= AIM_SPEEDUP_VS_SLSQP else 'NOT met'}; "
            f"SLSQP from a = 0.05 every frame, no jac (scipy differences), ftol {SLSQP_FTOL:g}, "
            f"{r['slsqp_naive_frames']} frames x2"))
        rows.append(row(
            f"scipy SLSQP per frame (warm, analytic), {label}", 1e3 / r["slsqp_fps"], "ms/frame",
            1e3 * SLSQP_ANCHOR_S, "ms/frame (TARGETS.md anchor, 35 x 4)", SLSQP_ANCHOR_S * r["slsqp_fps"],
            "anchor not re-measured; ratio = anchor / measured (>1: this SLSQP is faster than the anchor)"))
        rows.append(row(
            f"pipeline vs OpenSim, {label}", r["pipeline_fps"], "frames/s",
            OPENSIM_FRAMES_PER_S, "frames/s (OpenSim 4.6 SO+JR anchor)", r["pipeline_fps"] / OPENSIM_FRAMES_PER_S,
            "anchor measured on this machine type (TARGETS.md: 151 gait2392 walking frames in 18.0 s), "
            "not re-measured here"))
    return rows


def run():
    """All rows of this benchmark (list of dicts; see ``benchmarks/run_all.py``)."""
    return compile_rows() + throughput_rows()


def _worker_main(kind, payload):
    args = json.loads(payload)
    if kind == "compile":
        result = _worker_compile(args)
    else:
        result = _worker_throughput(args["label"], args["config"])
    print(json.dumps(result))


if __name__ == "__main__":
    main(_worker_main, run)
