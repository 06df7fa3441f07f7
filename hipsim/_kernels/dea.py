"""Numba kernels of the discrete element analysis (DEA) of cartilage contact pressure.

Model (Genda et al. 2001, J Biomech 34:895, doi:10.1016/S0021-9290(01)00041-0; Abraham et al.
2013, J Biomech 46:1121, doi:10.1016/j.jbiomech.2013.01.010): the acetabular cartilage is a bed of
compression-only springs, one per surface element, normal to the surface; the femoral head is
rigid. Element i has a reference point x_i on the acetabular bone, a unit normal n_i pointing
into the joint, an area A_i. With the head articular surface locally a sphere of radius rho_i
about the head centre d, the spring length is the distance s_i = |x_i - d| - rho_i from x_i to
that sphere (radial springs: the head's closest point, which also holds where a real socket's
normals tilt away from the head), and the deformation is delta_i = h_i - s_i (h_i the element's cartilage thickness). Pressure (Li
et al. 1997, the linear-elastic layer of the DEA papers):

    p_i = K delta_i / h_i  for delta_i > 0, else 0,   K = E (1 - nu) / ((1 + nu) (1 - 2 nu)).

The head displacement d balances the contact force F the head applies to the acetabulum:
sum_i p_i A_i max(0, -n_i . u_i) u_i = F (u_i the unit radial direction of element i), solved by
Newton's method on that residual (its exact Jacobian) with a backtracking line search on its
norm and steps capped at half a layer, warm-started from the previous frame. Where a step fails
(a kink: springs about to engage; a nearly singular Jacobian: the head free to roll), the springs
near contact join the Jacobian, then Levenberg-Marquardt damping grows; a frame that still fails
is solved again from the centred head, and flagged if that fails too.

Units: mm, N, MPa (N/mm^2).
"""
from __future__ import annotations

import math

import numpy as np

from numba import prange

from .._numba import njit

STACK_SIZE = 128
#: a spring compressed by less than this [mm] (rounding) is not in contact
CONTACT_EPS_MM = 1e-9
#: with fewer springs in contact the Newton step is capped (a nearly singular Jacobian)
FEW_SPRINGS = 30
#: springs within this fraction of their thickness of engaging count in the Newton Jacobian
NEAR_CONTACT = 0.02
#: Levenberg-Marquardt levels tried when Newton's step fails (:func:`_damped_step`)
DAMPING_LEVELS = 6

# status codes of a frame (see hipsim.pressure.STATUS_MEANINGS)
OK = 0
NOT_CONVERGED = 1
CARTILAGE_CRUSHED = 2
NO_SUPPORT = 3


# ----------------------------------------------------------------------------- head shape
@njit
def _ray_triangle(ox, oy, oz, dx, dy, dz, t):
    """Distance along the ray o + s d to triangle t (3, 3) (Moller & Trumbore 1997), inf if none."""
    e1x, e1y, e1z = t[1, 0] - t[0, 0], t[1, 1] - t[0, 1], t[1, 2] - t[0, 2]
    e2x, e2y, e2z = t[2, 0] - t[0, 0], t[2, 1] - t[0, 1], t[2, 2] - t[0, 2]
    px, py, pz = dy * e2z - dz * e2y, dz * e2x - dx * e2z, dx * e2y - dy * e2x
    det = e1x * px + e1y * py + e1z * pz
    if abs(det) < 1e-14:
        return np.inf
    inv = 1.0 / det
    tx, ty, tz = ox - t[0, 0], oy - t[0, 1], oz - t[0, 2]
    u = (tx * px + ty * py + tz * pz) * inv
    if u < 0.0 or u > 1.0:
        return np.inf
    qx, qy, qz = ty * e1z - tz * e1y, tz * e1x - tx * e1z, tx * e1y - ty * e1x
    v = (dx * qx + dy * qy + dz * qz) * inv
    if v < 0.0 or u + v > 1.0:
        return np.inf
    s = (e2x * qx + e2y * qy + e2z * qz) * inv
    return s if s > 0.0 else np.inf


