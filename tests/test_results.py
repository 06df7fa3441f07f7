"""The result Dataset as a user reads it: labelled frames and axes, units pint can parse, the
body weight, masking of flagged frames, selection by muscle group."""
import numpy as np
import pytest
import xarray as xr

import hipsim


@pytest.fixture(scope="module")
def sprint():
    """The sprint: 88 of its frames are flagged by the muscle solver (issue 13's finding)."""
    return hipsim.simulate({"activity": {"kind": "sprinting"}})


def test_lab_and_pelvis_vectors_have_their_own_dimensions(sprint):
    assert sprint["grf"].dims == ("frame", "lab_axis")
    assert sprint["hip_contact_force"].dims == ("frame", "axis")
    assert list(sprint.lab_axis.values) == list(sprint.axis.values) == ["anterior", "superior", "lateral"]


def test_stance_is_stored_and_matches_the_ground_force(sprint):
    stance = sprint["stance"].values
    assert stance.dtype == bool and stance[0] and not stance[50]
    assert np.array_equal(stance, sprint["grf"].sel(lab_axis="superior").values > 0)
    assert 20 <= stance.sum() <= 30                    # contact ~26 % of the sprint stride


def test_every_unit_parses_and_bw_converts_to_newtons(sprint):
    """pint reads every variable's units with hipsim's registry; BW is the stored body weight;
    a clock position is not a time."""
    pint = pytest.importorskip("pint")
    ureg = hipsim.units.unit_registry(sprint)
    for name, var in sprint.data_vars.items():
        ureg.Unit(var.attrs["units"])
    assert sprint.attrs["body_weight_n"] == pytest.approx(sprint.attrs["body_mass_kg"] * 9.80665)
    peak = float(sprint["hip_contact_force_resultant"].max()) * ureg(sprint["hip_contact_force_resultant"].units)
    assert peak.to("N").magnitude == pytest.approx(float(sprint["hip_contact_force_resultant"].max())
                                                   * sprint.attrs["body_weight_n"])
    with pytest.raises(pint.DimensionalityError):
        ureg.Quantity(3, sprint["impingement_clock"].units).to("hour")
    assert sprint.attrs["Conventions"].startswith("CF-")


def test_valid_masks_what_rests_on_a_flagged_solve(sprint):
    """``hipsim.valid``: muscle-dependent variables NaN on flagged frames, kinematics untouched;
    peaks then come from frames the muscles could hold."""
    flagged = sprint["solver_status"].values != 0
    assert 0 < flagged.sum() < len(flagged)
    shown = hipsim.valid(sprint)
    assert np.isnan(shown["hip_contact_force_resultant"].values[flagged]).all()
    assert np.isfinite(shown["hip_contact_force_resultant"].values[~flagged]).all()
    assert np.isnan(shown["muscle_force"].values[flagged]).all()
    assert np.array_equal(shown["hip_angle"].values, sprint["hip_angle"].values)
    assert float(shown["hip_contact_force_resultant"].max()) == pytest.approx(
        sprint["hip_contact_force_resultant"].values[~flagged].max())


def test_muscle_groups_select_and_group_and_survive_a_file(sprint, tmp_path):
    glmed = sprint["muscle_force"].sel(muscle_group="gluteus_medius")
    assert glmed.sizes["muscle"] == 3 and all(m.startswith("glmed") for m in glmed.muscle.values)
    totals = sprint["muscle_force"].groupby("muscle_group").sum()
    assert "gluteus_medius" in totals.muscle_group.values
    path = tmp_path / "r.nc"
    sprint.to_netcdf(path)
    again = hipsim.open_result(path)
    assert again["muscle_force"].sel(muscle_group="gluteus_medius").sizes["muscle"] == 3
    xr.testing.assert_allclose(again["hip_contact_force"], sprint["hip_contact_force"])
