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