@njit
def first_hit(ox, oy, oz, dx, dy, dz, bmin, bmax, left, right, start, count, tri, stack):
    """Distance to the first triangle hit by the ray o + s d (s > 0) through a BVH (the arrays of
    :class:`hipsim.impingement.BVH`); inf when the ray misses."""
    return first_hit_slot(ox, oy, oz, dx, dy, dz, bmin, bmax, left, right, start, count, tri, stack, np.inf, -1,
                          np.zeros(0, np.bool_))[0]


@njit
def first_hit_slot(ox, oy, oz, dx, dy, dz, bmin, bmax, left, right, start, count, tri, stack, best, best_slot,
                   only):
    """(distance, slot) of the first triangle hit by the ray o + s d nearer than ``best`` (else
    ``best``, ``best_slot``), visiting only the nodes flagged in ``only`` (N,) (all when empty)."""
    ix = 1.0 / dx if dx != 0.0 else 1e300
    iy = 1.0 / dy if dy != 0.0 else 1e300
    iz = 1.0 / dz if dz != 0.0 else 1e300
    every = only.shape[0] == 0
    if not every and not only[0]:
        return best, best_slot
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        t1, t2 = (bmin[node, 0] - ox) * ix, (bmax[node, 0] - ox) * ix
        lo, hi = min(t1, t2), max(t1, t2)
        t1, t2 = (bmin[node, 1] - oy) * iy, (bmax[node, 1] - oy) * iy
        lo, hi = max(lo, min(t1, t2)), min(hi, max(t1, t2))
        t1, t2 = (bmin[node, 2] - oz) * iz, (bmax[node, 2] - oz) * iz
        lo, hi = max(lo, min(t1, t2)), min(hi, max(t1, t2))
        if hi < max(lo, 0.0) or lo > best:
            continue
        n = count[node]
        if n > 0:
            for s in range(start[node], start[node] + n):
                d = _ray_triangle(ox, oy, oz, dx, dy, dz, tri[s])
                if d < best:
                    best, best_slot = d, s
        elif top + 2 <= stack.shape[0]:
            a, b = left[node], right[node]
            if every or only[a]:
                stack[top] = a
                top += 1
            if every or only[b]:
                stack[top] = b
                top += 1
    return best, best_slot


@njit
def cube_direction(face, s, t):
    """Unit direction of cube-map face ``face`` (0..5: +x, -x, +y, -y, +z, -z) at face
    coordinates s, t in [-1, 1]."""
    if face == 0:
        x, y, z = 1.0, s, t
    elif face == 1:
        x, y, z = -1.0, s, t
    elif face == 2:
        x, y, z = s, 1.0, t
    elif face == 3:
        x, y, z = s, -1.0, t
    elif face == 4:
        x, y, z = s, t, 1.0
    else:
        x, y, z = s, t, -1.0
    n = math.sqrt(x * x + y * y + z * z)
    return x / n, y / n, z / n


@njit(parallel=True)
def radial_table(n, bmin, bmax, left, right, start, count, tri, skip_axis, skip_cos):
    """Cube map (6, n, n) of the distance from the origin (head centre) to the surface along
    the direction of each texel centre (first hit; inf where a ray misses) and the slot of the
    triangle hit (-1: none); texels whose direction is within acos(skip_cos) of ``skip_axis``
    (3,) are not cast (NaN); threads over rows."""
    return radial_table_update(n, bmin, bmax, left, right, start, count, tri, skip_axis, skip_cos,
                               np.zeros(0, np.bool_), np.zeros(0, np.bool_), np.empty((0, 0, 0)),
                               np.empty((0, 0, 0), np.int64))


