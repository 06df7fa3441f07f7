"""Pictures (issue 7): plots of runs, sweeps and rom results, and the 3D animation, checked by
their pixels and frame counts, rendered with no display."""
import numpy as np
import pytest
import xarray as xr
import yaml
from PIL import Image

from hipsim.cli import main

FADIR = {"activity": {"kind": "fadir", "frames": 21}}


def _image(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=int)


def _not_blank(img):
    return img.std() > 20 and (img < 200).mean() > 0.02


def _write(tmp_path, name, tree):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(tree))
    return path


def test_plots_of_a_run_a_sweep_and_rom_results(tmp_path, capsys):
    walk = _write(tmp_path, "walk.yaml", {"activity": {"kind": "walking", "frames": 41}})
    assert main(["run", str(walk), "-o", str(tmp_path / "walk.nc")]) == 0
    assert main(["plot", str(tmp_path / "walk.nc"), "-o", str(tmp_path / "walk.png")]) == 0
    img = _image(tmp_path / "walk.png")
    assert img.shape == (900, 1320, 3) and _not_blank(img)
    band = (np.abs(img[..., 0] - 250) < 8) & (np.abs(img[..., 1] - 218) < 10) & (np.abs(img[..., 2] - 218) < 10)
    assert band.sum() > 500                                   # the in-vivo band is drawn (light red)

    sweep = _write(tmp_path, "sweep.yaml", {"activity": {"kind": "walking", "frames": 21}, "sweep": {"axes": {
        "strength.gluteus_medius": [0.6, 1.0], "subject.mass_kg": [60.0, 80.0]}}})
    assert main(["sweep", str(sweep), "-o", str(tmp_path / "s.zarr"), "--workers", "1"]) == 0
    assert main(["plot", str(tmp_path / "s.zarr"), "-o", str(tmp_path / "s.png")]) == 0
    assert _not_blank(_image(tmp_path / "s.png"))

    roms = []
    for alpha in ("null", 75):                      # the atlas femur's own alpha angle, and a cam
        out = tmp_path / f"rom{alpha}.nc"
        assert main(["rom", "--set", f"morphology.alpha_angle_deg={alpha}", "--set", "rom.flexion_step_deg=30",
                     "-o", str(out)]) == 0
        roms.append(str(out))
    assert main(["plot", *roms, "-o", str(tmp_path / "rom.png")]) == 0
    assert _not_blank(_image(tmp_path / "rom.png"))
    capsys.readouterr()
    (tmp_path / "corrupt.nc").write_text("not a result")
    for args in ([str(tmp_path / "missing.nc")], [str(tmp_path / "corrupt.nc")],
                 [str(tmp_path / "walk.nc"), "-o", str(tmp_path / "x.bmp")],
                 [str(tmp_path / "walk.nc"), roms[0]]):
        assert main(["plot", *args]) == 2
        assert capsys.readouterr().err.startswith("error: ")


def _contact_red(frame):
    """Pixels of the overlap colour (the red contact spot / the rim at zero clearance) above the
    colour bars."""
    top = frame[: int(frame.shape[0] * 0.75)]
    return int(((top[..., 0] > 120) & (top[..., 1] < 50) & (top[..., 2] < 50)).sum())


