"""Mesh files: STL (binary), PLY (binary little-endian; ASCII read too) and legacy VTK (ASCII
POLYDATA), with face regions where the format allows, and a patient's meshes brought into the
contract frames (unit detection, head-centre sphere fit, geometric region labels).

Face regions are stored as the STL attribute word (files with a ``hipsim`` header), a ``region``
face property in PLY and ``CELL_DATA`` scalars ``region`` in VTK. Writes go to a temporary file
in the target folder that is renamed into place, so a failed write never leaves a half file.
"""
from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

import numpy as np

from .errors import InputError
from .morphology import (ACETABULUM_REGIONS, FEMUR_REGIONS, Mesh, _plane_section, _ray_hits_2d,
                         _unit, edge_check)

FORMATS = ("stl", "ply", "vtk", "vtp", "obj")
#: a fitted head radius below this [file units] can only be metres (heads are 15-35 mm)
METRE_THRESHOLD = 1.0
PLAUSIBLE_RADIUS_MM = (8.0, 60.0)


# ----------------------------------------------------------------------------- writing
def _fmt_of(path, fmt=None):
    ext = (fmt or Path(path).suffix.lstrip(".")).lower()
    if ext not in FORMATS:
        raise InputError(path, f"unsupported mesh format {ext!r} (use .stl, .ply, .vtk, .vtp or .obj)")
    return ext