@njit(parallel=True)
def radial_table_update(n, bmin, bmax, left, right, start, count, tri, skip_axis, skip_cos, dirty, slot_moved,
                        old_table, old_slot):
    """:func:`radial_table` of a BVH refitted from the one that gave ``old_table`` / ``old_slot``
    (same skip cone), where only the triangles of ``slot_moved`` (M,) moved (``dirty`` (N,): the
    nodes above them). A texel whose old triangle stayed keeps it unless a moved triangle now
    lies nearer, so only the dirty part of the tree is searched for it; a texel whose triangle
    moved is cast again in full. Exact: the same table as a fresh cast. Empty ``dirty``: cast
    every texel."""
    table = np.empty((6, n, n))
    slot = np.full((6, n, n), -1, np.int64)
    fresh = dirty.shape[0] == 0
    none = np.zeros(0, np.bool_)
    for row in prange(6 * n):
        stack = np.empty(STACK_SIZE, np.int64)
        f, i = row // n, row % n
        s = -1.0 + (2.0 * i + 1.0) / n
        for j in range(n):
            t = -1.0 + (2.0 * j + 1.0) / n
            dx, dy, dz = cube_direction(f, s, t)
            if dx * skip_axis[0] + dy * skip_axis[1] + dz * skip_axis[2] > skip_cos:
                table[f, i, j] = np.nan
                continue
            if fresh:
                d, k = first_hit_slot(0.0, 0.0, 0.0, dx, dy, dz, bmin, bmax, left, right, start, count, tri, stack,
                                      np.inf, -1, none)
            else:
                k0 = old_slot[f, i, j]
                if k0 >= 0 and slot_moved[k0]:
                    d, k = first_hit_slot(0.0, 0.0, 0.0, dx, dy, dz, bmin, bmax, left, right, start, count, tri,
                                          stack, np.inf, -1, none)
                else:
                    d, k = first_hit_slot(0.0, 0.0, 0.0, dx, dy, dz, bmin, bmax, left, right, start, count, tri,
                                          stack, old_table[f, i, j], k0, dirty)
            table[f, i, j] = d
            slot[f, i, j] = k
    return table, slot


@njit
def cube_lookup(table, x, y, z):
    """Bilinear value of a cube map (6, n, n) in direction (x, y, z) (any length > 0); texels
    are clamped at face borders."""
    ax, ay, az = abs(x), abs(y), abs(z)
    if ax >= ay and ax >= az:
        f = 0 if x > 0.0 else 1
        s, t = y / ax, z / ax
    elif ay >= az:
        f = 2 if y > 0.0 else 3
        s, t = x / ay, z / ay
    else:
        f = 4 if z > 0.0 else 5
        s, t = x / az, y / az
    n = table.shape[1]
    fs = min(max((s + 1.0) * 0.5 * n - 0.5, 0.0), n - 1.0)
    ft = min(max((t + 1.0) * 0.5 * n - 0.5, 0.0), n - 1.0)
    i = min(int(fs), n - 2)
    j = min(int(ft), n - 2)
    a = fs - i
    b = ft - j
    return ((1 - a) * (1 - b) * table[f, i, j] + a * (1 - b) * table[f, i + 1, j]
            + (1 - a) * b * table[f, i, j + 1] + a * b * table[f, i + 1, j + 1])


# ----------------------------------------------------------------------------- the solver
@njit
def _add_outer(m, s, a0, a1, a2, b0, b1, b2):
    """m (3, 3) += s a b^T."""
    m[0, 0] += s * a0 * b0
    m[0, 1] += s * a0 * b1
    m[0, 2] += s * a0 * b2
    m[1, 0] += s * a1 * b0
    m[1, 1] += s * a1 * b1
    m[1, 2] += s * a1 * b2
    m[2, 0] += s * a2 * b0
    m[2, 1] += s * a2 * b1
    m[2, 2] += s * a2 * b2


