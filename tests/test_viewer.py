"""The interactive viewer (issue 7): the trame app's reactions, headless, and the page it serves."""
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from hipsim import InputError, load_config
from hipsim.cli import main

pytest.importorskip("trame")

FADIR = {"activity": {"kind": "fadir", "frames": 21}, "cartilage": {"pressure_map": True}}


def _contact_red(img):
    top = img[: int(img.shape[0] * 0.75)].astype(int)
    return int(((top[..., 0] > 120) & (top[..., 1] < 50) & (top[..., 2] < 50)).sum())


def test_the_slider_scrubs_the_cycle_and_the_hip_changes_live():
    from hipsim.viewer import Viewer, build_app
    viewer = Viewer(load_config(FADIR), size=(320, 240))
    server = build_app(viewer, server_name="hipsim-view-test")
    state = server.state
    state.ready()
    first = viewer.screenshot()
    state.frame = 20                                       # end of FADIR: flexed, adducted, rotated in
    state.flush()
    assert viewer.frame == 20 and not np.array_equal(viewer.screenshot(), first)
    normal_red = _contact_red(viewer.screenshot())         # normal hip: close to the rim (~1 mm), clear
    assert viewer.renderer.scene.clearance[20] > 0
    state.alpha = 90.0
    state.flush()
    assert viewer.config.morphology.alpha_angle_deg == 90.0 and viewer.frame == 20
    assert viewer.renderer.scene.clearance[20] < 0 and _contact_red(viewer.screenshot()) > 10 * max(normal_red, 5)
    state.lcea = 18.0
    state.flush()
    assert viewer.config.morphology.lce_angle_deg == 18.0 and state.message == ""
    with pytest.raises(InputError):
        viewer.set_shape(alpha_angle_deg=150.0)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_view_serves_its_page_and_refuses_bad_options(tmp_path, capsys):
    import yaml
    config = tmp_path / "f.yaml"
    config.write_text(yaml.safe_dump({"activity": {"kind": "fadir", "frames": 11}}))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hipsim.cli", "view", str(config), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        page, deadline = None, time.time() + 240
        while page is None and time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
            except OSError:
                time.sleep(0.5)
        assert page is not None, proc.stderr.read().decode() if proc.poll() is not None else "no page"
        assert "trame" in page and "<html" in page
    finally:
        proc.terminate()
        proc.wait(30)
    for args in (["--port", "0"], ["--camera", "top"]):
        assert main(["view", str(config), *args]) == 2
        assert capsys.readouterr().err.startswith("error: ")
    assert main(["view", str(tmp_path / "missing.nc")]) == 2
