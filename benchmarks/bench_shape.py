"""New hip shapes: how long one new shape of the real bones takes, and a sweep whose every point
is a new shape.

Rows (see ``run``):

* one new shape after warm-up: ``hipsim.hip_models`` hip geometry (the atlas bones deformed to
  the point's alpha angle and LCEA), its clearance model (the trees of both bones refitted where
  vertices moved) and its cartilage model (the head's ray table cast again only where the cam
  changed it), each point of a seeded random alpha x LCEA sequence new to the process; one
  thread (as in a sweep worker) and all threads; against the same shapes' models built from
  scratch in the same process (no earlier shape to start from: every tree built, every ray
  cast), and against the 2-3.5 s a new shape cost before the fixed-topology bones (issue 12);
  the aim is <= 50 ms;
* a 300-point Latin-hypercube sweep of the 101-frame running cycle over alpha angle x LCEA x
  gluteus medius strength (every point a new hip shape, the motion shared) on all cores, from a
  fresh process: frames/s including start-up against the aim of 2,000 frames/s, and against a
  strength-only sweep of the same size run the same way (gluteus medius x gluteus maximus: the
  same hip for every point).

Each measurement runs in a fresh subprocess (numba and model caches warm: a first run compiles
and builds the atlas bones once, see ``bench_sweep``'s start-up row).
"""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _worker import SINGLE_THREAD_ENV, main, row, run_worker  # noqa: E402
from bench_sweep import _subprocess as sweep_subprocess  # noqa: E402

AIM_MS = 50.0                       # one new shape after warm-up (issue 12)
AIM_FPS = 2_000.0                   # 300-point running LHS over alpha x LCEA x strength, start-up included
BEFORE_S = (2.0, 3.5)               # a new parametric shape's meshes and distance field (issue 12)
RUNNING = {"activity": {"kind": "running", "speed_m_s": 3.5, "frames": 101}}
ALPHA, LCEA = (55.0, 85.0), (25.0, 45.0)
SHAPE_AXES = {"morphology.alpha_angle_deg": list(ALPHA), "morphology.lce_angle_deg": list(LCEA),
              "strength.gluteus_medius": [0.5, 1.0]}
STRENGTH_AXES = {"strength.gluteus_medius": [0.5, 1.0], "strength.gluteus_maximus": [0.5, 1.0]}


def _shapes(n, seed=0):
    import numpy as np
    from hipsim import load_config
    rng = np.random.default_rng(seed)
    return [load_config({"morphology": {"alpha_angle_deg": float(rng.uniform(*ALPHA)),
                                        "lce_angle_deg": float(rng.uniform(*LCEA))}}) for _ in range(n)]


def _shape_worker(n_shapes):
    """Median / 90th percentile [ms] of a new shape's geometry + clearance + cartilage models,
    and of the same built from scratch."""
    import numpy as np
    from hipsim import hip_models
    from hipsim.impingement import ClearanceModel
    from hipsim.pressure import PressureModel
    from hipsim.pipeline import run_pipeline
    configs = _shapes(int(n_shapes) + 3)
    run_pipeline(configs[0])                            # compile, load the bones
    for c in configs[1:3]:                              # the first refits allocate the trees
        hip_models.pressure_model(c.morphology, c.cartilage)
        hip_models.clearance_model(c.morphology)
    times, parts = [], {"geometry": [], "clearance": [], "cartilage": []}
    for c in configs[3:]:
        t0 = time.perf_counter()
        hip_models.hip_geometry(c.morphology)
        t1 = time.perf_counter()
        hip_models.clearance_model(c.morphology)
        t2 = time.perf_counter()
        hip_models.pressure_model(c.morphology, c.cartilage)
        t3 = time.perf_counter()
        times.append(t3 - t0)
        for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
            parts[k].append(v)
    hip = hip_models.real_hip()
    scratch = []
    for c in configs[3:13]:
        t0 = time.perf_counter()
        g = hip.shape(c.morphology)
        ClearanceModel(g, femur_candidates=hip.query_candidates)
        PressureModel(g, c.cartilage.thickness_mm, c.cartilage.modulus_mpa, c.cartilage.poisson_ratio)
        scratch.append(time.perf_counter() - t0)
    ms = lambda v: 1e3 * float(np.median(v))       # noqa: E731
    print(json.dumps({"median_ms": ms(times), "p90_ms": 1e3 * float(np.percentile(times, 90)),
                      "parts_ms": {k: ms(v) for k, v in parts.items()}, "scratch_ms": ms(scratch),
                      "shapes": len(times)}))


def _worker(kind, payload):
    args = json.loads(payload)
    if kind == "shape":
        _shape_worker(args["shapes"])
    else:
        raise SystemExit(f"unknown worker {kind}")


def _lhs(samples, axes):
    return {**RUNNING, "sweep": {"design": "lhs", "samples": samples, "seed": 0, "axes": axes}}


def shape_rows():
    one = run_worker(__file__, ["shape", json.dumps({"shapes": 60})], SINGLE_THREAD_ENV, pin=True)
    every = run_worker(__file__, ["shape", json.dumps({"shapes": 60})], {}, pin=False)
    parts = ", ".join(f"{k} {v:.1f}" for k, v in one["parts_ms"].items())
    rows = []
    for label, r in (("one thread", one), ("all threads", every)):
        rows.append(row(f"one new hip shape after warm-up (geometry + clearance + cartilage models), {label}",
                        r["median_ms"], "ms", r["scratch_ms"], "ms (the same shapes built from scratch)",
                        r["median_ms"] / r["scratch_ms"],
                        f"aim <= {AIM_MS:.0f} ms: {'met' if r['median_ms'] <= AIM_MS else 'NOT met'} (median of "
                        f"{r['shapes']} new alpha x LCEA shapes; 90th percentile {r['p90_ms']:.0f} ms); before the "
                        f"fixed-topology bones {BEFORE_S[0]:.0f}-{BEFORE_S[1]:.1f} s"
                        + (f"; one thread: {parts} ms" if r is one else "")))
    return rows


def sweep_rows():
    shape = sweep_subprocess("sweep", {"config": _lhs(300, SHAPE_AXES)})
    strength = sweep_subprocess("sweep", {"config": _lhs(300, STRENGTH_AXES)})
    fps = lambda r: r["frames"] / (r["import_s"] + r["sweep_s"])     # noqa: E731
    total = shape["import_s"] + shape["sweep_s"]
    return [row(f"300-point running LHS, alpha x LCEA x gluteus medius ({shape['workers']} workers, start-up "
                "included)", fps(shape), "frames/s", fps(strength),
                "frames/s (strength-only LHS, one hip, same size)", fps(shape) / fps(strength),
                f"aim >= {AIM_FPS:,.0f} frames/s: {'met' if fps(shape) >= AIM_FPS else 'NOT met'}; "
                f"{shape['frames']:,} frames in {total:.1f} s (import {shape['import_s']:.1f} s, first chunk in "
                f"after {shape['first_chunk_s']:.1f} s); every point a new shape of the atlas bones")]


def run():
    return shape_rows() + sweep_rows()


if __name__ == "__main__":
    main(_worker, run)