def _encode(mesh, fmt):
    if fmt in ("vtp", "obj"):
        return _encode_with_vtk(mesh, fmt)
    v = np.asarray(mesh.vertices, float)
    f = np.asarray(mesh.faces, np.int64)
    reg = np.asarray(mesh.face_region).astype(np.int64)
    if fmt == "stl":
        tri = v[f]
        nrm = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-30)
        rec = np.zeros(len(f), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
        rec["n"], rec["v"], rec["a"] = nrm, tri, reg
        header = f"hipsim mesh {mesh.name} regions in attribute".encode()[:80].ljust(80, b" ")
        return header + struct.pack("<I", len(f)) + rec.tobytes()
    if fmt == "ply":
        head = ("ply\nformat binary_little_endian 1.0\n"
                f"comment hipsim mesh {mesh.name}\n"
                f"element vertex {len(v)}\nproperty double x\nproperty double y\nproperty double z\n"
                f"element face {len(f)}\nproperty list uchar int vertex_indices\n"
                "property uchar region\nend_header\n").encode()
        rec = np.zeros(len(f), dtype=[("c", "u1"), ("i", "<i4", 3), ("r", "u1")])
        rec["c"], rec["i"], rec["r"] = 3, f, reg
        return head + v.astype("<f8").tobytes() + rec.tobytes()
    lines = ["# vtk DataFile Version 3.0", f"hipsim mesh {mesh.name}", "ASCII",
             "DATASET POLYDATA", f"POINTS {len(v)} double"]
    lines += [f"{a!r} {b!r} {c!r}" for a, b, c in v.tolist()]
    lines.append(f"POLYGONS {len(f)} {4 * len(f)}")
    lines += [f"3 {a} {b} {c}" for a, b, c in f.tolist()]
    lines += [f"CELL_DATA {len(f)}", "SCALARS region int 1", "LOOKUP_TABLE default"]
    lines += [str(r) for r in reg.tolist()]
    return ("\n".join(lines) + "\n").encode()


def polydata(vertices, faces, region=None):
    """A pyvista PolyData of a triangle mesh, vertices (k, 3) and faces (m, 3), with its
    ``region`` labels (m,) as cell data when given."""
    import pyvista as pv
    faces = np.asarray(faces, np.int64)
    mesh = pv.PolyData(np.asarray(vertices), np.column_stack([np.full(len(faces), 3), faces]).ravel())
    if region is not None:
        mesh.cell_data["region"] = np.asarray(region, np.int8)
    return mesh


def _encode_with_vtk(mesh, fmt):
    """The bytes of a VTK XML PolyData (``region`` as cell data) or Wavefront OBJ file (no
    region labels: OBJ has no cell data) of ``mesh``, written by VTK through pyvista."""
    poly = polydata(np.asarray(mesh.vertices, float), mesh.faces, mesh.face_region)
    with tempfile.TemporaryDirectory(prefix="hipsim-mesh-") as folder:
        path = Path(folder) / f"{mesh.name}.{fmt}"
        poly.save(str(path), binary=True)
        return path.read_bytes()


def staged_write(path, data):
    """Write ``data`` (bytes) to a temporary file beside ``path`` with a user file's usual
    permissions and return its name: the caller renames it onto ``path`` (``os.replace``) once
    everything it writes is complete, so nothing half-written ever carries the final name."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)        # mkstemp makes 0600; give the usual permissions
        return tmp
    except BaseException:
        os.unlink(tmp)
        raise


def write_mesh(mesh, path, fmt=None):
    """Write a :class:`~hipsim.morphology.Mesh` to ``path`` (format from ``fmt`` or the extension).

    Returns
    -------
    pathlib.Path
    """
    fmt = _fmt_of(path, fmt)
    tmp = staged_write(path, _encode(mesh, fmt))
    os.replace(tmp, path)
    return Path(path)


def write_meshes(hip_geometry, outdir, fmt="stl"):
    """Write ``femur.<fmt>`` and ``acetabulum.<fmt>`` of a HipGeometry into ``outdir``.

    Both files are written to temporaries first and renamed only when both succeeded.

    Returns
    -------
    list of pathlib.Path, [femur, acetabulum]
    """
    if str(fmt).lower() not in FORMATS:
        raise InputError("--format", f"must be one of {', '.join(FORMATS)}, not {fmt!r}")
    fmt = str(fmt).lower()
    outdir = Path(outdir)
    created = not outdir.exists()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(outdir, f"cannot create the output folder ({exc.strerror or exc})")
    items = [(hip_geometry.femur, outdir / f"femur.{fmt}"),
             (hip_geometry.acetabulum, outdir / f"acetabulum.{fmt}")]
    tmps = []
    try:
        for mesh, path in items:
            tmps.append(staged_write(path, _encode(mesh, fmt)))
    except BaseException:
        for t in tmps:
            os.unlink(t)
        if created:
            try:
                outdir.rmdir()
            except OSError:
                pass
        raise
    for tmp, (_, path) in zip(tmps, items):
        os.replace(tmp, path)
    return [p for _, p in items]


# ----------------------------------------------------------------------------- reading
def _merge(tri):
    """(m,3,3) triangle soup -> vertices, faces (exact duplicate vertices merged)."""
    pts = tri.reshape(-1, 3)
    verts, inv = np.unique(pts, axis=0, return_inverse=True)
    return verts.astype(float), inv.reshape(-1, 3).astype(np.int64)


def _read_stl(path, data):
    if len(data) >= 84:
        (n,) = struct.unpack("<I", data[80:84])
        if 84 + 50 * n == len(data):
            rec = np.frombuffer(data, dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")],
                                count=n, offset=84)
            verts, faces = _merge(rec["v"].astype(float))
            reg = rec["a"].astype(np.int8) if data[:6] == b"hipsim" else np.zeros(n, np.int8)
            return verts, faces, reg
    text = data.decode("ascii", errors="strict") if data[:5].lower() == b"solid" else None
    if text is None:
        raise InputError(path, "not a valid STL file (neither binary nor ASCII STL)")
    vals = [line.split()[1:] for line in text.splitlines() if line.strip().startswith("vertex")]
    if len(vals) % 3:
        raise InputError(path, "ASCII STL facets must have three vertices")
    tri = np.array(vals, float).reshape(-1, 3, 3)
    verts, faces = _merge(tri)
    return verts, faces, np.zeros(len(faces), np.int8)


_PLY_TYPES = {"char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2",
              "int16": "i2", "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4",
              "uint": "u4", "uint32": "u4", "float": "f4", "float32": "f4", "double": "f8",
              "float64": "f8"}


def _read_ply(path, data):
    end = data.find(b"end_header")
    if not data.startswith(b"ply") or end < 0:
        raise InputError(path, "not a PLY file (missing 'ply' / 'end_header')")
    body = data[data.index(b"\n", end) + 1:]
    header = data[:end].decode("ascii").splitlines()
    fmt, elements = None, []
    for line in header:
        w = line.split()
        if not w:
            continue
        if w[0] == "format":
            fmt = w[1]
        elif w[0] == "element":
            elements.append([w[1], int(w[2]), []])
        elif w[0] == "property":
            if w[1] == "list":
                elements[-1][2].append((w[4], "list", _PLY_TYPES[w[2]], _PLY_TYPES[w[3]]))
            else:
                elements[-1][2].append((w[2], _PLY_TYPES[w[1]], None, None))
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise InputError(path, f"unsupported PLY format {fmt!r}")
    out = {}
    if fmt == "ascii":
        tokens = body.decode("ascii").split()
        pos = 0
        for name, count, props in elements:
            rows = []
            for _ in range(count):
                row = {}
                for pname, kind, ct, it in props:
                    if kind == "list":
                        k = int(tokens[pos])
                        row[pname] = [float(x) for x in tokens[pos + 1:pos + 1 + k]]
                        pos += 1 + k
                    else:
                        row[pname] = float(tokens[pos])
                        pos += 1
                rows.append(row)
            out[name] = rows
        v = np.array([[r["x"], r["y"], r["z"]] for r in out.get("vertex", [])], float)
        polys = [r["vertex_indices"] for r in out.get("face", [])]
        reg = [int(r.get("region", 0)) for r in out.get("face", [])]
    else:
        e = "<" if fmt == "binary_little_endian" else ">"
        off = 0
        v, polys, reg = None, [], []
        for name, count, props in elements:
            lists = [p for p in props if p[1] == "list"]
            if not lists:
                dt = np.dtype([(p[0], e + p[1]) for p in props])
                arr = np.frombuffer(body, dtype=dt, count=count, offset=off)
                off += dt.itemsize * count
                if name == "vertex":
                    v = np.stack([arr["x"], arr["y"], arr["z"]], -1).astype(float)
                continue
            # assume triangles (count 3) for a fast structured read, verify, else parse slowly
            fields = []
            for p in props:
                if p[1] == "list":
                    fields += [(p[0] + "_n", e + p[2]), (p[0], e + p[3], 3)]
                else:
                    fields.append((p[0], e + p[1]))
            dt = np.dtype(fields)
            arr = np.frombuffer(body, dtype=dt, count=count, offset=off) \
                if len(body) - off >= dt.itemsize * count else None
            if arr is not None and np.all(arr["vertex_indices_n"] == 3):
                off += dt.itemsize * count
                if name == "face":
                    polys = arr["vertex_indices"].astype(np.int64)
                    reg = arr["region"] if "region" in arr.dtype.names else np.zeros(count)
                continue
            rows, rr = [], []
            for _ in range(count):
                row = {}
                for p in props:
                    if p[1] == "list":
                        ct, it = np.dtype(e + p[2]), np.dtype(e + p[3])
                        k = int(np.frombuffer(body, ct, 1, off)[0])
                        off += ct.itemsize
                        row[p[0]] = np.frombuffer(body, it, k, off).tolist()
                        off += it.itemsize * k
                    else:
                        t = np.dtype(e + p[1])
                        row[p[0]] = np.frombuffer(body, t, 1, off)[0]
                        off += t.itemsize
                rows.append(row["vertex_indices"])
                rr.append(int(row.get("region", 0)))
            if name == "face":
                polys, reg = rows, rr
    if v is None or len(v) == 0:
        raise InputError(path, "the PLY file has no vertices")
    faces, freg = [], []
    for poly, r in zip(polys, reg):
        poly = list(poly)
        for k in range(1, len(poly) - 1):  # fan triangulation of polygons
            faces.append((poly[0], poly[k], poly[k + 1]))
            freg.append(r)
    return v, np.array(faces, np.int64).reshape(-1, 3), np.array(freg, np.int64).astype(np.int8)


def _read_vtk(path, data):
    head = data[:256].split(b"\n")
    if len(head) < 4 or not head[0].startswith(b"# vtk DataFile"):
        raise InputError(path, "not a legacy VTK file (missing '# vtk DataFile' header)")
    if head[2].strip().upper() != b"ASCII":
        return _read_with_vtk(path, data)          # binary legacy VTK (pyvista's default)
    text = data.decode("ascii")
    lines = text.splitlines()
    if "POLYDATA" not in lines[3].upper():
        raise InputError(path, "the VTK file must be DATASET POLYDATA")
    tok = " ".join(lines[4:]).split()
    i, v, polys, reg = 0, None, [], None
    while i < len(tok):
        key = tok[i].upper()
        if key == "POINTS":
            n = int(tok[i + 1])
            v = np.array(tok[i + 3:i + 3 + 3 * n], float).reshape(n, 3)
            i += 3 + 3 * n
        elif key in ("POLYGONS", "TRIANGLE_STRIPS"):
            m, size = int(tok[i + 1]), int(tok[i + 2])
            vals = np.array(tok[i + 3:i + 3 + size], np.int64)
            j = 0
            for _ in range(m):
                k = int(vals[j])
                polys.append(vals[j + 1:j + 1 + k].tolist())
                j += 1 + k
            i += 3 + size
        elif key == "CELL_DATA":
            m = int(tok[i + 1])
            i += 2
            if i < len(tok) and tok[i].upper() == "SCALARS":
                name = tok[i + 1]
                i += 4 if tok[i + 3].isdigit() else 3
                if i < len(tok) and tok[i].upper() == "LOOKUP_TABLE":
                    i += 2
                vals = np.array(tok[i:i + m], float)
                if name == "region":
                    reg = vals.astype(np.int64)
                i += m
        else:
            i += 1
    if v is None:
        raise InputError(path, "the VTK file has no POINTS")
    reg = np.zeros(len(polys), np.int64) if reg is None else reg
    faces, freg = [], []
    for poly, r in zip(polys, reg):
        for k in range(1, len(poly) - 1):
            faces.append((poly[0], poly[k], poly[k + 1]))
            freg.append(r)
    return v, np.array(faces, np.int64).reshape(-1, 3), np.array(freg).astype(np.int8)


def _read_with_vtk(path, data):
    """Vertices, triangles and region labels of a mesh file VTK reads (binary legacy VTK, VTK
    XML PolyData, OBJ) through pyvista; polygons triangulated, lines and vertices dropped.
    VTK's own messages are silenced: a file it cannot read is one InputError."""
    import pyvista as pv
    import vtk
    display = vtk.vtkObject.GetGlobalWarningDisplay()
    vtk.vtkObject.GlobalWarningDisplayOff()
    try:
        mesh = pv.read(str(path))
    finally:
        vtk.vtkObject.SetGlobalWarningDisplay(display)
    if not isinstance(mesh, pv.PolyData):
        mesh = mesh.extract_surface()
    if mesh.n_points == 0 or len(mesh.faces) == 0:
        raise InputError(path, "VTK found no surface triangles in the file")
    mesh = mesh.triangulate()
    faces = mesh.regular_faces
    region = mesh.cell_data["region"] if "region" in mesh.cell_data else np.zeros(len(faces))
    return np.asarray(mesh.points, float), np.asarray(faces, np.int64), np.asarray(region).astype(np.int8)


def read_mesh(path, name=None):
    """Read an STL, PLY, VTK (ASCII or binary), VTP or OBJ triangle mesh (polygons are
    triangulated; region labels from a ``region`` cell array where the format has one).

    Parameters
    ----------
    path : str or Path
    name : str, mesh name (default from the file's ``hipsim`` header, else the file stem)

    Returns
    -------
    Mesh (regions as stored in the file, else all 0)

    Raises
    ------
    InputError
        Wrong extension, unreadable, garbage or empty files, indices out of range, NaN.
    """
    fmt = _fmt_of(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read mesh ({exc.strerror or exc})")
    if not data.strip():
        raise InputError(path, "the mesh file is empty")
    try:
        reader = {"stl": _read_stl, "ply": _read_ply, "vtk": _read_vtk, "vtp": _read_with_vtk,
                  "obj": _read_with_vtk}[fmt]
        v, f, reg = reader(path, data)
    except InputError:
        raise
    except Exception as exc:  # any parse failure of a damaged file
        raise InputError(path, f"cannot parse the {fmt.upper()} file ({type(exc).__name__}: {exc})")
    if len(f) == 0 or len(v) == 0:
        raise InputError(path, "the mesh has no triangles")
    if not np.all(np.isfinite(v)):
        raise InputError(path, "the mesh has non-finite vertex coordinates")
    if f.min() < 0 or f.max() >= len(v):
        raise InputError(path, "face vertex indices out of range")
    if name is None:
        head = data[:200]
        name = Path(path).stem
        for cand in ("femur", "acetabulum"):
            if b"hipsim mesh " + cand.encode() in head:
                name = cand
    return Mesh(np.ascontiguousarray(v, float), np.ascontiguousarray(f, np.int64),
                np.ascontiguousarray(reg, np.int8), name)


# ----------------------------------------------------------------------------- patient meshes
def fit_sphere(points):
    """Least-squares sphere through points: algebraic fit refined geometrically (scipy).

    Parameters
    ----------
    points : (n, 3) float, n >= 4

    Returns
    -------
    centre (3,), radius float
    """
    from scipy.optimize import least_squares
    p = np.asarray(points, float)
    A = np.c_[2 * p, np.ones(len(p))]
    b = (p * p).sum(1)
    sol, *_ = np.linalg.lstsq(A, b, rcond=None)
    c0 = sol[:3]
    r0 = np.sqrt(max(sol[3] + c0 @ c0, 1e-12))
    res = least_squares(lambda x: np.linalg.norm(p - x[:3], axis=1) - x[3], np.r_[c0, r0],
                        method="lm")
    return res.x[:3], float(abs(res.x[3]))


def vertex_normals(mesh):
    """(n, 3) area-weighted unit vertex normals."""
    v, f = mesh.vertices, mesh.faces
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    vn = np.zeros_like(v)
    for k in range(3):
        np.add.at(vn, f[:, k], fn)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-30)


def fit_head_sphere(mesh, kind, seed=0):
    """Centre and radius (file units) of the articular sphere: the convex femoral head or the
    concave acetabular socket.

    RANSAC on pairs of vertices with normals (the sphere centre lies along each normal, outward
    for the socket, inward for the head), scored by vertices within 2 % of the radius whose
    normals point along the radius; for the femur only the proximal half (largest y) is searched.
    The best candidate is refined by :func:`fit_sphere` on its inliers, last with a tolerance
    of 3 x the median absolute residual.

    Returns
    -------
    centre (3,), radius float, inlier vertex mask (n,)
    """
    rng = np.random.default_rng(seed)
    v, nrm = mesh.vertices, vertex_normals(mesh)
    sign = 1.0 if kind == "acetabulum" else -1.0   # centre = p + sign * R * n
    diag = float(np.linalg.norm(v.max(0) - v.min(0)))
    cand = np.arange(len(v))
    if kind == "femur":
        y = v[:, 1]
        cand = cand[y > y.max() - 0.5 * (y.max() - y.min())]
    if len(cand) < 8:
        raise InputError(mesh.name, "too few vertices to fit the articular sphere")
    i = rng.choice(cand, 3000)
    j = rng.choice(cand, 3000)
    p1, n1, p2, n2 = v[i], sign * nrm[i], v[j], sign * nrm[j]
    # closest points of the lines p1 + t n1 and p2 + s n2
    w0 = p1 - p2
    b = np.einsum("ij,ij->i", n1, n2)
    d = np.einsum("ij,ij->i", n1, w0)
    e = np.einsum("ij,ij->i", n2, w0)
    den = 1 - b * b
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (b * e - d) / den
        s = (e - b * d) / den
    ok = (den > 0.05) & (t > 0.01 * diag) & (s > 0.01 * diag) & \
        (np.abs(t - s) < 0.05 * np.maximum(t, s)) & (t < 0.6 * diag)
    if not ok.any():
        raise InputError(mesh.name, "no spherical articular surface found")
    centres = 0.5 * (p1[ok] + t[ok, None] * n1[ok] + p2[ok] + s[ok, None] * n2[ok])
    radii = 0.5 * (t[ok] + s[ok])
    if len(centres) > 300:
        pick = rng.choice(len(centres), 300, replace=False)
        centres, radii = centres[pick], radii[pick]

    def inliers(c, r, tol=0.02):
        dv = v - c
        dist = np.linalg.norm(dv, axis=1)
        radial = np.einsum("ij,ij->i", dv, -sign * nrm) / np.maximum(dist, 1e-30)
        return (np.abs(dist - r) < tol * r) & (radial > 0.9)

    scores = [inliers(c, r).sum() for c, r in zip(centres, radii)]
    k = int(np.argmax(scores))
    c, r = centres[k], radii[k]
    for _ in range(3):
        m = inliers(c, r)
        if m.sum() < 8:
            raise InputError(mesh.name, "no spherical articular surface found")
        c, r = fit_sphere(v[m])
    # final pass: tolerance adapted to the surface noise (3 x the median absolute residual)
    m = inliers(c, r)
    res = np.abs(np.linalg.norm(v[m] - c, axis=1) - r)
    tol = max(3 * np.median(res), 0.002 * r) / r
    m2 = inliers(c, r, min(tol, 0.02))
    if m2.sum() >= 8:
        c, r = fit_sphere(v[m2])
    return c, r, inliers(c, r)


def check_closed(mesh, path):
    """InputError naming ``path`` unless the mesh is watertight and consistently oriented."""
    closed, manifold, oriented = edge_check(mesh.faces)
    if not closed:
        raise InputError(path, "the mesh is not watertight (some edges are not shared by exactly "
                               "two triangles)")
    if not oriented:
        raise InputError(path, "the mesh's triangles are not consistently oriented")


def estimate_neck_axis(femur):
    """Neck axis of a femur Mesh centred on its head: opposite the mean direction of the head's
    spherical cap (unit, femur frame, from the centre toward the neck base)."""
    v = femur.vertices
    d = np.linalg.norm(v, axis=1)
    labelled = femur.faces[femur.face_region == FEMUR_REGIONS["head"]]
    if len(labelled):
        head = np.zeros(len(v), bool)
        head[labelled.ravel()] = True
    else:
        R = np.median(d[d < np.percentile(d, 10) * 1.5])
        head = np.abs(d - R) < 0.02 * R
    return _unit(-(v[head] / d[head, None]).mean(0))


def estimate_rim(acet, n_clock=72):
    """Acetabular axis and rim polyline of an acetabulum Mesh centred on its socket.

    The axis is opposite the mean direction of the socket's spherical surface; the rim is, in
    each meridian plane around the axis, the first bone hit by rays from the centre swept from
    the axis outward (where the opening ends).

    Returns
    -------
    axis (3,), rim_points (n_clock, 3) [mm]
    """
    from .morphology import _X, _Y
    v = acet.vertices
    lun = acet.face_region == ACETABULUM_REGIONS["lunate"]
    cen = v[acet.faces[lun]].mean(1)
    a = _unit(-_unit(cen).mean(0))
    e1 = _unit(_Y - (_Y @ a) * a)
    e2 = np.cross(a, e1)
    if e2 @ _X < 0:
        e2 = -e2
    R = np.median(np.linalg.norm(cen, axis=1))
    rim = []
    for phi in np.linspace(0, 2 * np.pi, n_clock, endpoint=False):
        u = np.cos(phi) * e1 + np.sin(phi) * e2
        segs = _plane_section(acet, np.zeros(3), np.cross(a, u))
        s2 = np.stack([segs @ a, segs @ u], -1)
        s2 = s2[(s2[..., 1] > 0).any(1)]
        psi = np.radians(np.arange(0.0, 170.0, 0.5))
        t = _ray_hits_2d(s2, psi).min(1)
        hit = np.nonzero(t < 3 * R)[0]
        k = hit[0] if len(hit) else len(psi) - 1
        rim.append(t[k] * (np.cos(psi[k]) * a + np.sin(psi[k]) * u) if np.isfinite(t[k])
                   else R * (np.cos(psi[k]) * a + np.sin(psi[k]) * u))
    return a, np.array(rim)


def _label_femur(v, f, R):
    cen = v[f].mean(1)
    d = np.linalg.norm(cen, axis=1)
    reg = np.full(len(f), FEMUR_REGIONS["shaft"], np.int8)
    reg[d < 2.2 * R] = FEMUR_REGIONS["neck"]
    troch = (d >= 1.6 * R) & (cen[:, 1] > -1.5 * R) & (cen[:, 2] > 0.8 * R)
    reg[troch] = FEMUR_REGIONS["trochanter"]
    reg[d < 1.35 * R] = FEMUR_REGIONS["head_neck_junction"]
    reg[np.abs(d - R) < 0.03 * R] = FEMUR_REGIONS["head"]
    return reg


def _label_acetabulum(v, f, R):
    cen = v[f].mean(1)
    d = np.linalg.norm(cen, axis=1)
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    inward = np.einsum("ij,ij->i", _unit(fn), -_unit(cen)) > 0.8
    reg = np.full(len(f), ACETABULUM_REGIONS["outer"], np.int8)
    reg[d < R + 8.0] = ACETABULUM_REGIONS["rim"]
    reg[(np.abs(d - R) < 0.04 * R) & inward] = ACETABULUM_REGIONS["lunate"]
    return reg


def load_patient_mesh(path, kind):
    """A patient's femur or acetabulum (pelvis) mesh in the contract frame.

    The file is assumed to be in the femur / pelvis axes already (x anterior, y superior,
    z lateral); it is scaled to mm (a fitted articular radius below 1 file unit means metres),
    translated so the fitted head / socket centre is the origin, and given geometric region
    labels (head / lunate: faces on the fitted sphere; junction and rim next to it; the rest by
    distance from the centre).

    Parameters
    ----------
    path : str or Path, .stl / .ply / .vtk / .vtp / .obj
    kind : 'femur' or 'acetabulum'

    Returns
    -------
    Mesh

    Raises
    ------
    InputError
        Unreadable, empty, garbage or non-watertight files; no plausible articular sphere.
    """
    if kind not in ("femur", "acetabulum"):
        raise ValueError("kind must be 'femur' or 'acetabulum'")
    mesh = read_mesh(path, name=kind)
    check_closed(mesh, path)
    try:
        c, r, _ = fit_head_sphere(mesh, kind)
    except InputError as exc:
        raise InputError(path, exc.message) from None
    scale = 1000.0 if r < METRE_THRESHOLD else 1.0
    r_mm = r * scale
    if not (PLAUSIBLE_RADIUS_MM[0] <= r_mm <= PLAUSIBLE_RADIUS_MM[1]):
        raise InputError(path, f"fitted {'head' if kind == 'femur' else 'socket'} radius "
                               f"{r_mm:.1f} mm is implausible (units must be mm or m)")
    v = (mesh.vertices - c) * scale
    f = mesh.faces
    reg = _label_femur(v, f, r_mm) if kind == "femur" else _label_acetabulum(v, f, r_mm)
    out = Mesh(np.ascontiguousarray(v), f, reg, kind)
    if out.volume() <= 0:
        raise InputError(path, "the mesh's triangles face inward (negative volume)")
    return out
