"""Pictures: the demo's wall time against its one-minute aim, and off-screen rendering speed.

Rows (see ``run``):

* ``hipsim demo`` in a fresh process with the numba cache warm (running cycle on a cam hip,
  summary, result.nc, plots and a 1024x576 MP4 of 101 frames) against the issue's aim of one
  minute after the first compile;
* animation frames per second at 1280x720 (joint view, MP4) against a still frame rendered to PNG
  by the same pyvista plotter in the same process (the encode and per-frame updates beside the
  bare render).
"""
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _worker import main, row, run_worker  # noqa: E402

DEMO_AIM_S = 60.0


def _worker(kind, payload):
    if kind != "render":
        raise SystemExit(f"unknown worker {kind}")
    import numpy as np

    from hipsim.animate import _Renderer, render
    from hipsim.scene import scene_for
    scene = scene_for({"activity": {"kind": "running", "speed_m_s": 3.5}, "morphology": {"alpha_angle_deg": 65.0}})
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        n = render(scene, Path(tmp) / "a.mp4", "joint", (1280, 720), 20, progress=False)
        video_s = time.perf_counter() - t0
        renderer = _Renderer(scene, "joint", (1280, 720))
        renderer.update(0)
        renderer.plotter.screenshot(str(Path(tmp) / "warm.png"))
        times = []
        for i in range(0, 101, 10):
            t0 = time.perf_counter()
            renderer.update(i)
            renderer.plotter.screenshot(str(Path(tmp) / "still.png"))
            times.append(time.perf_counter() - t0)
        renderer.plotter.close()
    print(json.dumps({"frames": n, "video_fps": n / video_s, "still_fps": 1.0 / float(np.median(times))}))


def run():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "hipsim.cli", "run", "-o", str(Path(tmp) / "warm.nc")],
                       check=True, capture_output=True)                    # numba cache warm
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hipsim.cli", "demo", "-o", str(Path(tmp) / "demo")],
                       check=True, capture_output=True)
        demo_s = time.perf_counter() - t0
    r = run_worker(__file__, ["render", "{}"], {}, pin=False)
    return [
        row("hipsim demo, fresh process, numba cache warm", demo_s, "s", DEMO_AIM_S, "s (aim)", demo_s / DEMO_AIM_S,
            f"aim < 1 min: {'met' if demo_s < DEMO_AIM_S else 'NOT met'}; summary, result.nc, plots, "
            "101-frame 1024x576 MP4"),
        row("animation, 1280x720 joint view, MP4", r["video_fps"], "frames/s", r["still_fps"],
            "frames/s (update + PNG still, same plotter)", r["video_fps"] / r["still_fps"],
            f"{r['frames']} frames; software OpenGL (EGL, llvmpipe) on the CPU"),
    ]


if __name__ == "__main__":
    main(_worker, run)