@njit
def _springs(dx, dy, dz, x, normal, area, rho, h, stiffness, want_jacobian, jac, force, pressure, near=0.0):
    """At head displacement d: each element's pressure [MPa] into ``pressure`` (n_el,), the
    spring force on the acetabulum (3,) into ``force`` and, when asked, its Jacobian
    d force / d d (3, 3) into ``jac``; ``h`` (n_el,) the cartilage thickness of each element [mm].
    With ``near`` > 0 the Jacobian also counts, as if engaged, the springs within ``near`` of
    their thickness of engaging (a stiffer, better conditioned Jacobian for a kink: see
    :func:`solve_frames`).

    Springs are radial: the gap of element i is its distance from the head's centre d less the
    head's radius there, s_i = |x_i - d| - rho_i (the closest point of a locally spherical head
    lies on that line), the pressure acts along u_i = (x_i - d) / |x_i - d| (frictionless
    contact on the head) over the element's area projected on it, A_i max(0, -n_i . u_i).
    Returns (largest deformation over thickness, number of springs in compression)."""
    dmax = -np.inf
    engaged = 0
    force[:] = 0.0
    if want_jacobian:
        jac[:, :] = 0.0
    for i in range(x.shape[0]):
        c = stiffness / h[i]
        qx, qy, qz = x[i, 0] - dx, x[i, 1] - dy, x[i, 2] - dz
        r = math.sqrt(qx * qx + qy * qy + qz * qz)
        pressure[i] = 0.0
        if r <= 0.0:
            continue
        ux, uy, uz = qx / r, qy / r, qz / r
        delta = h[i] - (r - rho[i])
        if delta / h[i] > dmax:
            dmax = delta / h[i]
        if delta <= CONTACT_EPS_MM:
            if want_jacobian and delta > -near * h[i]:
                facing = -(normal[i, 0] * ux + normal[i, 1] * uy + normal[i, 2] * uz)
                if facing > 0.0:
                    _add_outer(jac, c * area[i] * facing, ux, uy, uz, ux, uy, uz)
            continue
        facing = -(normal[i, 0] * ux + normal[i, 1] * uy + normal[i, 2] * uz)
        if facing <= 0.0:
            continue
        engaged += 1
        p = c * delta
        pressure[i] = p
        fa = p * area[i] * facing
        force[0] += fa * ux
        force[1] += fa * uy
        force[2] += fa * uz
        if want_jacobian:
            # F_i = c A (-n.u) delta u: d delta / d d = u, d u / d d = -(I - u u^T) / r and
            # d(-n.u) / d d = (n - (n.u) u) / r
            w = c * area[i] * facing
            t = delta / r
            _add_outer(jac, w * (1.0 + t), ux, uy, uz, ux, uy, uz)
            for k in range(3):
                jac[k, k] -= w * t
            _add_outer(jac, c * area[i] * t, ux, uy, uz, normal[i, 0] + facing * ux,
                       normal[i, 1] + facing * uy, normal[i, 2] + facing * uz)
    return dmax, engaged


@njit
def _gap_along(d, ux, uy, uz, x, rho, h):
    """Least t >= 0 at which a spring engages when the head moves from d by t u (its element
    comes within rho_i + h_i of the head's centre): the smaller root of
    |x_i - d - t u|^2 = (rho_i + h_i)^2; inf when none does."""
    best = np.inf
    for i in range(x.shape[0]):
        qx, qy, qz = x[i, 0] - d[0], x[i, 1] - d[1], x[i, 2] - d[2]
        b = qx * ux + qy * uy + qz * uz
        reach = rho[i] + h[i]
        c = qx * qx + qy * qy + qz * qz - reach * reach
        disc = b * b - c
        if disc < 0.0:
            continue
        t = b - math.sqrt(disc)
        if t < 0.0:
            if c > 0.0:
                continue                 # both roots behind: moving along u never engages it
            t = 0.0                      # already within reach
        if t < best:
            best = t
    return best


