"""Millard2012EquilibriumMuscle curves (hipsim.millard) against OpenSim 4.x, and their use in
hipsim.muscles.force_capacity.

Oracles: the curves OpenSim itself builds for the muscles of RajagopalLaiUhlrich2023 (read by
``opensim.Model``, so OpenSim's own reading of the XML and its defaults, e.g. the absent
``concentric_curviness``) and of Rajagopal2016 (FiberForceLengthCurve without its optional
properties: OpenSim computes them; TendonForceLengthCurve is empty in both files: OpenSim's
defaults), plus OpenSim's default-constructed curves. Normalised fibre lengths 0.3-1.9,
velocities -1.2..1.2 and tendon lengths 0.9-1.12 cover the Bezier domains and the linear
extrapolation outside. Tolerance 1e-6 of the normalised force (hipsim's exact curves agree to
~1e-12, the interpolated tables to ~2e-9).

The passive force of muscles with an elastic tendon is checked against OpenSim's own
fibre-tendon equilibrium (``Model.equilibrateMuscles``) at zero activation.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

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
NORM_TENDON_LENGTH = np.linspace(0.9, 1.12, 1101)
#: (hipsim MillardCurves attribute, OpenSim getter, abscissa, curve tag) of the four curves.
CURVES = (("active_force_length", "getActiveForceLengthCurve", NORM_LENGTH, "ActiveForceLengthCurve"),
          ("fiber_force_length", "getFiberForceLengthCurve", NORM_LENGTH, "FiberForceLengthCurve"),
          ("force_velocity", "getForceVelocityCurve", NORM_VELOCITY, "ForceVelocityCurve"),
          ("tendon_force_length", "getTendonForceLengthCurve", NORM_TENDON_LENGTH, "TendonForceLengthCurve"))


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
                curves[muscle.getName()] = {attr: getattr(muscle, getter)() for attr, getter, *_ in CURVES}
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
        for attr, _, x, tag in CURVES:
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
    pairs.append((opensim.TendonForceLengthCurve(), "TendonForceLengthCurve", {}, NORM_TENDON_LENGTH))
    for ft in (dict(strain_at_one_norm_force=0.03),
               dict(strain_at_one_norm_force=0.1, stiffness_at_one_norm_force=20.0,
                    norm_force_at_toe_end=0.4, curviness=0.2),
               dict(strain_at_one_norm_force=0.02, stiffness_at_one_norm_force=60.0,
                    norm_force_at_toe_end=0.9, curviness=1.0)):
        pairs.append((opensim.TendonForceLengthCurve(*ft.values()), "TendonForceLengthCurve", ft,
                      NORM_TENDON_LENGTH))
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
    for attr, *_, tag in CURVES:
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
    """force_capacity of the Millard muscles = F_max f_L(l) f_V(v) cos a (always) and, with
    every tendon made rigid (ignore_tendon_compliance), F_max f_PE(l) cos a, with OpenSim's
    curves, for the rigid-tendon fibre state. Tendon compliance changes the passive force only."""
    model = parse_osim(str(reference_path(RAJAGOPAL_LAI_UHLRICH)))
    compliant = model.muscles
    p = replace(compliant, millard=replace(compliant.millard,
                                           compliant_tendon=np.zeros(len(compliant.millard.index), bool)))
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
    active_compliant, passive_compliant = force_capacity(compliant, length, velocity, p.max_isometric_force)
    np.testing.assert_array_equal(active_compliant, active)
    assert np.all(passive_compliant <= passive + 1e-9 * p.max_isometric_force)
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


def _set_muscle(prop, text):
    def edit(node):
        node.find(prop).text = text
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
    ("soleus_r", _set("TendonForceLengthCurve", "strain_at_one_norm_force", "0"),
     ("soleus_r", "TendonForceLengthCurve", "strain_at_one_norm_force")),
    ("soleus_r", _set("TendonForceLengthCurve", "curviness", "0.5"),
     ("soleus_r", "TendonForceLengthCurve", "all be set or all be empty")),
    ("psoas_r", _set_muscle("ignore_tendon_compliance", "maybe"),
     ("psoas_r", "ignore_tendon_compliance", "maybe")),
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


def test_tendon_compliance_flags_match_opensim():
    """ignore_tendon_compliance is read per muscle: all elastic in RajagopalLaiUhlrich2023, a mix
    in Rajagopal2016 (OpenSim's own reading of each muscle)."""
    opensim = pytest.importorskip("opensim")
    import opensim_reference as ref
    for relative, n_rigid in ((RAJAGOPAL_LAI_UHLRICH, 0), (RAJAGOPAL_2016, 17)):
        model = parse_osim(str(reference_path(relative)))
        curves = model.muscles.millard
        with ref.quiet_opensim_log():
            osim = opensim.Model(str(reference_path(relative)))
        expected = [not opensim.Millard2012EquilibriumMuscle.safeDownCast(
            osim.getMuscles().get(model.muscle_names[j])).get_ignore_tendon_compliance() for j in curves.index]
        np.testing.assert_array_equal(curves.compliant_tendon, expected)
        assert np.count_nonzero(~curves.compliant_tendon) == n_rigid


def _relaxed(relative):
    """OpenSim's model ``relative`` with every Millard muscle able to relax fully (minimum and
    default activation 0; the files' 0.01 would add F_max f_L(l) / 100 of active fibre force
    and move the fibre-tendon equilibrium), and its initial state."""
    opensim = pytest.importorskip("opensim")
    import opensim_reference as ref
    with ref.quiet_opensim_log():
        osim = opensim.Model(str(reference_path(relative)))
        muscles = osim.getMuscles()
        for i in range(muscles.getSize()):
            muscle = opensim.Millard2012EquilibriumMuscle.safeDownCast(muscles.get(i))
            muscle.setMinimumActivation(0.0)
            muscle.setDefaultActivation(0.0)
        state = osim.initSystem()
    return osim, state


#: Poses [deg] of the equilibrium oracle: neutral, FADIR (hip flexion 90, adduction 20, internal
#: rotation 20, knee 90), FABER-like, hip extension, knee flexion, straight-leg raise, ankle
#: dorsiflexion: slack and stretched muscles of every group.
EQUILIBRIUM_POSES = (
    {},
    dict(hip_flexion_r=90, hip_adduction_r=20, hip_rotation_r=20, knee_angle_r=90),
    dict(hip_flexion_r=45, hip_adduction_r=-40, hip_rotation_r=-40, knee_angle_r=90),
    dict(hip_flexion_r=-20),
    dict(knee_angle_r=90),
    dict(hip_flexion_r=80),
    dict(ankle_angle_r=20),
)


@pytest.mark.opensim
@pytest.mark.parametrize("relative", [RAJAGOPAL_LAI_UHLRICH, RAJAGOPAL_2016])
def test_passive_force_matches_opensim_equilibrium(relative):
    """hipsim's passive force along the tendon = OpenSim's tendon force of the relaxed muscle
    after ``equilibrateMuscles`` (activation 0, zero speeds: static equilibrium), for OpenSim's
    own musculotendon lengths, in every pose of EQUILIBRIUM_POSES; both tendon models (Rajagopal2016
    has rigid-tendon muscles, whose OpenSim tendon force is F_max f_PE(l) cos a).

    Tolerance 1e-7 F_max: OpenSim's computeFiberEquilibrium stops when the force balance is
    within 1e-8 F_max, and hipsim's tables add < 1e-8 (observed: < 3e-5 N). The fibre lengths
    agree to 1 um wherever the passive force exceeds 1e-4 F_max (at smaller forces the fibre
    length is ill-conditioned: OpenSim's force tolerance over a nearly flat passive curve)."""
    opensim = pytest.importorskip("opensim")
    osim, state = _relaxed(relative)
    model = parse_osim(str(reference_path(relative)))
    p = model.muscles
    muscles = [opensim.Millard2012EquilibriumMuscle.safeDownCast(osim.getMuscles().get(n))
               for n in model.muscle_names]
    coords = osim.getCoordinateSet()
    length, tendon_force, fibre = [], [], []
    for pose in EQUILIBRIUM_POSES:
        for c in range(coords.getSize()):
            coords.get(c).setValue(state, coords.get(c).getDefaultValue(), False)
        for name, deg in pose.items():
            coords.get(name).setValue(state, np.deg2rad(deg), False)
        osim.assemble(state)
        osim.equilibrateMuscles(state)
        osim.realizeDynamics(state)
        assert max(m.getActivation(state) for m in muscles) == 0.0
        length.append([m.getLength(state) for m in muscles])
        tendon_force.append([m.getTendonForce(state) for m in muscles])
        fibre.append([m.getFiberLength(state) for m in muscles])
    length, tendon_force, fibre = map(np.array, (length, tendon_force, fibre))
    _, passive = force_capacity(p, length, np.zeros_like(length), p.max_isometric_force)
    f_max = p.max_isometric_force
    assert np.all(np.abs(passive - tendon_force) <= 1e-7 * f_max), np.abs(passive - tendon_force).max(axis=0)
    assert tendon_force.max() > 0.1 * f_max.min()                      # stretched muscles are in the set
    curves = p.millard
    cols = curves.index[curves.compliant_tendon]
    norm_force, hipsim_fibre = curves.passive_equilibrium(
        length[:, curves.index], p.optimal_fiber_length[curves.index], p.tendon_slack_length[curves.index],
        p.pennation_at_optimal[curves.index])
    hipsim_fibre = hipsim_fibre[:, curves.compliant_tendon]
    loaded = norm_force[:, curves.compliant_tendon] > 1e-4
    assert loaded.sum() > 20
    np.testing.assert_allclose(hipsim_fibre[loaded], fibre[:, cols][loaded], rtol=0, atol=1e-6)
    assert np.all(passive[:, cols][length[:, cols] < p.tendon_slack_length[cols]] == 0.0)


def test_passive_equilibrium_solves_the_force_balance():
    """The equilibrium fibre satisfies f_PE(l / l_opt) cos a = f_T(l_T / l_TS) with the exact
    curves (to the table accuracy), lies between the fibre's zero-force length and the
    rigid-tendon fibre, gives zero force on a slack musculotendon, tends to the rigid-tendon
    passive force for a very stiff tendon, and runs in a few milliseconds for a (101, 40) cycle."""
    import time
    model = parse_osim(str(reference_path(RAJAGOPAL_LAI_UHLRICH)))
    p = model.muscles
    curves = p.millard
    idx = curves.index
    l_opt, l_ts, a0 = p.optimal_fiber_length[idx], p.tendon_slack_length[idx], p.pennation_at_optimal[idx]
    width = l_opt * np.sin(a0)
    rng = np.random.default_rng(11)
    length = l_ts + l_opt * rng.uniform(0.2, 1.9, (101, len(idx)))
    force, fibre = curves.passive_equilibrium(length, l_opt, l_ts, a0)
    taut = np.isfinite(fibre)
    along = np.sqrt(fibre ** 2 - width ** 2)
    col = np.broadcast_to(np.arange(len(idx)), length.shape)
    for j in range(len(idx)):
        props = {tag: {k: float(v[j]) for k, v in curves.properties[tag].items() if np.isfinite(v[j])}
                 for tag in ("FiberForceLengthCurve", "TendonForceLengthCurve")}
        fpe = millard.build_curve("FiberForceLengthCurve", props["FiberForceLengthCurve"])
        ft = millard.build_curve("TendonForceLengthCurve", props["TendonForceLengthCurve"])
        t = taut[:, j]
        fibre_side = fpe(fibre[t, j] / l_opt[j]) * along[t, j] / fibre[t, j]
        tendon_side = ft((length[t, j] - along[t, j]) / l_ts[j])
        np.testing.assert_allclose(force[t, j], tendon_side, rtol=0, atol=1e-8)
        np.testing.assert_allclose(fibre_side, tendon_side, rtol=0, atol=1e-8)
    rigid_along = length - l_ts
    assert np.all(along[taut] <= rigid_along[taut] + 1e-12)
    assert np.all(fibre[taut] >= (curves.fiber_force_length.x0 * l_opt)[col[taut]] - 1e-12)
    assert np.all(force[~taut] == 0.0) and np.any(~taut)
    slack, _ = curves.passive_equilibrium(l_ts[None] * 0.99, l_opt, l_ts, a0)
    assert np.all(slack == 0.0)
    # a 1000x shorter tendon is nearly rigid: the rigid-tendon passive force
    short = l_ts * 1e-3
    stiff, _ = curves.passive_equilibrium(length - l_ts + short, l_opt, short, a0)
    rigid_fibre = np.hypot(width, rigid_along)
    rigid = curves.fiber_force_length(rigid_fibre / l_opt) * rigid_along / rigid_fibre
    np.testing.assert_allclose(stiff, rigid, rtol=2e-2, atol=1e-4)
    curves.passive_equilibrium(length, l_opt, l_ts, a0)                   # compiled
    start = time.perf_counter()
    for _ in range(10):
        curves.passive_equilibrium(length, l_opt, l_ts, a0)
    assert (time.perf_counter() - start) / 10 < 0.025                      # ~2 ms measured


def test_rigid_tendon_muscles_keep_the_rigid_passive_force():
    """Rajagopal2016's ignore_tendon_compliance muscles: passive = F_max f_PE(l) cos a of the
    rigid-tendon fibre; its elastic-tendon muscles: the equilibrium tendon force (<= rigid)."""
    model = parse_osim(str(reference_path(RAJAGOPAL_2016)))
    p = model.muscles
    curves = p.millard
    rigid_params = replace(p, millard=replace(curves, compliant_tendon=np.zeros(len(curves.index), bool)))
    rng = np.random.default_rng(5)
    length = p.tendon_slack_length + p.optimal_fiber_length * rng.uniform(0.3, 1.8, (30, len(p.max_isometric_force)))
    _, passive = force_capacity(p, length, np.zeros_like(length), p.max_isometric_force)
    _, rigid = force_capacity(rigid_params, length, np.zeros_like(length), p.max_isometric_force)
    rigid_cols = curves.index[~curves.compliant_tendon]
    elastic_cols = curves.index[curves.compliant_tendon]
    np.testing.assert_array_equal(passive[:, rigid_cols], rigid[:, rigid_cols])
    assert np.all(passive[:, elastic_cols] <= rigid[:, elastic_cols] + 1e-9)
    assert np.any(passive[:, elastic_cols] < 0.9 * rigid[:, elastic_cols])
