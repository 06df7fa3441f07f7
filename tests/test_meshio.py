"""Mesh files: round trips, unit detection, sphere fits, broken files."""
import os
import struct

import numpy as np
import pytest

from hipsim.errors import InputError
from hipsim.meshio import (fit_head_sphere, fit_sphere, load_patient_mesh, read_mesh, write_mesh,
                           write_meshes)
from hipsim.morphology import Mesh, build_hip, is_watertight, measure_alpha_angle, measure_lcea


@pytest.fixture(scope="module")
def hip():
    return build_hip({"alpha_angle_deg": 65.0, "lce_angle_deg": 35.0})


def _canonical(mesh):
    """Triangles (m, 9) with each triangle started at its lexicographically smallest vertex
    (orientation kept) and sorted by centroid, plus their regions: vertex-order independent."""
    tri = mesh.vertices[mesh.faces]
    key = np.round(tri, 3)
    first = np.array([min(range(3), key=lambda i: tuple(k[i])) for k in key])
    idx = (first[:, None] + np.arange(3)[None]) % 3
    tri = np.take_along_axis(tri, idx[..., None], axis=1)
    cen = np.round(tri.mean(1), 2)
    order = np.lexsort(cen.T[::-1])
    return tri[order].reshape(-1, 9), mesh.face_region[order]


@pytest.mark.parametrize("fmt", ["stl", "ply", "vtk", "vtp"])
def test_write_read_round_trip(tmp_path, hip, fmt):
    paths = write_meshes(hip, tmp_path, fmt)
    assert [p.name for p in paths] == [f"femur.{fmt}", f"acetabulum.{fmt}"]
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in paths)   # no temp files left
    for path, mesh in zip(paths, (hip.femur, hip.acetabulum)):
        back = read_mesh(path)
        assert back.name == mesh.name
        assert len(back.faces) == len(mesh.faces) and len(back.vertices) == len(mesh.vertices)
        assert is_watertight(back)
        assert back.volume() == pytest.approx(mesh.volume(), rel=1e-6)
        (ta, ra), (tb, rb) = _canonical(back), _canonical(mesh)
        assert np.allclose(ta, tb, atol=1e-4)             # same triangles and orientation
        assert np.array_equal(ra, rb)                      # same regions


def test_ascii_ply_and_ascii_stl(tmp_path, hip):
    m = hip.acetabulum
    lines = ["ply", "format ascii 1.0", f"element vertex {len(m.vertices)}", "property float x",
             "property float y", "property float z", f"element face {len(m.faces)}",
             "property list uchar int vertex_indices", "end_header"]
    lines += [f"{x} {y} {z}" for x, y, z in m.vertices]
    lines += [f"3 {a} {b} {c}" for a, b, c in m.faces]
    (tmp_path / "a.ply").write_text("\n".join(lines) + "\n")
    back = read_mesh(tmp_path / "a.ply")
    assert np.allclose(back.vertices, m.vertices, atol=1e-4) and np.array_equal(back.faces, m.faces)
    tri = m.vertices[m.faces]
    text = ["solid x"]
    for t in tri:
        text += ["facet normal 0 0 0", "outer loop"] + [f"vertex {a} {b} {c}" for a, b, c in t]
        text += ["endloop", "endfacet"]
    text.append("endsolid x")
    (tmp_path / "a.stl").write_text("\n".join(text) + "\n")
    assert is_watertight(read_mesh(tmp_path / "a.stl"))


