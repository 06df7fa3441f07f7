"""Throughput of the cartilage-pressure DEA (frames per second per core) against a scipy solver
of the same equations in the same process.

Rows (see ``run``):

* hipsim ``PressureModel.solve`` over the walking and running cycles of the default hip
  (contact forces and hip angles from the pipeline), repeated to ``N_FRAMES`` frames, on a
  ~2,000-element articular layer (mesh resolution 1.4: 1,999 elements) and on the default mesh
  (1,885); aim >= 5,000 frames/s per core;
* the baseline: the same spring model as numpy arrays solved frame by frame with
  ``scipy.optimize.root`` (hybrid Powell, analytic Jacobian, warm-started like hipsim), on the
  first ``N_SCIPY`` frames; its answers are checked against hipsim's;
* the one-time model build (layer + head table) and the first call (numba compile or cache load).

Everything runs in one worker subprocess pinned to a single CPU with every thread pool at one
thread.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _worker import SINGLE_THREAD_ENV, main, row, run_worker  # noqa: E402

AIM_FRAMES_PER_S = 5_000
N_FRAMES = 20_200
N_SCIPY = 202
REPEATS = 5
RESOLUTION = 1.4


def _cycle():
    """Rotations (n, 3, 3) and head loads (n, 3) [N] of the walking then running cycle."""
    import numpy as np

    from hipsim import load_config
    from hipsim.model import ACTUATED_COORDINATES
    from hipsim.morphology import hip_rotation
    from hipsim.pipeline import run_pipeline
    rotations, loads = [], []
    for kind in ("walking", "running"):
        run = run_pipeline(load_config({"activity": {"kind": kind}}))
        hip = run.model.coordinate_index(ACTUATED_COORDINATES[:3])
        rotations.append(hip_rotation(np.rad2deg(run.dynamics.q[:, hip])))
        loads.append(run.contact_force)
    return np.concatenate(rotations), np.concatenate(loads)


def _scipy_solve(model, rotations, loads):
    """The same DEA, frame by frame, numpy residual + scipy.optimize.root: (peaks, seconds)."""
    import time

    import numpy as np
    from scipy.optimize import root

    from hipsim._kernels.dea import element_radii
    L, H = model.layer, model.head
    c = model.stiffness_mpa / model.thickness_mm
    rho = np.empty(L.n_elements)
    peaks = []
    d = np.zeros(3)
    t = time.perf_counter()
    for R, F in zip(rotations, loads):
        element_radii(R, L.direction, H.table, H.sphere_radius_mm, H.sphere_cos, H.neck_axis, H.offset_mm, rho)

        def springs(disp):
            q = L.position - disp
            b = np.einsum("ij,ij->i", q, L.normal)
            disc = b * b - (np.einsum("ij,ij->i", q, q) - rho * rho)
            root_ = np.sqrt(np.maximum(disc, 0.0))
            delta = np.where(disc > 0, model.thickness_mm + b + root_, -1.0)
            p = c * np.maximum(delta, 0.0)
            return q, b, root_, p

        def residual(disp):
            _, _, _, p = springs(disp)
            return -(p * L.area) @ L.normal - F

        def jacobian(disp):
            q, b, root_, p = springs(disp)
            on = p > 0
            g = L.normal[on] - (q[on] - b[on, None] * L.normal[on]) / root_[on, None]
            return (c * L.area[on, None] * L.normal[on]).T @ g

        sol = root(residual, d, jac=jacobian, method="hybr", options={"xtol": 1e-10})
        d = sol.x
        peaks.append(springs(d)[3].max())
    return np.array(peaks), time.perf_counter() - t


def _worker():
    import time

    import numpy as np

    from hipsim.morphology import build_hip
    from hipsim.pressure import PressureModel
    R1, F1 = _cycle()
    reps = int(np.ceil(N_FRAMES / len(R1)))
    R, F = np.tile(R1, (reps, 1, 1))[:N_FRAMES], np.tile(F1, (reps, 1))[:N_FRAMES]
    out = {"frames": len(R)}
    for label, resolution in (("layer_2k", RESOLUTION), ("default", 1.0)):
        hip = build_hip({}, resolution=resolution)
        t0 = time.perf_counter()
        model = PressureModel(hip, 2.0, 12.0, 0.45)
        t1 = time.perf_counter()
        first = model.solve(R[:2], F[:2])
        t2 = time.perf_counter()
        times = []
        for _ in range(REPEATS):
            t = time.perf_counter()
            res = model.solve(R, F)
            times.append(time.perf_counter() - t)
        out[label] = {"elements": model.layer.n_elements, "fps": len(R) / float(np.median(times)),
                      "build_s": t1 - t0, "first_s": t2 - t1, "mean_iterations": float(res.iterations.mean()),
                      "flagged": int(np.count_nonzero(res.status)), "first_ok": bool(first.status[0] == 0)}
        if label == "layer_2k":
            peaks, seconds = _scipy_solve(model, R1[:N_SCIPY], F1[:N_SCIPY])
            mine = model.solve(R1[:N_SCIPY], F1[:N_SCIPY])
            out["scipy_fps"] = N_SCIPY / seconds
            out["scipy_max_diff_mpa"] = float(np.max(np.abs(peaks - mine.peak_mpa)))
    print(json.dumps(out))


def run():
    """All rows of this benchmark (list of dicts; see ``benchmarks/run_all.py``)."""
    r = run_worker(__file__, [], SINGLE_THREAD_ENV)
    big, small = r["layer_2k"], r["default"]
    return [
        row("cartilage pressure (DEA) per core, ~2,000 elements", big["fps"], "frames/s", r["scipy_fps"],
            "frames/s (scipy root, same equations)", big["fps"] / r["scipy_fps"],
            f"aim >= {AIM_FRAMES_PER_S:,} frames/s: {'met' if big['fps'] >= AIM_FRAMES_PER_S else 'NOT met'}; "
            f"{big['elements']:,} articular elements (mesh resolution {RESOLUTION}); walking + running cycles "
            f"repeated to {r['frames']:,} frames; mean {big['mean_iterations']:.1f} Newton iterations/frame, "
            f"{big['flagged']} frames flagged; scipy on the first {N_SCIPY} frames, peak pressures agree "
            f"within {r['scipy_max_diff_mpa']:.1e} MPa; median of {REPEATS}"),
        row("cartilage pressure (DEA) per core, default mesh", small["fps"], "frames/s", None, "", None,
            f"{small['elements']:,} elements; mean {small['mean_iterations']:.1f} iterations/frame"),
        row("cartilage pressure model build (layer + head table), one-time", big["build_s"], "s", None, "",
            None, f"per morphology and cartilage; first solve {big['first_s']:.2f} s includes numba compile "
                  f"or cache load"),
        row("cartilage pressure vs FE anchor", 1.0 / big["fps"], "s per frame", 65 * 60.0,
            "s per load case (FE, Abraham 2013)", 65 * 60.0 * big["fps"],
            "anchor from TARGETS.md (DEA ~7 s, FE ~65 min per load case), not re-measured here"),
    ]


if __name__ == "__main__":
    main(_worker, run)
