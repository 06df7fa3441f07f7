"""Local refinement of closed triangle meshes: edges longer than a target length near a point
are split until none is left, new vertices placed on the smooth surface the vertex normals
describe.

Each round splits every marked edge at its midpoint and replaces each triangle by the template
of its split edges (one split edge: 2 triangles; two: 3, the quad cut along its shorter
diagonal; three: 4), so neighbours always agree on their shared edges: the mesh stays closed,
manifold and consistently oriented. The new vertex of an edge p0 p1 with unit vertex normals
n0, n1 is the midpoint of the cubic curve of PN triangles (Vlachos et al. 2001, Proc. ACM I3D
159-166, doi:10.1145/364338.364387):

    m = (p0 + p1) / 2 - (w01 n0 + w10 n1) / 8,   w01 = (p1 - p0) . n0,   w10 = (p0 - p1) . n1,

which lies on a sphere through p0 and p1 whose normals they are to fourth order in the edge
angle (a flat midpoint would sit inside it by the sagitta, edge^2 / (8 radius)).
"""
from __future__ import annotations

import numpy as np

from .landmarks import vertex_normals

MAX_ROUNDS = 8


def edges_of(faces):
    """Unique undirected edges (k, 2) (sorted pairs) and each face's edge ids (m, 3) for its
    local edges (a b, b c, c a)."""
    f = np.asarray(faces, np.int64)
    directed = np.stack([f, np.roll(f, -1, axis=1)], axis=-1).reshape(-1, 2)
    undirected = np.sort(directed, axis=1)
    edges, inverse = np.unique(undirected, axis=0, return_inverse=True)
    return edges, inverse.reshape(-1, 3)


def pn_midpoints(vertices, normals, edges):
    """(k, 3) PN-triangle midpoints of the edges (module docstring)."""
    p0, p1 = vertices[edges[:, 0]], vertices[edges[:, 1]]
    n0, n1 = normals[edges[:, 0]], normals[edges[:, 1]]
    w01 = np.einsum("ij,ij->i", p1 - p0, n0)
    w10 = np.einsum("ij,ij->i", p0 - p1, n1)
    return 0.5 * (p0 + p1) - (w01[:, None] * n0 + w10[:, None] * n1) / 8.0


def _split_round(vertices, faces, marked_edge_mask, edges, face_edges):
    normals = vertex_normals(vertices, faces)
    marked = np.flatnonzero(marked_edge_mask)
    new_index = -np.ones(len(edges), np.int64)
    new_index[marked] = len(vertices) + np.arange(len(marked))
    vertices = np.concatenate([vertices, pn_midpoints(vertices, normals, edges[marked])])
    mid = new_index[face_edges]                       # (m, 3) new vertex on edges ab, bc, ca or -1
    split = mid >= 0
    count = split.sum(axis=1)
    out = [faces[count == 0]]
    # one split edge: rotate so it is a b
    for rot in range(3):
        sel = (count == 1) & split[:, rot]
        if not sel.any():
            continue
        a, b, c = (faces[sel][:, (rot + k) % 3] for k in range(3))
        m0 = mid[sel][:, rot]
        out += [np.stack([a, m0, c], 1), np.stack([m0, b, c], 1)]
    # two split edges: rotate so the unsplit one is c a (split: a b and b c)
    for rot in range(3):
        sel = (count == 2) & ~split[:, (rot + 2) % 3]
        if not sel.any():
            continue
        a, b, c = (faces[sel][:, (rot + k) % 3] for k in range(3))
        m0, m1 = mid[sel][:, rot], mid[sel][:, (rot + 1) % 3]
        out.append(np.stack([m0, b, m1], 1))
        short_a = np.linalg.norm(vertices[a] - vertices[m1], axis=1) <= \
            np.linalg.norm(vertices[m0] - vertices[c], axis=1)
        out += [np.stack([a, m0, m1], 1)[short_a], np.stack([a, m1, c], 1)[short_a],
                np.stack([a, m0, c], 1)[~short_a], np.stack([m0, m1, c], 1)[~short_a]]
    sel = count == 3
    if sel.any():
        a, b, c = faces[sel][:, 0], faces[sel][:, 1], faces[sel][:, 2]
        m0, m1, m2 = mid[sel][:, 0], mid[sel][:, 1], mid[sel][:, 2]
        out += [np.stack([a, m0, m2], 1), np.stack([m0, b, m1], 1), np.stack([m2, m1, c], 1),
                np.stack([m0, m1, m2], 1)]
    return vertices, np.concatenate(out).astype(np.int64)


def refine_near(vertices, faces, centre, radius_mm, max_edge_mm):
    """Split the edges longer than ``max_edge_mm`` whose midpoint lies within ``radius_mm`` of
    ``centre`` until none is left (at most MAX_ROUNDS rounds).

    Parameters
    ----------
    vertices : (n, 3) [mm]; faces : (m, 3) int, closed and consistently oriented
    centre : (3,) [mm]; radius_mm, max_edge_mm : float [mm]

    Returns
    -------
    vertices (n', 3) (the first n unchanged), faces (m', 3)
    """
    v = np.ascontiguousarray(vertices, float)
    f = np.ascontiguousarray(faces, np.int64)
    c = np.asarray(centre, float)
    for _ in range(MAX_ROUNDS):
        edges, face_edges = edges_of(f)
        p0, p1 = v[edges[:, 0]], v[edges[:, 1]]
        long_ = np.linalg.norm(p1 - p0, axis=1) > max_edge_mm
        near = np.linalg.norm(0.5 * (p0 + p1) - c, axis=1) < radius_mm
        marked = long_ & near
        if not marked.any():
            break
        v, f = _split_round(v, f, marked, edges, face_edges)
    return v, f