@pytest.fixture(scope="module")
def fadir_animations(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("anim")
    out = {}
    for alpha, suffix in ((90, "gif"), (None, "gif"), (90, "mp4")):
        config = _write(tmp, f"fadir{alpha}.yaml", {**FADIR, "morphology": {"alpha_angle_deg": alpha}})
        path = tmp / f"fadir{alpha}.{suffix}"
        assert main(["animate", str(config), "-o", str(path), "--size", "320x240", "--fps", "10"]) == 0
        out[(alpha, suffix)] = path
    return out


def test_animation_frames_size_and_the_contact_colour(fadir_animations):
    import imageio
    frames = {}
    for key in ((90, "gif"), (None, "gif")):
        with imageio.get_reader(fadir_animations[key]) as gif:
            frames[key] = [np.asarray(f)[..., :3].astype(int) for f in gif]
    assert len(frames[(90, "gif")]) == 21 and frames[(90, "gif")][0].shape == (240, 320, 3)
    assert all(_not_blank(f) for f in frames[(90, "gif")][::5])
    assert not np.array_equal(frames[(90, "gif")][0], frames[(90, "gif")][-1])           # the femur moves
    corner = frames[(90, "gif")][0][:60, :120]
    assert (corner.sum(axis=-1) < 150).sum() > 100                                        # the caption's text
    # the alpha-90 cam overlaps the rim at the end of FADIR (red spot / rim); the normal hip comes
    # within a millimetre (the rim's colour darkens) but never overlaps
    cam_red = _contact_red(frames[(90, "gif")][-1])
    assert cam_red > 30 and cam_red > 10 * max(_contact_red(f) for f in frames[(None, "gif")])
    with imageio.get_reader(fadir_animations[(90, "mp4")]) as video:
        assert video.count_frames() == 21 and tuple(video.get_meta_data()["size"]) == (320, 240)


def test_animate_from_a_result_and_bad_inputs(tmp_path, capsys):
    config = _write(tmp_path, "f.yaml", FADIR)
    result = tmp_path / "f.nc"
    assert main(["run", str(config), "-o", str(result)]) == 0
    assert main(["animate", str(result), "-o", str(tmp_path / "f.gif"), "--size", "160x120",
                 "--camera", "lateral"]) == 0
    capsys.readouterr()
    ds = xr.load_dataset(result)
    ds["hip_contact_force"] = ds["hip_contact_force"] * 1.5
    ds.to_netcdf(tmp_path / "edited.nc")
    (tmp_path / "corrupt.nc").write_text("garbage")
    for args, where in (([str(config), "--camera", "top"], "command line"),
                        ([str(tmp_path / "corrupt.nc")], "corrupt.nc"),
                        ([str(tmp_path / "missing.nc")], "missing.nc"),
                        ([str(tmp_path / "edited.nc")], "RESULT"),
                        ([str(config), "--size", "big"], "--size"),
                        ([str(config), "-o", str(tmp_path / "x.avi")], "x.avi")):
        out = args[-1] if args[-1].endswith(".avi") else str(tmp_path / "bad.gif")
        extra = [] if "-o" in args else ["-o", out]
        assert main(["animate", *args, *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and where in err
    assert not (tmp_path / "bad.gif").exists() and not list(tmp_path.glob(".*.part.*"))


def test_the_in_vivo_band_is_the_orthoload_data():
    from conftest import reference_path

    from hipsim.plots import ORTHOLOAD_WALKING_PEAKS_BW
    data = np.genfromtxt(reference_path("in_vivo/orthoload_level_walking_peak_hjf.csv"), delimiter=",",
                         names=True, dtype=None, encoding="utf-8")
    np.testing.assert_allclose(ORTHOLOAD_WALKING_PEAKS_BW, data["resultant_pctBW"] / 100.0, atol=5e-5)


def _cam_magenta(half):
    """Pixels of the cam colour (magenta to purple), above the colour bars."""
    top = half[: int(half.shape[0] * 0.75)]
    r, g, b = top[..., 0], top[..., 1], top[..., 2]
    return int(((r > 110) & (b > 110) & (g < 0.7 * np.minimum(r, b))).sum())


def test_two_hips_side_by_side_on_one_scale(tmp_path, capsys):
    """``hipsim animate A B``: one picture, two hips frame-locked; the cam hip's head-neck
    junction carries the cam colour, the atlas hip's none (its own bump is the reference); one
    --set reaches both; three hips, or unequal frame counts (before anything runs), are refused."""
    import imageio
    from hipsim import load_config
    from hipsim.hip_models import hip_geometry
    from hipsim.scene import cam_height
    normal = _write(tmp_path, "normal.yaml", {"activity": {"kind": "fadir", "frames": 21}})
    cam = _write(tmp_path, "cam.yaml", {"activity": {"kind": "fadir", "frames": 31},
                                        "morphology": {"alpha_angle_deg": 78.0, "cam_clock": 3.0}})
    out = tmp_path / "both.gif"
    capsys.readouterr()
    assert main(["animate", str(normal), str(cam), "-o", str(out)]) == 2       # refused before running
    assert "same number of frames" in capsys.readouterr().err
    assert main(["animate", str(normal), str(cam), "--set", "activity.frames=11", "-o", str(out),
                 "--size", "640x240", "--fps", "5"]) == 0
    with imageio.get_reader(out) as gif:
        frames = [np.asarray(f)[..., :3].astype(int) for f in gif]
    assert len(frames) == 11 and frames[0].shape == (240, 640, 3)
    middle = frames[5]
    left, right = middle[:, :320], middle[:, 320:]
    assert _not_blank(left) and _not_blank(right)
    magenta = (_cam_magenta(left), _cam_magenta(right))
    assert magenta[1] > 80 and magenta[1] > 5 * magenta[0], magenta
    for morphology, expected in (({}, (0.0, 0.0)), ({"alpha_angle_deg": 78.0, "cam_clock": 3.0}, (2.0, 4.5))):
        section = load_config({"morphology": morphology}).morphology
        height = cam_height(hip_geometry(section), hip_geometry(section.model_copy(update={"alpha_angle_deg": None})))
        assert expected[0] <= height.max() <= expected[1]
    assert main(["animate", str(normal), str(cam), str(cam), "-o", str(tmp_path / "x.gif")]) == 2
    assert not (tmp_path / "x.gif").exists()


def test_clock_positions_read_as_a_teacher_says_them():
    from hipsim.animate import _clock_text
    assert [_clock_text(h) for h in (0.0, 1.1667, 3.0, 11.99, 12.0, 13.5)] == \
        ["12:00", "1:10", "3:00", "11:59", "12:00", "1:30"]
