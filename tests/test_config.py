import math

import pytest

from hipsim import InputError, load_config
from hipsim.config import parse_override

from conftest import ROOT


def test_defaults_match_contract():
    c = load_config()
    assert c.subject.mass_kg == 70.0 and c.activity.kind == "running" and c.activity.frames == 101
    assert c.morphology.alpha_angle_deg is None and c.cartilage.poisson_ratio == 0.45   # the bones' own
    assert c.strength.gluteus_medius == 1.0 and c.solver.activation_exponent == 2.0


@pytest.mark.parametrize("name", ["walking", "running", "sprinting", "defaults"])
def test_shipped_configs_load(name):
    assert load_config(ROOT / "configs" / f"{name}.yaml").activity.frames >= 11


def test_overrides_are_typed_yaml_values():
    c = load_config(None, ["strength.gluteus_medius=0.6", "activity.kind=walking", "activity.frames=51"])
    assert c.strength.gluteus_medius == 0.6 and c.activity.kind == "walking" and c.activity.frames == 51
    assert parse_override("activity.speed_m_s=null") == ("activity.speed_m_s", None)


def test_config_is_frozen():
    c = load_config()
    with pytest.raises(Exception):
        c.subject.mass_kg = 80.0


@pytest.mark.parametrize("override, key", [
    ("strength.glutes=0.5", "strength.glutes"),
    ("nonsense=1", "nonsense"),
    ("subject.mass_kg=-70", "subject.mass_kg"),
    ("subject.mass_kg=.nan", "subject.mass_kg"),
    ("subject.mass_kg=abc", "subject.mass_kg"),
    ("activity.frames=1.5", "activity.frames"),
    ("activity.kind=swimming", "activity.kind"),
    ("cartilage.poisson_ratio=0.5", "cartilage.poisson_ratio"),
    ("cartilage.thickness_mm=0", "cartilage.thickness_mm"),
    ("strength.gluteus_medius=-0.1", "strength.gluteus_medius"),
    ("activity.motion_file=missing.mot", "activity.motion_file"),
    ("form.overstride_m=0.5", "form.overstride_m"),
])
def test_bad_values_name_the_key(override, key):
    with pytest.raises(InputError) as exc:
        load_config(None, [override])
    assert exc.value.where == key


def test_bad_override_syntax():
    with pytest.raises(InputError):
        load_config(None, ["no_equals_sign"])


def test_yaml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("subject: {mass_kg: [unclosed\n")
    with pytest.raises(InputError) as exc:
        load_config(bad)
    assert str(bad) in exc.value.where
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(InputError):
        load_config(listy)