@njit
def _det3(a00, a01, a02, a10, a11, a12, a20, a21, a22):
    return a00 * (a11 * a22 - a12 * a21) - a01 * (a10 * a22 - a12 * a20) + a02 * (a10 * a21 - a11 * a20)


@njit
def _solve3(a, r, out):
    """``out`` = x with a x = r for a (3, 3) by Cramer's rule; False when a is singular."""
    det = _det3(a[0, 0], a[0, 1], a[0, 2], a[1, 0], a[1, 1], a[1, 2], a[2, 0], a[2, 1], a[2, 2])
    if not abs(det) > 1e-300:
        return False
    out[0] = _det3(r[0], a[0, 1], a[0, 2], r[1], a[1, 1], a[1, 2], r[2], a[2, 1], a[2, 2]) / det
    out[1] = _det3(a[0, 0], r[0], a[0, 2], a[1, 0], r[1], a[1, 2], a[2, 0], r[2], a[2, 2]) / det
    out[2] = _det3(a[0, 0], a[0, 1], r[0], a[1, 0], a[1, 1], r[1], a[2, 0], a[2, 1], r[2]) / det
    return True


@njit
def _damped_step(jac, r, level, out):
    """Levenberg-Marquardt step ``out`` = (J^T J + mu I)^-1 J^T r, mu = trace(J^T J) / 3 times
    10^(level - DAMPING_LEVELS + 1) (level 1..DAMPING_LEVELS: from nearly Newton to nearly
    steepest descent)."""
    a = np.empty((3, 3))
    g = np.empty(3)
    for i in range(3):
        g[i] = jac[0, i] * r[0] + jac[1, i] * r[1] + jac[2, i] * r[2]
        for j in range(3):
            a[i, j] = jac[0, i] * jac[0, j] + jac[1, i] * jac[1, j] + jac[2, i] * jac[2, j]
    mu = (a[0, 0] + a[1, 1] + a[2, 2]) / 3.0 * 10.0 ** (level - DAMPING_LEVELS + 1)
    for i in range(3):
        a[i, i] += mu
    if not _solve3(a, g, out):
        out[:] = 0.0


@njit
def element_radii(rot, x_unit, table, sphere_radius, sphere_cos, neck_axis, offset, rho):
    """Head articular radius rho_i (n,) [mm] seen by each element in one pose: the femur's radial
    distance (cube map ``table``, femur frame) in the element's direction rotated into the femur
    frame, plus ``offset``; directions more than acos(sphere_cos) from the neck axis lie on the
    spherical head (radius ``sphere_radius``) and skip the lookup."""
    for i in range(x_unit.shape[0]):
        ux, uy, uz = x_unit[i, 0], x_unit[i, 1], x_unit[i, 2]
        fx = rot[0, 0] * ux + rot[1, 0] * uy + rot[2, 0] * uz      # R^T u
        fy = rot[0, 1] * ux + rot[1, 1] * uy + rot[2, 1] * uz
        fz = rot[0, 2] * ux + rot[1, 2] * uy + rot[2, 2] * uz
        if fx * neck_axis[0] + fy * neck_axis[1] + fz * neck_axis[2] < sphere_cos:
            rho[i] = sphere_radius + offset
        else:
            rho[i] = cube_lookup(table, fx, fy, fz) + offset


