"""Millard2012EquilibriumMuscle curves (hipsim.millard) against OpenSim 4.x, and their use in
hipsim.muscles.force_capacity.

Oracles: the curves OpenSim itself builds for the muscles of RajagopalLaiUhlrich2023 (read by
``opensim.Model``, so OpenSim's own reading of the XML and its defaults, e.g. the absent
``concentric_curviness``) and of Rajagopal2016 (FiberForceLengthCurve without its optional
properties: OpenSim computes them), plus OpenSim's default-constructed curves. Normalised fibre
lengths 0.3-1.9 and velocities -1.2..1.2 cover the Bezier domains and the linear extrapolation
outside. Tolerance 1e-6 of the normalised force (hipsim's exact curves agree to ~1e-13, the
interpolated tables to ~2e-9).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import reference_path
from hipsim import millard
from hipsim.errors import InputError
from hipsim.model import load_model, parse_osim
from hipsim.muscles import force_capacity

RAJAGOPAL_LAI_UHLRICH = "opensim/rajagopal_lai_uhlrich2023/RajagopalLaiUhlrich2023.osim"
RAJAGOPAL_2016 = "opensim/rajagopal2016_running/Rajagopal2016.osim"
TOL = 1e-6
NORM_LENGTH = np.linspace(0.3, 1.9, 1601)
NORM_VELOCITY = np.linspace(-1.2, 1.2, 1201)
#: (hipsim MillardCurves attribute, OpenSim getter, abscissa) of the three curves.
CURVES = (("active_force_length", "getActiveForceLengthCurve", NORM_LENGTH),
          ("fiber_force_length", "getFiberForceLengthCurve", NORM_LENGTH),
          ("force_velocity", "getForceVelocityCurve", NORM_VELOCITY))


def _values(curve, x):
    return np.array([curve.calcValue(float(v)) for v in x])


@pytest.fixture(scope="module")
def opensim_curves():
    """``{model file: {muscle: {curve attribute: OpenSim curve}}}`` of the right-leg Millard
    muscles of both Rajagopal models, as OpenSim loads them."""
    opensim = pytest.importorskip("opensim")
    import opensim_reference as ref      # tests/ is on sys.path, as for ``conftest``
    out = {}
    for relative in (RAJAGOPAL_LAI_UHLRICH, RAJAGOPAL_2016):
        with ref.quiet_opensim_log():
            model = opensim.Model(str(reference_path(relative)))
            model.initSystem()
        muscles = model.getMuscles()
        curves = {}
        for i in range(muscles.getSize()):
            muscle = opensim.Millard2012EquilibriumMuscle.safeDownCast(muscles.get(i))
            if muscle is not None and muscle.getName().endswith("_r"):
                curves[muscle.getName()] = {attr: getattr(muscle, getter)() for attr, getter, _ in CURVES}
        out[relative] = (model, curves)
    yield {relative: curves for relative, (_, curves) in out.items()}   # `out` keeps the models
    # (which own the curves) alive until the tests are done


@pytest.mark.opensim
@pytest.mark.parametrize("relative", [RAJAGOPAL_LAI_UHLRICH, RAJAGOPAL_2016])
def test_model_curves_match_opensim(opensim_curves, relative):
    """Every right-leg Millard muscle: hipsim's tabulated curves (model load) and the exact
    curves from the properties it read, against OpenSim's curves of the same muscle."""
    model = parse_osim(str(reference_path(relative)))
    curves = model.muscles.millard
    reference = opensim_curves[relative]
    names = [model.muscle_names[j] for j in curves.index]
    assert set(names) == set(reference)
    for col, name in enumerate(names):
        properties = {tag: {k: float(v[col]) for k, v in props.items() if np.isfinite(v[col])}
                      for tag, props in curves.properties.items()}
        for (attr, _, x), tag in zip(CURVES, ("ActiveForceLengthCurve", "FiberForceLengthCurve",
                                              "ForceVelocityCurve")):
            expected = _values(reference[name][attr], x)
            table = getattr(curves, attr)(np.repeat(x[:, None], len(names), axis=1))[:, col]
            exact = millard.build_curve(tag, properties[tag])(x)
            np.testing.assert_allclose(table, expected, rtol=0, atol=TOL, err_msg=f"{name} {attr} table")
            np.testing.assert_allclose(exact, expected, rtol=0, atol=1e-10, err_msg=f"{name} {attr} exact")


