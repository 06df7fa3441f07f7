"""3D animation of the hip through a motion (``hipsim animate``): pyvista, off screen.

The scene (:mod:`hipsim.scene`) is drawn in the pelvis frame: context pelvis and femur, the
high-resolution joint (femur moving), hip-crossing muscles coloured by activation, the hip
contact force as an arrow (12 mm per BW, from the head centre), the acetabular rim coloured by
its clearance to the femur with the closest-approach spot marked (red when the bones overlap),
and the cartilage coloured by DEA contact pressure. Written as MP4 (H.264 through
imageio-ffmpeg) or GIF, a temporary file renamed when complete.

Rendering needs no display: VTK falls back to EGL (or OSMesa) off screen.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import InputError
from .meshio import polydata
from .scene import nearest_clock

#: camera presets: direction from the focal point to the camera and view up (pelvis frame). The
#: anterior and lateral views frame the bones over the whole motion; the joint close-up looks down
#: on the anterosuperior rim (where cams impinge) from antero-latero-superior, femur see-through, no muscles.
CAMERAS = {
    "anterior": ((1.0, 0.05, 0.15), (0.0, 1.0, 0.0)),
    "lateral": ((0.1, 0.05, 1.0), (0.0, 1.0, 0.0)),
    "joint": ((0.55, 0.45, 0.7), (0.0, 1.0, 0.0)),
}
JOINT_VIEW_DISTANCE_MM = 170.0
VIEW_ANGLE_DEG = 30.0
DEFAULT_SIZE = (1280, 720)
FORMATS = (".mp4", ".gif")
BONE = (0.89, 0.85, 0.79)
ARROW_MM_PER_BW = 5.0
RIM_CLEARANCE_RANGE_MM = (0.0, 8.0)
CAM_HEIGHT_RANGE_MM = (0.0, 4.0)
CLOCK_HOURS = (12, 3, 6, 9)
CLOCK_LABEL_OFFSET = 0.12          # labels this fraction of the rim's radius outside it


def _clock_text(hour):
    """A clock position [h] as a teacher says it: '1:30', '12:00'."""
    minutes = int(round((hour % 12.0) * 60.0)) % 720
    h, m = divmod(minutes, 60)
    return f"{h or 12}:{m:02d}"


def _bar(title, x, y, view_px, fmt="%.0f"):
    """``scalar_bar_args`` of a horizontal colour bar 28 % of the view wide at (x, y), labelled
    at its two ends only (a middle label sits under the centred title), its fonts sized from the
    view's width (pixels ``view_px``: width, height) so that a title (up to ~24 characters) stays
    within its bar's width and never runs into the next bar, and the bar tall enough for title,
    labels and colours one above the other."""
    width, height = view_px
    font = _font(width, 9, 28)
    return {"title": title, "position_x": x, "position_y": y, "width": 0.28,
            "height": max(0.05, (3.0 * font + 10.0) / height), "color": "black",
            "n_labels": 2, "fmt": fmt, "title_font_size": font, "label_font_size": font,
            "unconstrained_font_size": True}


def _font(view_width_px, low, high):
    """A font size [pt] in proportion to the view's width, within [low, high]: at width / 52 a
    24-character title (~0.6 of the size per character) just fits a bar 28 % of the view wide."""
    return int(np.clip(view_width_px / 52.0, low, high))


def _cam_colours():
    """Bone colour at zero height, through magenta to deep purple at the top of the range: a hue
    no other layer uses (pressure blue, clearance red-yellow-green, contact orange/red)."""
    from matplotlib.colors import LinearSegmentedColormap
    return LinearSegmentedColormap.from_list("cam", [BONE, (0.9, 0.35, 0.8), (0.5, 0.0, 0.55)])


def _matrix(R, scale=1.0):
    m = np.eye(4)
    m[:3, :3] = R * scale
    return m


def _arrow_matrix(force_bw):
    """4x4 taking pyvista's unit +x arrow to the force: along it, ARROW_MM_PER_BW mm per BW."""
    length = float(np.linalg.norm(force_bw))
    m = np.eye(4)
    if length < 1e-9:
        m[:3, :3] *= 1e-6
        return m
    x = force_bw / length
    helper = np.array([0.0, 0.0, 1.0]) if abs(x[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    y = np.cross(helper, x)
    y /= np.linalg.norm(y)
    z = np.cross(x, y)
    m[:3, :3] = np.column_stack([x, y, z]) * ARROW_MM_PER_BW * length
    return m


def _headless():
    """With no X display, ask VTK for its EGL window straight away (instead of failing over to
    it with a warning on stderr)."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


class _Renderer:
    """The pyvista plotter and the actors that change per frame."""

    def __init__(self, scene, camera, size, plotter=None, panel=None, pressure_max=None):
        _headless()
        import pyvista as pv
        self.scene = scene
        if plotter is None:
            pl = pv.Plotter(off_screen=True, window_size=list(size))
        elif panel is not None:                 # one hip of a side-by-side comparison
            pl = plotter
            pl.subplot(0, panel)
        else:                                   # the viewer redraws a new hip in its own window
            pl = plotter
            pl.clear()
        pl.set_background("white")
        if panel is not None:
            size = (size[0] // 2, size[1])      # each panel's share of the window: camera and fonts
        self.size = size
        for v, f in scene.context_pelvis:
            pl.add_mesh(polydata(v, f), color=BONE, smooth_shading=True, opacity=0.35)
        self.femur_context = pl.add_mesh(polydata(*scene.context_femur), color=BONE, smooth_shading=True,
                                         opacity=0.35)
        from .morphology import FEMUR_REGIONS
        head = np.asarray(scene.femur.face_region) == FEMUR_REGIONS["head"]
        close = camera == "joint"
        # the articular head see-through in the close-up (the cartilage map shows through it); the
        # rest of the femur solid, its head-neck junction coloured by the cam's height
        head_mesh = polydata(scene.femur.vertices, scene.femur.faces[head])
        neck_mesh = polydata(scene.femur.vertices, scene.femur.faces[~head])
        neck_mesh.point_data["cam height [mm]"] = scene.cam_height
        self.femur_parts = [
            pl.add_mesh(head_mesh, color=BONE, smooth_shading=True, opacity=0.2 if close else 1.0),
            pl.add_mesh(neck_mesh, scalars="cam height [mm]", cmap=_cam_colours(), clim=CAM_HEIGHT_RANGE_MM,
                        smooth_shading=True, show_scalar_bar=close and panel in (None, 1),   # the joint's own scale
                        scalar_bar_args=_bar("cam height [mm]", 0.69, 0.03, size))]
        acetabulum = scene.acetabulum
        keep = np.setdiff1d(np.arange(len(acetabulum.faces)), scene.cartilage_faces)
        pl.add_mesh(polydata(acetabulum.vertices, acetabulum.faces[keep]), color=BONE, smooth_shading=True)
        self.cartilage = polydata(acetabulum.vertices, acetabulum.faces[scene.cartilage_faces])
        self.cartilage.cell_data["pressure [MPa]"] = scene.pressure[0]
        pmax = max(float(np.nanmax(scene.pressure)) if pressure_max is None else pressure_max, 1e-6)
        pl.add_mesh(self.cartilage, scalars="pressure [MPa]", cmap="Blues", clim=(0.0, pmax),
                    show_scalar_bar=panel in (None, 0),
                    scalar_bar_args=_bar("cartilage pressure [MPa]", 0.03, 0.03, size))
        from scipy.spatial import cKDTree
        self.rim = pv.lines_from_points(np.vstack([scene.rim_points, scene.rim_points[:1]])).tube(radius=1.0)
        self.rim_index = cKDTree(scene.rim_points).query(np.asarray(self.rim.points))[1]   # tube point -> rim point
        self.rim.point_data["rim clearance [mm]"] = scene.rim_clearance[0][self.rim_index]
        pl.add_mesh(self.rim, scalars="rim clearance [mm]", cmap="RdYlGn",
                    clim=RIM_CLEARANCE_RANGE_MM, show_scalar_bar=panel in (None, 0),
                    scalar_bar_args=_bar("rim clearance [mm]", 0.36, 0.03, size))
        self.spot = pl.add_mesh(pv.Sphere(radius=3.0, center=(0.0, 0.0, 0.0)), color="orange", lighting=False)
        # the clock face on the rim (12 superior, 3 anterior for a right hip), set a little outside
        # it; in the close-up only (in the whole-leg views the joint is too small to label)
        hours = nearest_clock(scene.rim_clock, np.array(CLOCK_HOURS, float))
        outward = scene.rim_points[hours] * (1.0 + CLOCK_LABEL_OFFSET)
        self.clock_labels = None if not close else pl.add_point_labels(outward, [f"{h}" for h in CLOCK_HOURS], font_size=_font(size[0], 10, 28),
                                                text_color="black", point_size=0, shape=None, show_points=False,
                                                always_visible=False, bold=True)   # hidden behind bone
        pl.add_axes(xlabel="anterior", ylabel="superior", zlabel="lateral", line_width=2, color="black",
                    viewport=(0.0, 0.12, 0.2, 0.42) if panel is None else (0.0, 0.12, 0.3, 0.42))
        self.muscles = None
        if camera != "joint":
            self._add_muscles(pl, scene)
        self.arrow = pl.add_mesh(pv.Arrow(start=(0, 0, 0), direction=(1, 0, 0), scale=1.0, tip_length=0.25,
                                          tip_radius=0.08, shaft_radius=0.03), color="royalblue")
        self.text = pl.add_text("", position="upper_left", font_size=11 if panel is None else 9, color="black")
        direction, up = CAMERAS[camera]
        direction = np.asarray(direction, float) / np.linalg.norm(direction)
        if camera == "joint":
            focal, distance = np.zeros(3), JOINT_VIEW_DISTANCE_MM
        else:
            focal, distance = _framing(scene, size)
        pl.camera.view_angle = VIEW_ANGLE_DEG
        pl.camera_position = [tuple(focal + distance * direction), tuple(focal), up]
        self.plotter = pl

    def _add_muscles(self, pl, scene):
        import pyvista as pv
        sizes = [len(p[0]) for p in scene.muscle_points]
        starts = np.cumsum([0] + sizes[:-1])
        lines = np.concatenate([np.concatenate([[k], np.arange(k) + o]) for k, o in zip(sizes, starts)])
        self.muscles = pv.PolyData(np.concatenate([p[0] for p in scene.muscle_points]), lines=lines)
        self.muscles.cell_data["activation"] = scene.activation[0]
        pl.add_mesh(self.muscles, scalars="activation", cmap="Reds", clim=(0.0, 1.0), line_width=4,
                    scalar_bar_args=_bar("muscle activation", 0.69, 0.2, self.size, "%.1f"))

    def update(self, i, render=True):
        """Move the scene to frame ``i``; ``render=False`` leaves the drawing to the caller (a
        movie's ``write_frame`` renders once itself)."""
        s = self.scene
        R = s.femur_rotation[i]
        for part in self.femur_parts:
            part.user_matrix = _matrix(R)
        self.femur_context.user_matrix = _matrix(R)
        self.cartilage.cell_data["pressure [MPa]"] = s.pressure[i]
        self.rim.point_data["rim clearance [mm]"] = s.rim_clearance[i][self.rim_index]
        spot = _matrix(np.eye(3))
        spot[:3, 3] = s.rim_points[s.spot[i]]
        self.spot.user_matrix = spot
        self.spot.prop.color = "red" if s.clearance[i] < 0 else "orange"
        if self.muscles is not None:
            self.muscles.points = np.concatenate([p[i] for p in s.muscle_points])
            self.muscles.cell_data["activation"] = s.activation[i]
        self.arrow.user_matrix = _arrow_matrix(s.contact_force_bw[i])
        self.text.set_text("upper_left", f"{s.title}\n{s.phase[i]:5.1f} % of the cycle\n"
                                         f"hip contact force {np.linalg.norm(s.contact_force_bw[i]):4.2f} BW\n"
                                         f"clearance {s.clearance[i]:5.2f} mm at {_clock_text(s.rim_clock[s.spot[i]])}\n"
                                         f"peak cartilage pressure {s.peak_pressure[i]:4.1f} MPa")
        if render:
            self.plotter.render()


def _framing(scene, size):
    """(focal point, distance) [mm] that keep the pelvis and the femur in view over the whole motion."""
    femur = scene.context_femur[0]
    moved = np.einsum("fij,kj->fki", scene.femur_rotation, femur).reshape(-1, 3)
    points = np.concatenate([moved, *[v for v, _ in scene.context_pelvis]])
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, radius = (lo + hi) / 2.0, float(np.linalg.norm(hi - lo)) / 2.0
    aspect = min(1.0, size[0] / size[1])
    return centre, 1.05 * radius / np.tan(np.deg2rad(VIEW_ANGLE_DEG) / 2.0) / aspect


def check_camera(camera):
    """InputError unless ``camera`` is one of :data:`CAMERAS`."""
    if camera not in CAMERAS:
        raise InputError("--camera", f"unknown preset {camera!r} (known: {', '.join(CAMERAS)})")


def check_output(path):
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(str(path), "the animation must end in .mp4 or .gif")
    if not path.parent.is_dir():
        raise InputError(str(path), f"folder {path.parent} does not exist")
    return path


def animate(config_or_result, output, camera="joint", size=DEFAULT_SIZE, fps=20, progress=None, overrides=None):
    """Write the animation of a config or run result to ``output`` (.mp4 or .gif; MP4 sizes are
    rounded up to multiples of 16 pixels, as H.264 needs); returns the number of frames written.

    ``config_or_result`` may be a list of two: the hips are drawn side by side in one picture of
    ``size``, frame for frame, on the same pressure and clearance scales (they must have the
    same number of frames). ``overrides`` (``--set`` strings or a dict) apply to every hip."""
    output = check_output(output)
    check_camera(camera)
    if len(size) != 2 or min(size) < 64 or max(size) > 4096:
        raise InputError("--size", f"width and height must be 64-4096 pixels, got {size}")
    if not 1 <= fps <= 120:
        raise InputError("--fps", f"must be 1-120, got {fps}")
    if output.suffix.lower() == ".mp4":
        size = tuple(-(-int(v) // 16) * 16 for v in size)     # H.264 macro blocks: multiples of 16
    from .scene import scene_for
    sources = list(config_or_result) if isinstance(config_or_result, (list, tuple)) else [config_or_result]
    if not 1 <= len(sources) <= 2:
        raise InputError("CONFIG_OR_RESULT", f"animate takes one hip or two to compare, got {len(sources)}")
    from .scene import load_source
    frames = [load_source(source, overrides=overrides).activity.frames for source in sources]
    if len(set(frames)) > 1:                  # checked before anything is run
        raise InputError("CONFIG_OR_RESULT", "the two hips must have the same number of frames "
                                             f"(got {', '.join(map(str, frames))}); set activity.frames")
    scenes = [scene_for(source, overrides) for source in sources]
    return render(scenes if len(scenes) > 1 else scenes[0], output, camera, size, fps, progress)


def renderers_for(scenes, camera, size):
    """One :class:`_Renderer` per scene in one off-screen plotter of ``size`` (side by side
    when there are two, the cartilage pressure on one scale)."""
    if len(scenes) == 1:
        return [_Renderer(scenes[0], camera, size)]
    import pyvista as pv
    _headless()
    plotter = pv.Plotter(off_screen=True, window_size=list(size), shape=(1, len(scenes)), border=False)
    pmax = max(float(np.nanmax(sc.pressure)) for sc in scenes)
    return [_Renderer(sc, camera, size, plotter, panel=k, pressure_max=pmax) for k, sc in enumerate(scenes)]


def render(scene, output, camera="joint", size=DEFAULT_SIZE, fps=20, progress=None):
    """Render a :class:`hipsim.scene.Scene`, or a list of two side by side, into ``output``
    (checked path)."""
    from tqdm.auto import tqdm
    scenes = scene if isinstance(scene, (list, tuple)) else [scene]
    renderers = renderers_for(scenes, camera, size)
    scene = scenes[0]
    renderer = renderers[0]
    tmp = output.with_name(f".{output.stem}.part{output.suffix}")
    pl = renderer.plotter
    try:
        if output.suffix.lower() == ".gif":
            pl.open_gif(str(tmp), fps=fps)
        else:
            pl.open_movie(str(tmp), framerate=fps, quality=7)
        n = len(scene.phase)
        for i in tqdm(range(n), unit="frame", desc="animate", disable=None if progress is None else not progress):
            for r in renderers:
                r.update(i, render=False)
            pl.write_frame()
        pl.close()
        os.replace(tmp, output)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n