@njit
def _equilibrium(d, F, x, normal, area, rho, h, stiffness, c, cap, sphere_radius, tol, max_iter,
                 max_disp, jac, force, pressure, trial_force, trial_pressure):
    """Head displacement ``d`` (3,) (in place, from its value on entry) at which the springs
    balance the load F (3,) [N]: Newton's method on the residual with a backtracking line search,
    steps capped at ``cap`` [mm]; where a step fails, the springs near contact join the Jacobian
    and then Levenberg-Marquardt damping grows. ``c``: the mean spring stiffness per area
    [N/mm3]. Leaves ``force``/``pressure`` evaluated at d; returns (status, iterations, largest
    deformation over thickness)."""
    dummy = np.zeros((3, 3))
    trial_jac = np.zeros((3, 3))
    r = np.empty(3)
    step = np.empty(3)
    Fx, Fy, Fz = F[0], F[1], F[2]
    fnorm = math.sqrt(Fx * Fx + Fy * Fy + Fz * Fz)
    st = NOT_CONVERGED
    it = 0
    near = 0.0
    damping = 0
    dmax, eng = _springs(d[0], d[1], d[2], x, normal, area, rho, h, stiffness, True, jac, force, pressure)
    if eng < 3 and fnorm > 0.0:
        # a gap to close first: move the head along the load until its first springs touch
        t = _gap_along(d, Fx / fnorm, Fy / fnorm, Fz / fnorm, x, rho, h)
        if t < np.inf:
            d[0] += (t + 1e-3) * Fx / fnorm
            d[1] += (t + 1e-3) * Fy / fnorm
            d[2] += (t + 1e-3) * Fz / fnorm
            dmax, eng = _springs(d[0], d[1], d[2], x, normal, area, rho, h, stiffness, True, jac, force,
                                 pressure)
    r[0], r[1], r[2] = force[0] - Fx, force[1] - Fy, force[2] - Fz
    rn = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2)
    while True:
        if rn <= tol:
            st = OK
            break
        if it >= max_iter:
            break
        if math.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2) > max_disp:
            st = NO_SUPPORT
            break
        it += 1
        if damping > 0:
            _damped_step(jac, r, damping, step)
        elif not _solve3(jac, r, step) or eng < 3:
            # too few springs engaged to fix the head: move along the residual by the
            # displacement a fully engaged hemisphere would need for it
            scale = rn / (c * 2.0 * math.pi / 3.0 * sphere_radius ** 2)
            step[0], step[1], step[2] = r[0] / rn * scale, r[1] / rn * scale, r[2] / rn * scale
        # trust region (a few springs make a nearly singular Jacobian; a bone overlapping the
        # layer makes the residual far from linear)
        sn = math.sqrt(step[0] ** 2 + step[1] ** 2 + step[2] ** 2)
        if sn > cap:
            step[0], step[1], step[2] = step[0] * cap / sn, step[1] * cap / sn, step[2] * cap / sn
        # d_new = d - lam step, backtracking on |residual|
        lam = 1.0
        accepted = False
        tx, ty, tz = d[0], d[1], d[2]
        tdmax, teng = dmax, eng
        for _ in range(40):
            tx, ty, tz = d[0] - lam * step[0], d[1] - lam * step[1], d[2] - lam * step[2]
            # the full step, usually taken, also gets its Jacobian (no second pass when accepted)
            full = lam == 1.0
            tdmax, teng = _springs(tx, ty, tz, x, normal, area, rho, h, stiffness, full, trial_jac if full else dummy,
                                   trial_force, trial_pressure, near)
            r2 = math.sqrt((trial_force[0] - Fx) ** 2 + (trial_force[1] - Fy) ** 2 + (trial_force[2] - Fz) ** 2)
            if r2 < (1.0 - 1e-4 * lam) * rn:
                accepted = True
                break
            lam *= 0.5
        if not accepted:
            if eng < 3:
                st = NO_SUPPORT                    # no springs can push back along the load
                break
            if near == 0.0:
                # at a kink (springs about to engage) the engaged springs' Jacobian can point
                # nowhere useful: retry with the springs near contact counted in it
                near = NEAR_CONTACT
                _springs(d[0], d[1], d[2], x, normal, area, rho, h, stiffness, True, jac, force, pressure, near)
                continue
            if damping < DAMPING_LEVELS:
                # a nearly singular Jacobian (the head free to roll along a groove): damp the
                # step toward steepest descent
                damping += 1
                continue
            break
        d[0], d[1], d[2] = tx, ty, tz
        if damping > 0:
            damping -= 1
        if lam == 1.0:
            jac[:, :] = trial_jac
            force[:] = trial_force
            pressure[:] = trial_pressure
            dmax, eng = tdmax, teng
        else:
            dmax, eng = _springs(d[0], d[1], d[2], x, normal, area, rho, h, stiffness, True, jac, force, pressure,
                                 near)
        r[0], r[1], r[2] = force[0] - Fx, force[1] - Fy, force[2] - Fz
        rn = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2)
    if st == OK and dmax > 1.0:
        st = CARTILAGE_CRUSHED
    return st, it, dmax


