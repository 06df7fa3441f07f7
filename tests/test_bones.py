"""The bones of the simulated hip (issue 12): the shipped atlas placed in the model's frames,
articulated and refined, and the two real subjects' landmarks."""
import importlib.util

import numpy as np
import pytest
from scipy.spatial import cKDTree

from hipsim.bones import (JOINT_SPACE_RANGE_MM, REFINE_EDGE_MM, atlas_mesh, model_frames)
from hipsim.landmarks import (anterior_pelvic_plane, femur_landmarks, pelvis_landmarks, sphere_by_normals,
                              vertex_normals)
from hipsim.mesh import Mesh, edge_check
from hipsim.morphology import ACETABULUM_REGIONS

from conftest import ROOT, reference_path

SUBJECTS = ("lhdl_ct", "icl_mri")


@pytest.fixture(scope="module")
def bones():
    from hipsim.hip_models import real_hip
    return real_hip().bones


def _angle_deg(a, b):
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


def _build_atlas_tool():
    spec = importlib.util.spec_from_file_location("build_atlas", ROOT / "tools" / "build_atlas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_model_frames_are_what_the_tool_finds_on_the_model_bones():
    pelvis, femur = _build_atlas_tool().model_frames()
    shipped_pelvis, shipped_femur = model_frames()
    np.testing.assert_allclose(shipped_pelvis, pelvis, atol=1e-9)
    np.testing.assert_allclose(shipped_femur, femur, atol=1e-9)
    # gait2392's pelvis frame: the anterior pelvic plane tilted anteriorly (about the right axis)
    assert abs(shipped_pelvis[2] @ [0.0, 0.0, 1.0]) > 0.99
    assert 10.0 < np.degrees(np.arctan2(-shipped_pelvis[0, 1], shipped_pelvis[0, 0])) < 25.0


@pytest.mark.parametrize("name, stl", [("pelvis", "pelvis_mean.stl"), ("femur_r", "femur_right_mean.stl")])
def test_shipped_atlas_bones_are_the_atlas_files(name, stl):
    from hipsim.meshio import read_mesh
    source = read_mesh(reference_path(f"hip_geometry/map_atlas_mean/{stl}"))
    v, f = atlas_mesh(name)
    np.testing.assert_array_equal(f, source.faces)
    np.testing.assert_allclose(v, source.vertices, atol=1e-4)       # float32 storage


@pytest.mark.parametrize("which", ["femur", "pelvis"])
def test_bones_are_closed_oriented_and_outward(bones, which):
    v, f = getattr(bones, f"{which}_vertices"), getattr(bones, f"{which}_faces")
    closed, manifold, oriented = edge_check(f)
    assert closed and manifold and oriented
    assert Mesh(v, f, np.zeros(len(f), np.int8), which).volume() > 0


def test_the_head_and_socket_spheres_share_the_origin_with_a_joint_space(bones):
    """Sphere fits of the placed bones, independent of the ones that placed them."""
    fv, ff, pv, pf = bones.femur_vertices, bones.femur_faces, bones.pelvis_vertices, bones.pelvis_faces
    head = sphere_by_normals(fv, vertex_normals(fv, ff), False, (15.0, 35.0))
    near = np.linalg.norm(pv, axis=1) < 40.0
    socket = sphere_by_normals(pv[near], vertex_normals(pv, pf)[near], True, (17.0, 38.0))
    assert np.linalg.norm(head.centre) < 0.3 and abs(head.radius - bones.head_radius_mm) < 0.3
    assert np.linalg.norm(socket.centre) < 0.5
    assert JOINT_SPACE_RANGE_MM[0] <= bones.socket_radius_mm - bones.head_radius_mm <= JOINT_SPACE_RANGE_MM[1]
    # nothing touches in the neutral pose: the head's bone is a joint space away from the socket's
    on_head = fv[np.linalg.norm(fv, axis=1) < bones.head_radius_mm + 1.0]
    gap, _ = cKDTree(pv).query(on_head)
    assert gap.min() > 1.0


def test_the_placed_bones_have_the_model_frames(bones):
    """The landmarks found again on the placed bones give the model frames' anatomical axes."""
    pelvis_axes, femur_axes = model_frames()
    whole = np.concatenate([bones.pelvis_vertices] + [v for v, _ in bones.context.values()])
    app = anterior_pelvic_plane(whole)[0]
    for found, shipped in zip(app, pelvis_axes):
        assert _angle_deg(found, shipped) < 0.5
    lm = femur_landmarks(bones.femur_vertices, bones.femur_faces)
    assert np.linalg.norm(lm.head.centre) < 0.3
    for found, shipped in zip(lm.axes, femur_axes):
        assert _angle_deg(found, shipped) < 0.5


def test_contact_is_decided_on_1mm_triangles(bones):
    for v, f, reach in ((bones.femur_vertices, bones.femur_faces, 35.0),
                        (bones.pelvis_vertices, bones.pelvis_faces, 45.0)):
        t = v[f]
        near = (np.linalg.norm(t, axis=2) < reach).all(axis=1)
        edges = np.linalg.norm(t - np.roll(t, 1, axis=1), axis=2)[near]
        assert near.sum() > 1000 and edges.max() <= REFINE_EDGE_MM + 1e-9


def test_pelvis_regions(bones):
    """The atlas's mean socket has no recessed fossa (26 hips averaged smooth it away), so the
    hip marks one geometrically toward the notch (hipsim.anatomy)."""
    from hipsim.hip_models import real_hip
    hip = real_hip()
    v, f, region = bones.pelvis_vertices, bones.pelvis_faces, hip.pelvis_region
    t = v[f]
    area = 0.5 * np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1)
    centre = t.mean(axis=1)
    radius = np.linalg.norm(centre, axis=1)
    lunate = region == ACETABULUM_REGIONS["lunate"]
    fossa = region == ACETABULUM_REGIONS["fossa"]
    for name in ("lunate", "fossa", "rim", "outer"):
        assert (region == ACETABULUM_REGIONS[name]).any(), name
    # the articular horseshoe sits on the socket's sphere (out to the rim's flare), the fossa
    # deep in the socket toward the notch (6 o'clock)
    assert np.median(radius[lunate]) == pytest.approx(bones.socket_radius_mm, abs=0.5)
    fossa_direction = (centre[fossa] * area[fossa, None]).sum(axis=0)
    assert _angle_deg(fossa_direction, hip.axis) > 120.0
    assert 0.1 < area[fossa].sum() / area[lunate | fossa].sum() < 0.45
    # a horseshoe of human size: LibHip's CT acetabula cover 2555 +- 350 mm2 (lunate + rim cartilage)
    assert 1500.0 < area[lunate].sum() < 4000.0


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_subjects_landmarks_articulate_their_scanned_hips(subject):
    """Each bone's landmarks found on its own: the femoral head's centre lies in the acetabulum's
    (the scans articulate, README: 0.84 / 1.38 mm apart), and the scanned hip is near neutral
    (supine: the femur's mechanical axis within 30 deg of the pelvis's superior axis)."""
    from hipsim.meshio import read_mesh
    pelvis = read_mesh(reference_path(f"hip_geometry/{subject}/pelvis_no_sacrum.stl"))
    femur = read_mesh(reference_path(f"hip_geometry/{subject}/femur_r.stl"))
    p = pelvis_landmarks(pelvis.vertices, pelvis.faces)
    fm = femur_landmarks(femur.vertices, femur.faces)
    assert np.linalg.norm(p.acetabulum.centre - fm.head.centre) < 2.5
    assert p.acetabulum.radius > fm.head.radius
    assert _angle_deg(p.axes[1], fm.axes[1]) < 30.0
    assert 180.0 < np.linalg.norm(p.asis_right - p.asis_left) < 300.0
    assert 350.0 < fm.length_mm < 520.0


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_subject_becomes_the_hip(subject):
    from hipsim.hip_models import real_hip
    femur = str(reference_path(f"hip_geometry/{subject}/femur_r.stl"))
    pelvis = str(reference_path(f"hip_geometry/{subject}/pelvis_no_sacrum.stl"))
    b = real_hip(femur, pelvis).bones
    assert b.info["femur_source"] == femur and b.info["pelvis_source"] == pelvis
    for v, f in ((b.femur_vertices, b.femur_faces), (b.pelvis_vertices, b.pelvis_faces)):
        assert all(edge_check(f))
    # the scan's own joint space is kept (both are inside the accepted range)
    assert b.info["socket_resized_mm"] == 0.0
    on_head = b.femur_vertices[np.linalg.norm(b.femur_vertices, axis=1) < b.head_radius_mm + 1.0]
    assert cKDTree(b.pelvis_vertices).query(on_head)[0].min() > 0.5
