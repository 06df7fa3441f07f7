"""The command line: exit codes, one-line errors, nothing half-written, results that reproduce."""
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
import yaml

from hipsim.cli import main

from conftest import reference_path


def _subject01_overrides():
    base = "opensim/gait2392_walk_SO_JR/"
    return ["--set", "activity.kind=walking",
            "--set", f"activity.motion_file={reference_path('opensim/gait2392_pipeline/subject01_walk1_ik.mot')}",
            "--set", f"activity.grf_file={reference_path(base + 'subject01_walk1_grf.mot')}",
            "--set", f"model.osim_file={reference_path(base + 'subject01_simbody_adjusted_StaticOp.osim')}",
            "--set", "subject.mass_kg=72.6", "--set", "activity.frames=41"]


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    return err[0]


@pytest.mark.parametrize("args, named", [
    (["--set", "strength.gluteus_maximum=0.5"], "strength.gluteus_maximum"),
    (["--set", "subject.mass_kg=-70"], "subject.mass_kg"),
    (["--set", "subject.mass_kg=nan"], "subject.mass_kg"),
    (["--set", "activity.frames=many"], "activity.frames"),
    (["--set", "activity.speed_m_s=7.0"], "activity.speed_m_s"),
    (["--set", "activity.kind=walking", "--set", "activity.speed_m_s=3.0"], "activity.speed_m_s"),
    (["--set", "activity.motion_file=/nonexistent.mot"], "activity.motion_file"),
    (["/nonexistent/config.yaml"], "/nonexistent/config.yaml"),
    (["-o", "/nonexistent/folder/out.nc"], "/nonexistent/folder/out.nc"),
    (["-o", "result.txt"], "result.txt"),
])
def test_bad_input_exits_2_with_one_error_line(tmp_path, monkeypatch, capsys, args, named):
    monkeypatch.chdir(tmp_path)
    code = main(["run"] + args)
    assert code == 2
    assert named in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def _broken_copy(tmp_path, source, edit):
    lines = source.read_text().splitlines()
    path = tmp_path / source.name
    path.write_text("\n".join(edit(lines)) + "\n")
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda lines: [l.replace("hip_adduction_r", "hip_abduction_r") for l in lines], "missing coordinate columns"),
    (lambda lines: lines[:40] + [lines[40][: len(lines[40]) // 2]], "truncated"),
])
def test_broken_motion_file(tmp_path, monkeypatch, capsys, edit, message):
    motion = _broken_copy(tmp_path, reference_path("opensim/gait2392_pipeline/subject01_walk1_ik.mot"), edit)
    monkeypatch.chdir(tmp_path)
    args = _subject01_overrides()
    args[args.index(next(a for a in args if a.startswith("activity.motion_file")))] = f"activity.motion_file={motion}"
    assert main(["run", "-o", "out.nc"] + args) == 2
    line = _error_line(capsys)
    assert str(motion) in line and message in line
    assert not (tmp_path / "out.nc").exists()


def test_run_writes_a_result_that_reproduces_itself(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "-o", "first.nc"] + _subject01_overrides()) == 0
    first = xr.load_dataset(tmp_path / "first.nc")
    (tmp_path / "again.yaml").write_text(first.attrs["config"])
    assert main(["run", str(tmp_path / "again.yaml"), "-o", "second.nc"]) == 0
    second = xr.load_dataset(tmp_path / "second.nc")
    np.testing.assert_array_equal(first["hip_contact_force"].values, second["hip_contact_force"].values)
    assert yaml.safe_load(first.attrs["config"])["subject"]["mass_kg"] == 72.6
    for name, var in first.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_console_script_reports_errors_without_traceback(tmp_path):
    exe = [sys.executable, "-m", "hipsim.cli"]
    result = subprocess.run(exe + ["run", "--set", "bogus.key=1"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("error: bogus") and "Traceback" not in result.stderr


@pytest.mark.slow          # 78 s of a 101-frame movie; `make demo` is run from a clean clone at every stop
def test_demo_prints_a_summary_and_writes_its_result(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "peak hip contact force [BW]" in out and "running at 3.50 m/s" in out
    ds = xr.load_dataset(tmp_path / "hipsim-demo" / "result.nc")
    assert ds.attrs["activity"] == "running" and ds.sizes["frame"] == 101
    import imageio
    with imageio.get_reader(tmp_path / "hipsim-demo" / "hip.mp4") as video:
        assert video.count_frames() == 101 and tuple(video.get_meta_data()["size"]) == (1024, 576)
    assert (tmp_path / "hipsim-demo" / "result.png").stat().st_size > 50_000


@pytest.mark.parametrize("config", ["walking", "running", "sprinting"])
def test_shipped_configs_run_from_the_command_line(tmp_path, capsys, config):
    from conftest import ROOT
    out = tmp_path / f"{config}.nc"
    assert main(["run", str(ROOT / "configs" / f"{config}.yaml"), "-o", str(out)]) == 0
    ds = xr.load_dataset(out)
    assert ds.attrs["activity"] == config
    assert np.all(np.isfinite(ds["hip_contact_force"].values))
    stance = ds["grf"].sel(lab_axis="superior").values > 0.5
    assert (ds["hip_contact_force"].sel(axis="superior").values[stance] > 0.5).all()


def test_rom_writes_the_contract_variables(tmp_path, capsys):
    out = tmp_path / "rom.nc"
    args = ["rom", "--set", "rom.flexion_start_deg=80", "--set", "rom.flexion_stop_deg=90", "-o", str(out)]
    assert main(args) == 0
    ds = xr.load_dataset(out)
    for name in ("max_internal_rotation", "max_external_rotation", "max_flexion", "limit_clock"):
        assert name in ds
    assert list(ds["flexion"].values) == [80.0, 85.0, 90.0]
    assert "config" in ds.attrs
    import hipsim                                   # the Python function gives the same numbers
    same = hipsim.range_of_motion({"rom": {"flexion_start_deg": 80.0, "flexion_stop_deg": 90.0}})
    np.testing.assert_array_equal(same["max_internal_rotation"].values, ds["max_internal_rotation"].values)


@pytest.mark.parametrize("fmt", ["stl", "ply", "vtk"])
def test_mesh_command_writes_both_bones(tmp_path, capsys, fmt):
    assert main(["mesh", "-o", str(tmp_path / "m"), "--format", fmt]) == 0
    assert len(list((tmp_path / "m").glob(f"*.{fmt}"))) == 2


@pytest.mark.parametrize("override, key", [("morphology.alpha_angle_deg=150", "morphology.alpha_angle_deg"),
                                           ("morphology.lce_angle_deg=-40", "morphology.lce_angle_deg")])
def test_impossible_morphology_exits_2(tmp_path, capsys, override, key):
    assert main(["mesh", "-o", str(tmp_path / "m"), "--set", override]) == 2
    assert key in _error_line(capsys)
    assert not (tmp_path / "m").exists()


def test_a_first_run_says_it_is_compiling(tmp_path, monkeypatch, capsys):
    """Kernels live in the user's cache folder; with none compiled there a computing command
    first says it is compiling (and where), later ones do not."""
    import hipsim._numba as nb
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    assert nb.kernel_cache_dir() == str(tmp_path / "numba") and not nb.kernels_cached()
    assert main(["export", str(tmp_path / "none.nc"), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("hipsim: compiling") and str(tmp_path / "numba") in err[0]
    assert err[1].startswith("error: ")
    folder = tmp_path / "numba" / "_kernels_0"
    folder.mkdir(parents=True)
    (folder / "static_opt.solve_frames-300.py311.nbi").write_bytes(b"")
    assert nb.kernels_cached()
    assert main(["export", str(tmp_path / "none.nc"), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.parametrize("case", ["garbage_xml", "xml_without_right_foot", "xml_missing_datafile",
                                  "garbage_c3d", "c3d_without_plates"])
def test_bad_trial_files_exit_2_naming_the_file_or_key(tmp_path, monkeypatch, capsys, case):
    """Broken ExternalLoads XML and C3D files: one error line naming the file (or the key that is
    missing), exit 2, no result file."""
    monkeypatch.chdir(tmp_path)
    motion = reference_path("opensim/gait2392_pipeline/subject01_walk1_ik.mot")
    xml = tmp_path / "loads.xml"
    c3d = tmp_path / "trial.c3d"
    args = ["--set", "activity.kind=walking", "--set", f"activity.motion_file={motion}"]
    if case == "garbage_xml":
        xml.write_text("<ExternalLoads><unclosed>")
        args += ["--set", f"activity.external_loads={xml}"]
        named = str(xml)
    elif case == "xml_without_right_foot":
        xml.write_text("<OpenSimDocument><ExternalLoads><objects><ExternalForce name='l'><applied_to_body>"
                       "calcn_l</applied_to_body></ExternalForce></objects></ExternalLoads></OpenSimDocument>")
        args += ["--set", f"activity.external_loads={xml}"]
        named = str(xml)
    elif case == "xml_missing_datafile":
        xml.write_text("<OpenSimDocument><ExternalLoads><objects><ExternalForce name='r'><applied_to_body>calcn_r"
                       "</applied_to_body><force_identifier>ground_force_r_v</force_identifier><point_identifier>"
                       "ground_force_r_p</point_identifier></ExternalForce></objects><datafile>gone.mot</datafile>"
                       "</ExternalLoads></OpenSimDocument>")
        args += ["--set", f"activity.external_loads={xml}"]
        named = str(xml)
    elif case == "garbage_c3d":
        c3d.write_bytes(b"\x02\x50" + bytes(range(256)) * 4)
        args += ["--set", f"activity.grf_file={c3d}", "--set", "activity.c3d_right_plates=[1]"]
        named = str(c3d)
    else:
        c3d.write_bytes(b"\x02\x50")
        args += ["--set", f"activity.grf_file={c3d}"]
        named = "activity.c3d_right_plates"
    assert main(["run", *args, "-o", "out.nc"]) == 2
    assert named in _error_line(capsys)
    assert not (tmp_path / "out.nc").exists()