@njit
def solve_frames(rot, load, x, x_unit, normal, area, table, sphere_radius, sphere_cos, neck_axis,
                 offset, h, stiffness, tol_rel, tol_abs, max_iter, max_disp,
                 disp, peak, mean, contact_area, residual, status, iterations, pressure_map):
    """DEA contact pressure of every frame (serial loop, warm-started from the previous frame's
    displacement; a frame that fails from there is solved again from the centred head).

    Parameters
    ----------
    rot : (n_frame, 3, 3) femur -> pelvis rotations; load : (n_frame, 3) [N] force of the head on
        the acetabulum, pelvis frame
    x : (n_el, 3) element reference points on the acetabular bone [mm]; x_unit their directions;
        normal : (n_el, 3) unit, into the joint; area : (n_el,) [mm2]
    table, sphere_radius, sphere_cos, neck_axis, offset : the head shape (:func:`element_radii`)
    h : (n_el,) cartilage thickness of each element [mm]; stiffness : K [MPa]
    tol_rel, tol_abs : convergence when |residual| <= max(tol_rel |F|, tol_abs) [N]
    max_iter : Newton iterations per frame; max_disp : |d| beyond which the head is unsupported [mm]

    Outputs (filled, per frame): disp (3,) [mm], peak / mean [MPa] (mean over the contact area),
    contact_area [mm2], residual [N], status (0 ok, 1 not converged, 2 deformation beyond the
    thickness, 3 no support), iterations (of both attempts); pressure_map (n_frame, n_el) [MPa]
    when its first dimension is n_frame (else untouched).
    """
    n = rot.shape[0]
    m = x.shape[0]
    rho = np.empty(m)
    jac = np.zeros((3, 3))
    force = np.zeros(3)
    trial_force = np.zeros(3)
    pressure = np.zeros(m)
    trial_pressure = np.zeros(m)
    h_mean = 0.0
    a_sum = 0.0
    for i in range(m):
        h_mean += h[i] * area[i]
        a_sum += area[i]
    c = stiffness / (h_mean / a_sum)
    cap = 0.5 * h_mean / a_sum                     # never step more than half a layer
    full_map = pressure_map.shape[0] == n
    d = np.zeros(3)
    for f in range(n):
        element_radii(rot[f], x_unit, table, sphere_radius, sphere_cos, neck_axis, offset, rho)
        F = load[f]
        tol = max(tol_rel * math.sqrt(F[0] ** 2 + F[1] ** 2 + F[2] ** 2), tol_abs)
        warm = d[0] != 0.0 or d[1] != 0.0 or d[2] != 0.0
        st, it, dmax = _equilibrium(d, F, x, normal, area, rho, h, stiffness, c, cap, sphere_radius, tol,
                                    max_iter, max_disp, jac, force, pressure, trial_force, trial_pressure)
        if warm and (st == NOT_CONVERGED or st == NO_SUPPORT):
            d[:] = 0.0
            st, it2, dmax = _equilibrium(d, F, x, normal, area, rho, h, stiffness, c, cap, sphere_radius, tol,
                                         max_iter, max_disp, jac, force, pressure, trial_force, trial_pressure)
            it += it2
        residual[f] = math.sqrt((force[0] - F[0]) ** 2 + (force[1] - F[1]) ** 2 + (force[2] - F[2]) ** 2)
        status[f] = st
        iterations[f] = it
        disp[f, 0], disp[f, 1], disp[f, 2] = d[0], d[1], d[2]
        # summaries of the pressures at the solution (the last full evaluation is at d)
        pk = 0.0
        sum_pa = 0.0
        sum_a = 0.0
        for i in range(m):
            p = pressure[i]
            if full_map:
                pressure_map[f, i] = p
            if p > 0.0:
                pk = max(pk, p)
                sum_pa += p * area[i]
                sum_a += area[i]
        peak[f] = pk
        mean[f] = sum_pa / sum_a if sum_a > 0.0 else 0.0
        contact_area[f] = sum_a
        if st == NO_SUPPORT:
            d[:] = 0.0                             # do not warm-start the next frame from it