@pytest.mark.opensim
def test_default_curves_match_opensim():
    """OpenSim's default-constructed curves against hipsim's defaults (no properties given),
    and two non-default FiberForceLengthCurve shapes built from the constructor."""
    opensim = pytest.importorskip("opensim")
    pairs = [(opensim.ActiveForceLengthCurve(), "ActiveForceLengthCurve", {}, NORM_LENGTH),
             (opensim.ForceVelocityCurve(), "ForceVelocityCurve", {}, NORM_VELOCITY),
             (opensim.FiberForceLengthCurve(), "FiberForceLengthCurve", {}, NORM_LENGTH)]
    fpe = dict(strain_at_zero_force=-0.1, strain_at_one_norm_force=0.5, stiffness_at_low_force=0.3,
               stiffness_at_one_norm_force=4.0, curviness=0.3)
    pairs.append((opensim.FiberForceLengthCurve(*fpe.values()), "FiberForceLengthCurve", fpe, NORM_LENGTH))
    fv = dict(concentric_slope_at_vmax=0.1, concentric_slope_near_vmax=0.3, isometric_slope=4.0,
              eccentric_slope_at_vmax=0.05, eccentric_slope_near_vmax=0.2,
              max_eccentric_velocity_force_multiplier=1.6, concentric_curviness=0.2,
              eccentric_curviness=0.5)
    pairs.append((opensim.ForceVelocityCurve(*fv.values()), "ForceVelocityCurve", fv, NORM_VELOCITY))
    for curve, tag, values, x in pairs:
        expected = _values(curve, x)
        np.testing.assert_allclose(millard.build_curve(tag, values)(x), expected, rtol=0, atol=1e-10,
                                   err_msg=f"{tag} {values}")
        table = millard.CurveTable.of(tag, [values])(x[:, None])[:, 0]
        np.testing.assert_allclose(table, expected, rtol=0, atol=TOL, err_msg=f"{tag} {values} table")


def test_tables_match_exact_curves():
    """The interpolated tables of every Millard muscle stay within 1e-6 of the exact curves,
    sampled denser than the table and off its grid (each distinct curve once)."""
    model = parse_osim(str(reference_path(RAJAGOPAL_LAI_UHLRICH)))
    curves = model.muscles.millard
    for attr, tag in (("active_force_length", "ActiveForceLengthCurve"),
                      ("fiber_force_length", "FiberForceLengthCurve"),
                      ("force_velocity", "ForceVelocityCurve")):
        table = getattr(curves, attr)
        x = np.linspace(table.x0, table.x1, 7001)            # (7001, n_millard): each domain
        got = table(x)
        distinct = {}
        for col in range(len(curves.index)):
            props = tuple((k, float(v[col])) for k, v in curves.properties[tag].items() if np.isfinite(v[col]))
            distinct.setdefault(props, col)
        for props, col in distinct.items():
            exact = millard.build_curve(tag, dict(props))(x[:, col])
            assert np.abs(got[:, col] - exact).max() < TOL, (attr, model.muscle_names[curves.index[col]])


@pytest.mark.opensim
def test_force_capacity_uses_opensim_curves(opensim_curves):
    """force_capacity of the Millard muscles = F_max f_L(l) f_V(v) cos a and F_max f_PE(l) cos a
    with OpenSim's curves, for the rigid-tendon fibre state."""
    model = parse_osim(str(reference_path(RAJAGOPAL_LAI_UHLRICH)))
    p = model.muscles
    reference = opensim_curves[RAJAGOPAL_LAI_UHLRICH]
    rng = np.random.default_rng(3)
    n = len(model.muscle_names)
    width = p.optimal_fiber_length * np.sin(p.pennation_at_optimal)
    norm_fibre = np.maximum(rng.uniform(0.35, 1.8, (40, n)), 1.05 * width / p.optimal_fiber_length)
    norm_velocity = rng.uniform(-1.1, 1.1, (40, n))
    along = np.sqrt((norm_fibre * p.optimal_fiber_length) ** 2 - width ** 2)
    cos_a = along / (norm_fibre * p.optimal_fiber_length)
    length = p.tendon_slack_length + along
    velocity = norm_velocity * p.max_contraction_velocity * p.optimal_fiber_length / cos_a
    active, passive = force_capacity(p, length, velocity, p.max_isometric_force)
    for j, name in enumerate(model.muscle_names):
        c = reference[name]
        fl = _values(c["active_force_length"], norm_fibre[:, j])
        fpe = _values(c["fiber_force_length"], norm_fibre[:, j])
        fv = _values(c["force_velocity"], norm_velocity[:, j])
        f_max = p.max_isometric_force[j]
        np.testing.assert_allclose(active[:, j], f_max * fl * fv * cos_a[:, j], rtol=0, atol=TOL * f_max,
                                   err_msg=name)
        np.testing.assert_allclose(passive[:, j], f_max * fpe * cos_a[:, j], rtol=0, atol=TOL * f_max,
                                   err_msg=name)


