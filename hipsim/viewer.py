"""Interactive viewer (``hipsim view``): a local web page (trame) with the animation's 3D scene,
a slider to scrub the cycle, and sliders that change the alpha angle and the LCEA live.

The page is served by a trame server on this machine (``--port``, default 8080, loopback only
unless ``--host`` says otherwise); the scene is rendered on the server off screen, as in
``hipsim animate``, and streamed to the browser as images, so no local OpenGL is needed in the
browser and none on a headless server. A new hip shape re-runs the motion on that hip (the
first time a shape is seen: about 50 ms to deform the bones, then the motion; shapes seen before
come from the per-process caches).
"""
from __future__ import annotations

import math

from .errors import InputError

ALPHA_RANGE_DEG = (40.0, 90.0)
LCEA_RANGE_DEG = (15.0, 60.0)


class Viewer:
    """The viewer's state and its reactions, independent of the web page (tested directly).

    Parameters
    ----------
    config : Config of the motion and the starting hip
    camera : a preset of :data:`hipsim.animate.CAMERAS`
    size : (width, height) of the rendered view [px]
    """

    def __init__(self, config, camera="joint", size=(960, 720)):
        from .animate import _Renderer, check_camera
        check_camera(camera)
        self.config, self.camera, self.size = config, camera, tuple(size)
        self.frame = 0
        self.renderer = _Renderer(self._scene(config), camera, self.size)
        self.renderer.update(0)

    @staticmethod
    def _scene(config):
        from .scene import scene_for
        return scene_for(config)

    @property
    def plotter(self):
        return self.renderer.plotter

    @property
    def n_frames(self):
        return len(self.renderer.scene.phase)

    def show_frame(self, frame):
        """Draw frame ``frame`` (clipped to the cycle)."""
        self.frame = int(min(max(int(frame), 0), self.n_frames - 1))
        self.renderer.update(self.frame)

    def set_shape(self, alpha_angle_deg=None, lce_angle_deg=None):
        """Re-run the motion on a hip with another alpha angle and / or LCEA and redraw it at the
        current frame; InputError for values outside the sliders' ranges or shapes the bones
        cannot take."""
        from .animate import _Renderer
        from .config import load_config
        tree = self.config.to_dict()
        for key, value, (lo, hi) in (("alpha_angle_deg", alpha_angle_deg, ALPHA_RANGE_DEG),
                                     ("lce_angle_deg", lce_angle_deg, LCEA_RANGE_DEG)):
            if value is None:
                continue
            if not lo <= float(value) <= hi:
                raise InputError(f"morphology.{key}", f"the viewer takes {lo:g}-{hi:g} deg, got {value}")
            tree["morphology"][key] = float(value)
        self.config = load_config(tree)
        self.renderer = _Renderer(self._scene(self.config), self.camera, self.size, plotter=self.plotter)
        self.show_frame(self.frame)

    def screenshot(self):
        """The current view as an (height, width, 3) uint8 array."""
        return self.plotter.screenshot(return_img=True)


def build_app(viewer, server_name="hipsim-view"):
    """The trame server of a :class:`Viewer` (not started)."""
    from trame.app import get_server
    from trame.ui.vuetify3 import SinglePageLayout
    from trame.widgets import vtk as vtk_widgets
    from trame.widgets import vuetify3 as v3

    server = get_server(server_name, client_type="vue3")
    state, ctrl = server.state, server.controller
    from .hip_models import measured_morphology
    measured = measured_morphology(viewer.config.morphology)
    # a cam only adds bone: the alpha slider starts at the femur's own alpha angle
    alpha_min = max(ALPHA_RANGE_DEG[0], math.ceil(measured["alpha_angle_deg"]))
    shown = {"alpha": round(measured["alpha_angle_deg"]), "lcea": round(measured["lce_angle_deg"])}
    state.update({"frame": 0, **shown, "busy": False, "message": ""})

    @state.change("frame")
    def _frame(frame, **_):
        viewer.show_frame(frame)
        ctrl.view_update()

    @state.change("alpha", "lcea")
    def _shape(alpha, lcea, **_):
        if (alpha, lcea) == (shown["alpha"], shown["lcea"]):
            return
        # only what the user moved: a rounded display value must not reshape the other
        changed = (alpha if alpha != shown["alpha"] else None, lcea if lcea != shown["lcea"] else None)
        shown.update(alpha=alpha, lcea=lcea)
        state.busy = True
        try:
            viewer.set_shape(*changed)
            state.message = ""
        except InputError as exc:
            state.message = str(exc)
        state.busy = False
        ctrl.view_update()

    with SinglePageLayout(server) as layout:
        layout.title.set_text("hipsim: hip through the motion")
        with layout.toolbar:
            v3.VSpacer()
            v3.VSlider(v_model=("frame", 0), min=0, max=viewer.n_frames - 1, step=1, label="frame",
                       hide_details=True, density="compact", style="max-width: 320px")
            v3.VSlider(v_model=("alpha", state.alpha), min=alpha_min, max=ALPHA_RANGE_DEG[1], step=1,
                       label="alpha [deg]", hide_details=True, density="compact", style="max-width: 240px",
                       disabled=("busy",))
            v3.VSlider(v_model=("lcea", state.lcea), min=LCEA_RANGE_DEG[0], max=LCEA_RANGE_DEG[1], step=1,
                       label="LCEA [deg]", hide_details=True, density="compact", style="max-width: 240px",
                       disabled=("busy",))
        with layout.content:
            with v3.VContainer(fluid=True, classes="pa-0 fill-height"):
                view = vtk_widgets.VtkRemoteView(viewer.plotter.render_window, interactive_ratio=1)
                ctrl.view_update = view.update
    return server


def view(config_or_result, host="127.0.0.1", port=8080, camera="joint", open_browser=False, overrides=None):
    """Serve the viewer until interrupted; ``overrides`` (``--set`` strings or a dict) apply on
    top of the config (or the result's stored config)."""
    from .scene import load_source
    viewer = Viewer(load_source(config_or_result, overrides=overrides), camera)
    server = build_app(viewer)
    print(f"hipsim view: http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    server.start(host=host, port=port, open_browser=open_browser, show_connection_info=False)