@njit
def layer_elements(v, f, faces, element, n_el, around, position, normal, area):
    """The DEA elements of acetabulum faces ``faces`` (k,) grouped into ``element`` (k,) of
    ``n_el``: area-weighted centroid direction at the mean corner radius (``position`` (n_el, 3)),
    the mean of the corners' area-weighted vertex normals over the faces ``around`` them
    (``normal``, unit), summed areas (``area``), all in place."""
    vn = np.zeros((v.shape[0], 3))
    for i in range(around.shape[0]):
        g = around[i]
        a, b, c = f[g, 0], f[g, 1], f[g, 2]
        ux, uy, uz = v[b, 0] - v[a, 0], v[b, 1] - v[a, 1], v[b, 2] - v[a, 2]
        wx, wy, wz = v[c, 0] - v[a, 0], v[c, 1] - v[a, 1], v[c, 2] - v[a, 2]
        nx, ny, nz = 0.5 * (uy * wz - uz * wy), 0.5 * (uz * wx - ux * wz), 0.5 * (ux * wy - uy * wx)
        for corner in range(3):
            p = f[g, corner]
            vn[p, 0] += nx
            vn[p, 1] += ny
            vn[p, 2] += nz
    centroid = np.zeros((n_el, 3))
    radius = np.zeros(n_el)
    position[:, :] = 0.0
    normal[:, :] = 0.0
    area[:] = 0.0
    for i in range(faces.shape[0]):
        g = faces[i]
        e = element[i]
        a, b, c = f[g, 0], f[g, 1], f[g, 2]
        ux, uy, uz = v[b, 0] - v[a, 0], v[b, 1] - v[a, 1], v[b, 2] - v[a, 2]
        wx, wy, wz = v[c, 0] - v[a, 0], v[c, 1] - v[a, 1], v[c, 2] - v[a, 2]
        cx, cy, cz = uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx
        ar = 0.5 * math.sqrt(cx * cx + cy * cy + cz * cz)
        area[e] += ar
        rr = 0.0
        for corner in range(3):
            p = f[g, corner]
            n = math.sqrt(vn[p, 0] ** 2 + vn[p, 1] ** 2 + vn[p, 2] ** 2)
            rr += math.sqrt(v[p, 0] ** 2 + v[p, 1] ** 2 + v[p, 2] ** 2) / 3.0
            for k in range(3):
                centroid[e, k] += ar * v[p, k] / 3.0
                if n > 0.0:
                    normal[e, k] += ar * vn[p, k] / n / 3.0
        radius[e] += ar * rr
    for e in range(n_el):
        cn = math.sqrt(centroid[e, 0] ** 2 + centroid[e, 1] ** 2 + centroid[e, 2] ** 2)
        nn = math.sqrt(normal[e, 0] ** 2 + normal[e, 1] ** 2 + normal[e, 2] ** 2)
        r = radius[e] / area[e] if area[e] > 0.0 else 0.0
        for k in range(3):
            position[e, k] = centroid[e, k] / cn * r if cn > 0.0 else 0.0
            normal[e, k] = normal[e, k] / nn if nn > 0.0 else 0.0