def test_yaml_is_loaded_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("subject: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(InputError):
        load_config(evil)


def test_paths_resolve_relative_to_the_config(tmp_path):
    (tmp_path / "trial").mkdir()
    motion = tmp_path / "trial" / "m.mot"
    grf = tmp_path / "trial" / "g.mot"
    motion.write_text("x")
    grf.write_text("x")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("activity: {kind: walking, motion_file: trial/m.mot, grf_file: trial/g.mot}\n")
    c = load_config(cfg)
    assert c.activity.motion_file == str(motion.resolve())
    assert not math.isnan(c.subject.mass_kg)


def test_grf_file_needs_motion_file(tmp_path):
    grf = tmp_path / "g.mot"
    grf.write_text("x")
    with pytest.raises(InputError) as exc:
        load_config({"activity": {"grf_file": str(grf)}})
    assert exc.value.where == "activity.grf_file"


def test_resolved_config_round_trips_through_yaml():
    import yaml
    c = load_config(None, ["strength.hamstrings=0.7"])
    again = load_config(yaml.safe_load(c.to_yaml()))
    assert again == c


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_validates(path):
    config = load_config(path)
    assert config.to_yaml()


@pytest.mark.parametrize("activity, key", [
    ({"motion_file": "M"}, "activity.motion_file"),                              # no GRF
    ({"external_loads": "L"}, "activity.external_loads"),                        # no motion
    ({"motion_file": "M", "grf_file": "M", "time_range": [1.5, 1.2]}, "activity.time_range"),
    ({"time_range": [0.0, 1.0]}, "activity.time_range"),                          # no user trial
])
def test_user_trial_keys_that_cannot_work_together(tmp_path, activity, key):
    path = tmp_path / "trial.mot"
    path.write_text("x\n")
    activity = {k: (str(path) if v in ("M", "L") else v) for k, v in activity.items()}
    with pytest.raises(InputError) as exc:
        load_config({"activity": activity})
    assert exc.value.where == key


def test_a_shipped_model_and_a_model_file_cannot_both_be_asked_for(tmp_path):
    path = tmp_path / "m.osim"
    path.write_text("<OpenSimDocument/>")
    with pytest.raises(InputError) as exc:
        load_config({"model": {"name": "rajagopal2023", "osim_file": str(path)}})
    assert exc.value.where == "model.osim_file"
    with pytest.raises(InputError) as exc:
        load_config({"model": {"name": "arnold2010"}})
    assert exc.value.where.startswith("model.name")


def test_python_configs_take_dotted_keys_sections_and_override_dicts():
    """What a user types in Python: dotted keys in the dict, overrides as a dict (dotted keys or
    sections merged), as one KEY=VALUE string, as pairs, on top of a Config; each gives the same
    config, and a bad key is still named."""
    nested = load_config({"activity": {"kind": "walking"}, "strength": {"gluteus_medius": 0.6}})
    forms = [
        load_config({"activity.kind": "walking", "strength.gluteus_medius": 0.6}),
        load_config({"activity": {"kind": "walking"}}, overrides={"strength.gluteus_medius": 0.6}),
        load_config({"activity": {"kind": "walking"}}, overrides={"strength": {"gluteus_medius": 0.6}}),
        load_config({"activity": {"kind": "walking"}}, overrides="strength.gluteus_medius=0.6"),
        load_config(None, overrides=[("activity.kind", "walking"), "strength.gluteus_medius=0.6"]),
        load_config(load_config({"activity": {"kind": "walking"}}), overrides={"strength.gluteus_medius": 0.6}),
    ]
    for c in forms:
        assert c == nested
    # a section given as a dict merges: the other keys of the section keep their values
    c = load_config({"strength": {"core": 0.5}}, overrides={"strength": {"gluteus_medius": 0.6}})
    assert (c.strength.core, c.strength.gluteus_medius) == (0.5, 0.6)
    with pytest.raises(InputError, match="strength.nope: unknown key"):
        load_config({"strength.nope": 1.0})
    with pytest.raises(InputError, match="strength.gluteus_medius"):
        load_config(None, overrides={"strength.gluteus_medius": -1})


def test_sweep_axis_names_keep_their_dots():
    c = load_config({"sweep.axes": {"strength.gluteus_medius": [0.5, 1.0]}})
    assert c.sweep.axes == {"strength.gluteus_medius": [0.5, 1.0]}
    c = load_config(c, overrides={"sweep.axes": {"form.overstride_m": [0.0, 0.05]}})
    assert list(c.sweep.axes) == ["strength.gluteus_medius", "form.overstride_m"]   # a dict merges
    c = load_config(c, overrides=["sweep.axes.subject.mass_kg=[60, 80]"])
    assert c.sweep.axes["subject.mass_kg"] == [60, 80] and len(c.sweep.axes) == 3
    assert load_config(c, overrides=["sweep.axes={}"]).sweep.axes == {}           # KEY=VALUE replaces


def test_model_copy_validates_its_update():
    base = load_config()
    copy = base.model_copy(update={"strength": {"gluteus_medius": 0.6}})
    assert copy.strength.gluteus_medius == 0.6 and copy.strength.core == 1.0
    assert base.model_copy(update={"strength.core": 0.5}).strength.core == 0.5
    with pytest.raises(InputError, match="strength.gluteus_medius"):
        base.model_copy(update={"strength": {"gluteus_medius": -1}})
    assert base.model_copy() == base


def test_an_opensim_model_file_sets_the_body_weight_unless_the_mass_is_given(capsys):
    """With model.osim_file, 1 BW is the model's mass (an unset subject.mass_kg would otherwise
    put every BW value off, silently); a given mass is kept, and one more than 2 % off the
    model's warns, on the command line as one ``warning:`` line."""
    import warnings
    from hipsim.cli import _print_warning
    from hipsim.errors import InputWarning
    model = ROOT / "hipsim" / "data" / "models" / "gait2392_thelen2003muscle.osim"
    mass = load_config({"model.osim_file": str(model)}).subject.mass_kg
    assert mass == pytest.approx(75.16, abs=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_config({"model.osim_file": str(model), "subject.mass_kg": 75.0}).subject.mass_kg == 75.0
    with pytest.warns(InputWarning, match=r"subject.mass_kg: 60 kg differs from the model file's 75.2 kg") as seen:
        assert load_config({"model.osim_file": str(model), "subject.mass_kg": 60}).subject.mass_kg == 60
    _print_warning(seen[0].message, InputWarning, "x.py", 1)
    assert capsys.readouterr().err == f"warning: {seen[0].message}\n"
