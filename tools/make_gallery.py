#!/usr/bin/env python
"""Make the README gallery (``docs/gallery/``) with hipsim itself: ``python tools/make_gallery.py``.

Every picture comes from the command line or the public API on shipped configs; nothing is
drawn by hand. About two minutes on two cores.
"""
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "gallery"
CONFIGS = ROOT / "configs"


def cli(*args):
    from hipsim.cli import main
    code = main([str(a) for a in args])
    if code != 0:
        raise SystemExit(f"hipsim {' '.join(map(str, args))} failed ({code})")


def stills(path, configs, camera="joint", size=(640, 480), at="clearance"):
    """Side-by-side stills of several configs, each at its frame of smallest clearance (``at``
    "clearance") or of highest cartilage pressure ("pressure")."""
    from PIL import Image

    from hipsim.animate import _Renderer
    from hipsim.scene import scene_for
    images = []
    for config in configs:
        scene = scene_for(config)
        renderer = _Renderer(scene, camera, size)
        renderer.update(int(np.argmin(scene.clearance) if at == "clearance" else np.argmax(scene.peak_pressure)))
        images.append(Image.fromarray(renderer.plotter.screenshot(return_img=True)))
        renderer.plotter.close()
    canvas = Image.new("RGB", (size[0] * len(images), size[1]), "white")
    for k, image in enumerate(images):
        canvas.paste(image, (k * size[0], 0))
    canvas.save(path)


def side_by_side_still(path, configs, frame, camera="joint", size=(1280, 720)):
    """One frame of ``hipsim animate A B``: two hips side by side on one pressure scale."""
    from hipsim.animate import renderers_for
    from hipsim.scene import scene_for
    renderers = renderers_for([scene_for(c) for c in configs], camera, size)
    for renderer in renderers:
        renderer.update(frame, render=False)
    renderers[0].plotter.screenshot(str(path))
    renderers[0].plotter.close()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # cam vs normal in FADIR: stills and an animation
        side_by_side_still(OUT / "fadir_normal_vs_cam.png",
                           [{"activity": {"kind": "fadir", "frames": 41}},
                            {"activity": {"kind": "fadir", "frames": 41},
                             "morphology": {"alpha_angle_deg": 78.0, "cam_clock": 3.0}}], frame=20)
        cam = tmp / "fadir_cam.yaml"
        cam.write_text("activity: {kind: fadir, frames: 41}\nmorphology: {alpha_angle_deg: 90.0}\n")
        cli("animate", cam, "-o", OUT / "fadir_cam.gif", "--size", "480x360", "--fps", "10")
        # running with a cam: the run plot
        cli("run", CONFIGS / "running.yaml", "--set", "morphology.alpha_angle_deg=65", "-o", tmp / "run.nc")
        cli("plot", tmp / "run.nc", "-o", OUT / "running_cam_plot.png")
        # weak gluteals x cadence: a sweep heat map of the peak force on the greater trochanter
        sweep = tmp / "glut_cadence.yaml"
        sweep.write_text("activity: {kind: running, speed_m_s: 3.5}\nsweep:\n  axes:\n"
                         "    strength.gluteus_medius: [0.5, 0.75, 1.0]\n"
                         "    form.cadence_change_pct: [-10.0, 0.0, 10.0]\n")
        cli("sweep", sweep, "-o", tmp / "glut_cadence.zarr", "--workers", "2")
        cli("plot", tmp / "glut_cadence.zarr", "--variable", "trochanteric_compression",
            "-o", OUT / "weak_gluteals_cadence_trochanter.png")
        # dysplasia: cartilage pressure in walking, normal vs LCEA 15
        stills(OUT / "walking_pressure_normal_vs_dysplasia.png",
               [{"activity": {"kind": "walking"}, "morphology": {"lce_angle_deg": lcea}} for lcea in (30.0, 15.0)],
               at="pressure")
        # range of motion: internal rotation against flexion as the cam grows
        roms = []
        for alpha in (42, 60, 75, 90):
            path = tmp / f"rom{alpha}.nc"
            cli("rom", "--set", f"morphology.alpha_angle_deg={alpha}", "--set", "rom.flexion_step_deg=10", "-o", path)
            roms.append(path)
        cli("plot", *roms, "-o", OUT / "rom_alpha.png")
    print(f"gallery written to {OUT}")


if __name__ == "__main__":
    sys.exit(main())