def test_sphere_fit_recovers_centre_and_radius():
    rng = np.random.default_rng(1)
    d = rng.normal(size=(400, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    d = d[d[:, 1] > 0.2]                                   # a cap only, as on a femoral head
    c0, r0 = np.array([10.0, -5.0, 30.0]), 23.0
    pts = c0 + r0 * d + rng.normal(scale=0.05, size=d.shape)
    c, r = fit_sphere(pts)
    assert np.allclose(c, c0, atol=0.05) and r == pytest.approx(r0, abs=0.05)


@pytest.mark.parametrize("kind", ["femur", "acetabulum"])
@pytest.mark.parametrize("scale,fmt", [(1.0, "stl"), (0.001, "ply"), (0.001, "vtk"), (0.001, "vtp"), (1.0, "obj")])
def test_patient_mesh_units_and_centre(tmp_path, hip, kind, scale, fmt):
    mesh = getattr(hip, kind)
    shift = np.array([12.0, -140.0, 55.0])                 # file not centred on the joint
    moved = Mesh((mesh.vertices + shift) * scale, mesh.faces,
                 np.zeros(len(mesh.faces), np.int8), kind)
    path = write_mesh(moved, tmp_path / f"{kind}.{fmt}")
    c, r, _ = fit_head_sphere(read_mesh(path), kind)
    expected_r = hip.head_radius_mm + (0 if kind == "femur" else hip.info["socket_radius_mm"] - 24)
    assert r / scale == pytest.approx(expected_r, abs=0.02)
    assert np.allclose(c / scale, shift, atol=0.02)
    loaded = load_patient_mesh(path, kind)
    assert loaded.name == kind and is_watertight(loaded)
    # back in mm, centred: the same vertices as the parametric mesh (up to float32 in STL)
    assert loaded.vertices.min(0) == pytest.approx(mesh.vertices.min(0), abs=0.05)
    assert loaded.vertices.max(0) == pytest.approx(mesh.vertices.max(0), abs=0.05)
    if kind == "femur":
        assert measure_alpha_angle(loaded, np.zeros(3), hip.neck_axis, 1.5) == \
            pytest.approx(65.0, abs=1.0)
        assert {0, 1, 2, 4} <= set(np.unique(loaded.face_region))
    else:
        assert measure_lcea(loaded, np.zeros(3)) == pytest.approx(35.0, abs=1.0)
        assert {0, 2, 3} <= set(np.unique(loaded.face_region))


def test_broken_files(tmp_path, hip):
    cases = {}
    (tmp_path / "empty.stl").write_bytes(b"")
    cases["empty.stl"] = "empty"
    (tmp_path / "garbage.stl").write_bytes(os.urandom(333))
    cases["garbage.stl"] = "STL"
    (tmp_path / "garbage.ply").write_bytes(b"\x00\x01garbage" * 20)
    cases["garbage.ply"] = "PLY"
    (tmp_path / "garbage.vtk").write_text("hello\nworld\n")
    cases["garbage.vtk"] = "VTK"
    (tmp_path / "mesh.obj").write_text("v 0 0 0\n")
    cases["mesh.obj"] = "no surface triangles"
    (tmp_path / "garbage.vtp").write_text("<VTKFile garbage")
    cases["garbage.vtp"] = "no surface triangles"
    (tmp_path / "mesh.off").write_text("OFF\n")
    cases["mesh.off"] = "format"
    good = write_mesh(hip.femur, tmp_path / "good.ply")
    data = good.read_bytes()
    (tmp_path / "truncated.ply").write_bytes(data[: len(data) // 2])
    cases["truncated.ply"] = "parse"
    hole = Mesh(hip.femur.vertices, hip.femur.faces[:-5], hip.femur.face_region[:-5], "femur")
    write_mesh(hole, tmp_path / "hole.stl")
    cases["hole.stl"] = "watertight"
    flipped = hip.femur.faces.copy()
    flipped[:10] = flipped[:10, ::-1]
    write_mesh(Mesh(hip.femur.vertices, flipped, hip.femur.face_region, "femur"),
               tmp_path / "flipped.vtk")
    cases["flipped.vtk"] = "oriented"
    nofaces = b"hipsim".ljust(80) + struct.pack("<I", 0)
    (tmp_path / "nofaces.stl").write_bytes(nofaces)
    cases["nofaces.stl"] = "no triangles"
    cases["missing.stl"] = "cannot read"
    for name, words in cases.items():
        with pytest.raises(InputError, match=words) as err:
            load_patient_mesh(tmp_path / name, "femur")
        assert err.value.where == str(tmp_path / name)


def test_implausible_sphere_and_inside_out(tmp_path, hip):
    big = Mesh(hip.femur.vertices * 5, hip.femur.faces, hip.femur.face_region, "femur")
    write_mesh(big, tmp_path / "big.stl")
    with pytest.raises(InputError, match="implausible"):
        load_patient_mesh(tmp_path / "big.stl", "femur")


def test_write_is_atomic(tmp_path, hip):
    with pytest.raises(InputError):
        write_meshes(hip, tmp_path / "out", "off")
    assert not (tmp_path / "out").exists()
    with pytest.raises(OSError):
        write_mesh(hip.femur, tmp_path / "nope" / "femur.stl")
    assert not (tmp_path / "nope").exists()
    (tmp_path / "x").mkdir()
    write_mesh(hip.femur, tmp_path / "x" / "f.stl")
    assert os.listdir(tmp_path / "x") == ["f.stl"]


def test_obj_and_binary_vtk_from_other_tools_read_as_the_same_surface(tmp_path, hip):
    """pyvista's default binary legacy VTK and a Wavefront OBJ (no region labels: OBJ has no
    cell data) hold the same triangles as the mesh written."""
    pv = pytest.importorskip("pyvista")
    mesh = hip.femur
    poly = pv.PolyData(mesh.vertices, np.column_stack([np.full(len(mesh.faces), 3), mesh.faces]).ravel())
    poly.save(str(tmp_path / "binary.vtk"), binary=True)
    for back in (read_mesh(tmp_path / "binary.vtk"), read_mesh(write_mesh(mesh, tmp_path / "femur.obj"))):
        assert len(back.faces) == len(mesh.faces) and is_watertight(back)
        assert back.volume() == pytest.approx(mesh.volume(), rel=1e-5)
        assert np.allclose(_canonical(back)[0], _canonical(mesh)[0], atol=1e-4)