def test_gait2392_force_capacity_unchanged():
    """The default Thelen2003 model has no Millard curves and gives the numbers it gave before
    the Millard curves existed: the Thelen (2003) formulas, written out here, and a fingerprint
    computed with the previous implementation."""
    model = load_model()
    p = model.muscles
    assert p.millard is None
    rng = np.random.default_rng(7)
    n = len(model.muscle_names)
    length = p.tendon_slack_length + p.optimal_fiber_length * rng.uniform(0.4, 1.8, (6, n))
    velocity = p.optimal_fiber_length * p.max_contraction_velocity * rng.uniform(-1.2, 1.2, (6, n))
    active, passive = force_capacity(p, length, velocity, p.max_isometric_force)
    # fingerprint of the implementation before hipsim.millard (same inputs)
    assert n == 43
    assert active.sum() == pytest.approx(130534.39732968147, rel=1e-13)
    assert passive.sum() == pytest.approx(76053.66484965585, rel=1e-13)
    assert active[2, 5] == pytest.approx(59.44471221884159, rel=1e-13)
    # Thelen 2003 with the rigid-tendon, constant-thickness fibre
    along = length - p.tendon_slack_length
    fibre = np.hypot(p.optimal_fiber_length * np.sin(p.pennation_at_optimal), along)
    cos_a, l = along / fibre, fibre / p.optimal_fiber_length
    v = velocity * cos_a / (p.max_contraction_velocity * p.optimal_fiber_length)
    fl = np.exp(-(l - 1) ** 2 / p.fl_shape)
    fpe = np.where(l > 1, (np.exp(p.passive_shape * (l - 1) / p.passive_strain_at_fmax) - 1)
                   / (np.exp(p.passive_shape) - 1), 0.0)
    k = (1 + 1 / p.fv_af) / (p.fv_flen - 1)
    fv = np.where(v < 0, np.clip((1 + v) / (1 - v / p.fv_af), 0, 1),
                  p.fv_flen - (p.fv_flen - 1) / (1 + k * np.maximum(v, 0)))
    np.testing.assert_allclose(active, p.max_isometric_force * fl * fv * cos_a, rtol=1e-12)
    np.testing.assert_allclose(passive, p.max_isometric_force * fpe * cos_a, rtol=1e-12, atol=1e-9)


def _write_model(tmp_path, muscle, edit):
    """RajagopalLaiUhlrich2023 with ``edit(muscle_node)`` applied to one muscle, as a file."""
    tree = ET.parse(reference_path(RAJAGOPAL_LAI_UHLRICH))
    node = next(m for m in tree.getroot().iter("Millard2012EquilibriumMuscle") if m.get("name") == muscle)
    edit(node)
    path = tmp_path / "edited.osim"
    tree.write(path)
    return str(path)


def _set(curve, prop, text):
    def edit(node):
        child = node.find(f"{curve}/{prop}")
        if child is None:
            child = ET.SubElement(node.find(curve), prop)
        child.text = text
    return edit


def _remove(curve, prop):
    def edit(node):
        parent = node.find(curve)
        parent.remove(parent.find(prop))
    return edit


@pytest.mark.parametrize("muscle, edit, words", [
    ("glmed1_r", _set("ActiveForceLengthCurve", "shallow_ascending_slope", "steep"),
     ("glmed1_r", "shallow_ascending_slope", "steep")),
    ("iliacus_r", _set("ActiveForceLengthCurve", "transition_norm_fiber_length", "1.2"),
     ("iliacus_r", "transition_norm_fiber_length")),
    ("recfem_r", _set("ForceVelocityCurve", "max_eccentric_velocity_force_multiplier", "0.9"),
     ("recfem_r", "max_eccentric_velocity_force_multiplier")),
    ("glmax1_r", _set("ForceVelocityCurve", "concentric_curviness", "1.5"),
     ("glmax1_r", "concentric_curviness")),
    ("addlong_r", _set("FiberForceLengthCurve", "strain_at_one_norm_force", "-0.5"),
     ("addlong_r", "strain_at_one_norm_force")),
    ("addlong_r", _set("FiberForceLengthCurve", "stiffness_at_one_norm_force", "nan"),
     ("addlong_r", "stiffness_at_one_norm_force")),
    ("gasmed_r", _remove("FiberForceLengthCurve", "curviness"),
     ("gasmed_r", "curviness", "all be set or all be empty")),
])
def test_bad_curve_value_is_input_error(tmp_path, muscle, edit, words):
    path = _write_model(tmp_path, muscle, edit)
    with pytest.raises(InputError) as info:
        parse_osim(path)
    assert info.value.where == path
    for word in words:
        assert word in info.value.message


def test_absent_properties_take_opensim_defaults(tmp_path):
    """A Millard muscle without curve children gets OpenSim's default curves."""
    def strip(node):
        for tag in millard.CURVE_PROPERTIES:
            node.remove(node.find(tag))
    model = parse_osim(_write_model(tmp_path, "glmed1_r", strip))
    curves = model.muscles.millard
    col = [model.muscle_names[j] for j in curves.index].index("glmed1_r")
    for tag, defaults in millard.CURVE_PROPERTIES.items():
        for key, default in defaults.items():
            got = curves.properties[tag][key][col]
            assert np.isnan(got) if default is None else got == default, (tag, key)
    x = np.linspace(0.3, 1.9, 301)
    assert np.allclose(curves.active_force_length(np.repeat(x[:, None], len(curves.index), 1))[:, col],
                       millard.build_curve("ActiveForceLengthCurve", {})(x), atol=TOL)
