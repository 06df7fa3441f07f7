"""Throughput of the impingement clearance query against python-fcl and trimesh, same meshes,
same poses, same process.

Rows (see ``run``):

* hipsim ``ClearanceModel.query`` poses/s per core (after the one-time build) against python-fcl
  yes/no collision (``fcl.collide``, OBBRSS BVHs of the full femur and acetabulum meshes), the
  main ratio (aims: >= 50,000 poses/s and >= 10 x fcl's collision throughput);
* against python-fcl distance (``fcl.distance``);
* against trimesh signed distance (``trimesh.proximity.signed_distance`` of the same femur query
  points, the non-articular vertices, against the acetabulum);
* the one-time build (sphere tree + BVHs) and the first-call (numba compile or cache load) times.

Meshes: ``hipsim.morphology.build_hip`` of the default morphology when that module exists, else
the synthetic stand-ins of ``tests/naive_geometry.py`` (~6,000 triangles each). Poses: random
hip angles over the physiological range (flexion -20..125, adduction -35..35, rotation -60..60
deg; seeded), which mixes clear, touching and overlapping poses; the slower baselines run on the
first poses of the same list. Everything runs in one worker subprocess pinned to a single CPU
with every thread pool at one thread. Rows for a baseline that is not installed say so in the
notes and carry no figure.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _worker import SINGLE_THREAD_ENV, main, row, run_worker  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

AIM_POSES_PER_S = 50_000
AIM_SPEEDUP_VS_FCL = 10
FCL_COLLIDE_ANCHOR = 4_900          # TARGETS.md, ~6k vs ~6k triangles, this machine type
N_POSES = 20_000
N_FCL_COLLIDE = 2_000
N_FCL_DISTANCE = 60
N_TRIMESH = 4
REPEATS = 5



def _load_naive_geometry():
    import importlib.util
    spec = importlib.util.spec_from_file_location("hipsim_tests_naive_geometry",
                                                  ROOT / "tests" / "naive_geometry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def geometry():
    """(label, hip geometry): the parametric default hip, or the synthetic stand-in."""
    try:
        from hipsim.config import load_config
        from hipsim.morphology import build_hip
        return "hipsim.morphology default hip", build_hip(load_config({}).morphology)
    except Exception as exc:                      # module absent or not ready: say so in the notes
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:80]
        return f"synthetic stand-in meshes (morphology unavailable: {reason})", \
            _load_naive_geometry().synthetic_hip(resolution=1.0)


def _worker():
    import time

    import numpy as np

    from hipsim.impingement import ClearanceModel

    naive = _load_naive_geometry()
    label, hip = geometry()
    rng = np.random.default_rng(2026)
    angles = np.column_stack([rng.uniform(-20, 125, N_POSES), rng.uniform(-35, 35, N_POSES),
                              rng.uniform(-60, 60, N_POSES)])
    try:
        from hipsim.morphology import hip_rotation
        R = np.ascontiguousarray(hip_rotation(angles))
    except Exception:
        R = naive.hip_rotation(angles)
    out = {"label": label, "n_tri_femur": int(len(hip.femur.faces)),
           "n_tri_acetabulum": int(len(hip.acetabulum.faces)), "poses": N_POSES}

    t0 = time.perf_counter()
    model = ClearanceModel(hip)
    t1 = time.perf_counter()
    model.query(R[:2])                                   # compile or load the numba cache
    t2 = time.perf_counter()
    model = ClearanceModel(hip)                          # the build again, kernels compiled
    t3 = time.perf_counter()
    out["build_s"], out["first_query_s"], out["build_warm_s"] = t1 - t0, t2 - t1, t3 - t2

    def poses_per_second(clearance_model, rotations):
        """Median throughput of REPEATS queries and the last result."""
        times = []
        for _ in range(REPEATS):
            t = time.perf_counter()
            result = clearance_model.query(rotations)
            times.append(time.perf_counter() - t)
        return len(rotations) / float(np.median(times)), result

    out["hipsim_pps"], res = poses_per_second(model, R)
    out["tolerance_mm"] = model.tolerance_mm
    exact = ClearanceModel(hip, tolerance_mm=0.0)
    exact.query(R[:2])
    out["hipsim_exact_pps"], res_exact = poses_per_second(exact, R)
    out["tolerance_max_error_mm"] = float(np.max(np.abs(res_exact.clearance_mm - res.clearance_mm)))
    out["overlap_fraction"] = float(np.mean(res.clearance_mm < 0))
    out["mean_exact"] = float(res.n_exact.mean())
    out["n_query_points"] = int(model.n_query_points)
    fadir = np.column_stack([rng.uniform(60, 120, N_POSES), rng.uniform(-10, 25, N_POSES),
                             rng.uniform(-10, 50, N_POSES)])
    try:
        from hipsim.morphology import hip_rotation as _hr
        R_fadir = np.ascontiguousarray(_hr(fadir))
    except Exception:
        R_fadir = naive.hip_rotation(fadir)
    out["hipsim_fadir_pps"], res_f = poses_per_second(model, R_fadir)
    out["fadir_overlap_fraction"] = float(np.mean(res_f.clearance_mm < 0))

    try:
        import fcl
    except ImportError:
        out["fcl"] = None
    else:
        def bvh(mesh):
            m = fcl.BVHModel()
            m.beginModel(len(mesh.vertices), len(mesh.faces))
            m.addSubModel(np.asarray(mesh.vertices, float), np.asarray(mesh.faces, np.int32))
            m.endModel()
            return m
        femur = fcl.CollisionObject(bvh(hip.femur), fcl.Transform())
        acet = fcl.CollisionObject(bvh(hip.acetabulum), fcl.Transform())
        zero = np.zeros(3)
        creq, dreq = fcl.CollisionRequest(), fcl.DistanceRequest()
        hits = []
        t = time.perf_counter()
        for k in range(N_FCL_COLLIDE):
            femur.setTransform(fcl.Transform(R[k], zero))
            hits.append(fcl.collide(femur, acet, creq, fcl.CollisionResult()) > 0)
        out["fcl_collide_pps"] = N_FCL_COLLIDE / (time.perf_counter() - t)
        out["fcl_collide_fraction"] = float(np.mean(hits))
        # fcl's question is a different one (any triangle pair of the full meshes, articular head
        # included), so agreement with clearance < 0 is informative, not a check
        out["fcl_agree"] = float(np.mean(np.array(hits) == (res.clearance_mm[:N_FCL_COLLIDE] < 0)))
        t = time.perf_counter()
        for k in range(N_FCL_DISTANCE):
            femur.setTransform(fcl.Transform(R[k], zero))
            fcl.distance(femur, acet, dreq, fcl.DistanceResult())
        out["fcl_distance_pps"] = N_FCL_DISTANCE / (time.perf_counter() - t)
        t = time.perf_counter()
        for k in range(N_FCL_COLLIDE):
            femur.setTransform(fcl.Transform(R_fadir[k], zero))
            fcl.collide(femur, acet, creq, fcl.CollisionResult())
        out["fcl_collide_fadir_pps"] = N_FCL_COLLIDE / (time.perf_counter() - t)
        out["fcl"] = getattr(fcl, "__version__", "installed")

    try:
        import trimesh
    except ImportError:
        out["trimesh"] = None
    else:
        tm = trimesh.Trimesh(hip.acetabulum.vertices, hip.acetabulum.faces, process=False)
        Q = np.ascontiguousarray(model.femur.points[model.femur.active])      # the query points
        sd = []
        try:
            trimesh.proximity.signed_distance(tm, Q[:10] @ R[0].T)          # build its caches
            t = time.perf_counter()
            for k in range(N_TRIMESH):
                sd.append(-trimesh.proximity.signed_distance(tm, Q @ R[k].T).min())
            out["trimesh_pps"] = N_TRIMESH / (time.perf_counter() - t)
            out["trimesh"] = trimesh.__version__
        except Exception as exc:                  # e.g. rtree missing
            out["trimesh"] = None
            out["trimesh_error"] = f"{type(exc).__name__}: {exc}"[:120]
    print(json.dumps(out))


def _subprocess():
    return run_worker(__file__, [], SINGLE_THREAD_ENV)


def run():
    """All rows of this benchmark (list of dicts; see ``benchmarks/run_all.py``)."""
    r = _subprocess()
    pps = r["hipsim_pps"]
    setting = (f"{r['label']}; femur {r['n_tri_femur']:,} / acetabulum {r['n_tri_acetabulum']:,} "
               f"triangles; {r['poses']:,} random poses, {100 * r['overlap_fraction']:.0f}% "
               f"overlapping; {r['n_query_points']:,} query points, mean {r['mean_exact']:.1f} exact "
               f"evaluations/pose; median of {REPEATS}")
    rows = []
    if r.get("fcl"):
        speedup = pps / r["fcl_collide_pps"]
        rows.append(row(
            "clearance per core vs python-fcl collide", pps, "poses/s", r["fcl_collide_pps"],
            "poses/s (fcl yes/no)", speedup,
            f"aim >= {AIM_POSES_PER_S:,} poses/s: {'met' if pps >= AIM_POSES_PER_S else 'NOT met'}, "
            f"aim >= {AIM_SPEEDUP_VS_FCL}x fcl: {'met' if speedup >= AIM_SPEEDUP_VS_FCL else 'NOT met'}; "
            f"fcl {r['fcl']} OBBRSS full meshes, {N_FCL_COLLIDE:,} poses, {100 * r['fcl_collide_fraction']:.0f}% "
            f"colliding (agrees with clearance < 0 on {100 * r['fcl_agree']:.0f}%: fcl also counts the "
            f"articular head); {setting}"))
        fspeed = r["hipsim_fadir_pps"] / r["fcl_collide_fadir_pps"]
        rows.append(row(
            "clearance per core vs fcl collide, deep-flexion poses", r["hipsim_fadir_pps"], "poses/s",
            r["fcl_collide_fadir_pps"], "poses/s (fcl yes/no)", fspeed,
            f"flexion 60..120, adduction -10..25, internal rotation -10..50 deg (FADIR range), "
            f"{100 * r['fadir_overlap_fraction']:.0f}% overlapping; same meshes; aims: "
            f"{'met' if r['hipsim_fadir_pps'] >= AIM_POSES_PER_S else 'NOT met'} (50k), "
            f"{'met' if fspeed >= AIM_SPEEDUP_VS_FCL else 'NOT met'} (10x)"))
        rows.append(row(
            "clearance per core vs python-fcl distance", pps, "poses/s", r["fcl_distance_pps"],
            "poses/s (fcl distance)", pps / r["fcl_distance_pps"],
            f"fcl.distance on the first {N_FCL_DISTANCE} of the same poses (TARGETS anchor ~60 poses/s)"))
    else:
        rows.append(row("clearance per core vs python-fcl", pps, "poses/s", None, "", None,
                         f"python-fcl not installed: baseline skipped (pip install python-fcl); {setting}"))
    if r.get("fcl"):
        rows.append(row(
            "exact clearance (tolerance 0) per core vs fcl collide", r["hipsim_exact_pps"], "poses/s",
            r["fcl_collide_pps"], "poses/s (fcl yes/no)", r["hipsim_exact_pps"] / r["fcl_collide_pps"],
            f"same poses with tolerance_mm=0 (equal to brute force to rounding); the rows above use "
            f"the default guaranteed bound {r['tolerance_mm']:g} mm (largest difference measured "
            f"here {r['tolerance_max_error_mm']:.3f} mm)"))
    rows.append(row("clearance per core vs fcl anchor", pps, "poses/s", FCL_COLLIDE_ANCHOR,
                     "poses/s (TARGETS.md fcl yes/no anchor)", pps / FCL_COLLIDE_ANCHOR,
                     "anchor measured once on this machine type, not re-measured here"))
    if r.get("trimesh"):
        rows.append(row(
            "clearance per core vs trimesh signed_distance", pps, "poses/s", r["trimesh_pps"],
            "poses/s (trimesh)", pps / r["trimesh_pps"],
            f"trimesh {r['trimesh']} proximity.signed_distance of the same {r['n_query_points']:,} "
            f"query points against the acetabulum, first {N_TRIMESH} poses (anchor ~4 poses/s)"))
    else:
        rows.append(row("clearance per core vs trimesh signed_distance", pps, "poses/s", None, "", None,
                         "trimesh (with rtree) not installed or failed: baseline skipped"
                         + (f" ({r['trimesh_error']})" if r.get("trimesh_error") else "")))
    rows.append(row("clearance model build (sphere tree + BVHs), one-time", r["build_warm_s"], "s", None, "", None,
                     f"per morphology, kernels compiled; first build {r['build_s']:.2f} s and first "
                     f"query {r['first_query_s']:.2f} s include numba compile or cache load"))
    return rows


if __name__ == "__main__":
    main(_worker, run)
