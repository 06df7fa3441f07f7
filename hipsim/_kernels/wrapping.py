"""Path wrapping over cylinders, as OpenSim's WrapCylinder does it (numba).

Arrays in, arrays out; these kernels never raise and never read module globals.

Decision logic follows OpenSim 4 ``WrapCylinder::wrapLine`` (P. Loan; opensim-core,
``OpenSim/Simulation/Wrap/WrapCylinder.cpp``, Apache-2.0, re-implemented here from its
description): a point inside the radius gives no wrap; an unconstrained cylinder (quadrant
``all``) wraps only when the straight segment passes through it ("mandatory" wrap); a
quadrant-constrained cylinder (e.g. ``-x``) wraps when the segment passes through it with an
end on the allowed side, or when the two ends lie on opposite sides of the constraining plane and
the segment's point nearest the axis lies on the forbidden side; the tangent-point pair and the
long/short way round are chosen with OpenSim's rules; no wrap if both tangent points lie beyond
the cylinder's length.

Geometry: the tangent points in the cross-section are the exact 2-D tangents from each end point
to the circle; their axial positions come from unrolling the cylinder (the path end -> tangent
line -> helix -> tangent line -> end is straight in the developed plane), i.e. the shortest path.
OpenSim reaches the same tangency iteratively (to 0.1 degree) for wraps longer than 4 mm and from
a plane-intersection estimate for shorter ones, so lengths agree to well under a millimetre.
"""
import math

from .._numba import njit

WRAP_INSIDE, WRAP_NONE, WRAP_WRAPPED, WRAP_MANDATORY = -1, 0, 1, 2


@njit
def _dsign(x):
    return 1 if x >= 0.0 else -1


@njit
def wrap_cylinder(p1, p2, radius, length, axis, sign, r1, r2):
    """Wrap the straight segment p1-p2 over a cylinder (its axis = z of its own frame, centred on
    the origin).

    Parameters
    ----------
    p1, p2 : (3,) float, segment ends in the cylinder frame [m]
    radius, length : float [m]
    axis, sign : int, quadrant restriction (axis 0/1/2 = x/y/z, sign -1/+1; sign 0 = none)
    r1, r2 : (3,) float, out, tangent points in the cylinder frame (valid when wrapped)

    Returns
    -------
    code : int
        WRAP_INSIDE (an end is inside the radius), WRAP_NONE, WRAP_WRAPPED, WRAP_MANDATORY
    arc : float
        Length of the helical arc between r1 and r2 [m] (0 if not wrapped).
    """
    rr = radius * radius
    if p1[0] * p1[0] + p1[1] * p1[1] < rr or p2[0] * p2[0] + p2[1] * p2[1] < rr:
        return WRAP_INSIDE, 0.0
    # Closest points between the segment's line and the cylinder axis.
    d0, d1, d2 = p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2]
    a = d0 * d0 + d1 * d1 + d2 * d2
    b = d2
    denom = a - b * b
    if denom <= 1e-13 * a:
        t12 = math.nan
        n0, n1, n2 = math.nan, math.nan, math.nan
        near_d2 = math.nan
    else:
        dd = d0 * p1[0] + d1 * p1[1] + d2 * p1[2]
        e = p1[2]
        t12 = (b * e - dd) / denom
        tz = (a * e - b * dd) / denom
        n0 = p1[0] + t12 * d0
        n1 = p1[1] + t12 * d1
        n2 = p1[2] + t12 * d2
        near_d2 = n0 * n0 + n1 * n1 + (n2 - tz) * (n2 - tz)
    mandatory = near_d2 < rr and t12 > 0.0 and t12 < 1.0
    code = WRAP_WRAPPED
    if sign == 0:
        if mandatory:
            code = WRAP_MANDATORY
        else:
            return WRAP_NONE, 0.0
    # Preliminary (exact 2-D) tangent candidates from each end.
    rho1 = math.sqrt(p1[0] * p1[0] + p1[1] * p1[1])
    rho2 = math.sqrt(p2[0] * p2[0] + p2[1] * p2[1])
    v1x, v1y = p1[0] / rho1, p1[1] / rho1
    v2x, v2y = p2[0] / rho2, p2[1] / rho2
    h1 = radius * radius / rho1
    h2 = radius * radius / rho2
    s1 = math.sqrt(max(rr - h1 * h1, 0.0))
    s2 = math.sqrt(max(rr - h2 * h2, 0.0))
    # r?a = pp + s uu, r?b = pp - s uu with uu = z x v = (-vy, vx).
    r1a0, r1a1 = h1 * v1x - s1 * v1y, h1 * v1y + s1 * v1x
    r1b0, r1b1 = h1 * v1x + s1 * v1y, h1 * v1y - s1 * v1x
    r2a0, r2a1 = h2 * v2x - s2 * v2y, h2 * v2y + s2 * v2x
    r2b0, r2b1 = h2 * v2x + s2 * v2y, h2 * v2y - s2 * v2x
    long_wrap = False
    if sign != 0:
        if _dsign(p1[axis]) == sign or _dsign(p2[axis]) == sign:
            if mandatory:
                code = WRAP_MANDATORY
            else:
                near_ax = n0 if axis == 0 else (n1 if axis == 1 else n2)
                if _dsign(p1[axis]) != _dsign(p2[axis]) and _dsign(near_ax) != sign:
                    code = WRAP_WRAPPED
                else:
                    return WRAP_NONE, 0.0
        # Axis components of the candidates (z = the end point's own z).
        if axis == 0:
            c1a, c1b, c2a, c2b = r1a0, r1b0, r2a0, r2b0
        elif axis == 1:
            c1a, c1b, c2a, c2b = r1a1, r1b1, r2a1, r2b1
        else:
            c1a, c1b, c2a, c2b = p1[2], p1[2], p2[2], p2[2]
        use_a1 = True  # r1 = r1a, r2 = r2b; else r1 = r1b, r2 = r2a
        if _dsign(c1a) == sign and _dsign(c1b) == sign:
            use_a1 = not (_dsign(c2a) == sign)
        elif _dsign(c1a) == sign:
            use_a1 = True
        elif _dsign(c1b) == sign:
            use_a1 = False
        else:
            if _dsign(c2a) == sign:
                use_a1 = False
            elif _dsign(c2b) == sign:
                use_a1 = True
            else:
                na = math.sqrt(r1a0 * r1a0 + r1a1 * r1a1) * math.sqrt(r2b0 * r2b0 + r2b1 * r2b1)
                nb = math.sqrt(r1b0 * r1b0 + r1b1 * r1b1) * math.sqrt(r2a0 * r2a0 + r2a1 * r2a1)
                alpha = math.acos(max(-1.0, min(1.0, (r1a0 * r2b0 + r1a1 * r2b1) / na)))
                beta = math.acos(max(-1.0, min(1.0, (r1b0 * r2a0 + r1b1 * r2a1) / nb)))
                use_a1 = alpha > beta
        if use_a1:
            x1, y1, x2, y2 = r1a0, r1a1, r2b0, r2b1
        else:
            x1, y1, x2, y2 = r1b0, r1b1, r2a0, r2a1
        # OpenSim's long-wrap test: sum of radial vectors . sum of (tangent - end) vectors < 0
        # (the radial vectors have no axial part, so only x and y count).
        sm0 = (x1 - p1[0]) + (x2 - p2[0])
        sm1 = (y1 - p1[1]) + (y2 - p2[1])
        if (x1 + x2) * sm0 + (y1 + y2) * sm1 < 0.0:
            long_wrap = True
    else:
        inv = 1.0 / (radius * radius)
        dots = ((r1a0 * r2a0 + r1a1 * r2a1) * inv, (r1a0 * r2b0 + r1a1 * r2b1) * inv,
                (r1b0 * r2a0 + r1b1 * r2a1) * inv, (r1b0 * r2b0 + r1b1 * r2b1) * inv)
        # OpenSim: dot1 if it beats all others, else dot2 if it beats dot3 and dot4, ...
        if dots[0] > dots[1] and dots[0] > dots[2] and dots[0] > dots[3]:
            x1, y1, x2, y2 = r1a0, r1a1, r2a0, r2a1
        elif dots[1] > dots[2] and dots[1] > dots[3]:
            x1, y1, x2, y2 = r1a0, r1a1, r2b0, r2b1
        elif dots[2] > dots[3]:
            x1, y1, x2, y2 = r1b0, r1b1, r2a0, r2a1
        else:
            x1, y1, x2, y2 = r1b0, r1b1, r2b0, r2b1
    cos_t = (x1 * x2 + y1 * y2) / (radius * radius)
    theta = math.acos(max(-1.0, min(1.0, cos_t)))
    if long_wrap:
        theta = 2.0 * math.pi - theta
    l1 = math.sqrt(max(rho1 * rho1 - rr, 0.0))
    l2 = math.sqrt(max(rho2 * rho2 - rr, 0.0))
    arc_flat = radius * theta
    total = l1 + arc_flat + l2
    dz = p2[2] - p1[2]
    if total > 0.0:
        z1 = p1[2] + dz * l1 / total
        z2 = p1[2] + dz * (l1 + arc_flat) / total
    else:
        z1 = p1[2]
        z2 = p2[2]
    half = 0.5 * length
    if (z1 < -half or z1 > half) and (z2 < -half or z2 > half):
        return WRAP_NONE, 0.0
    r1[0], r1[1], r1[2] = x1, y1, z1
    r2[0], r2[1], r2[2] = x2, y2, z2
    return code, math.sqrt(arc_flat * arc_flat + (z2 - z1) * (z2 - z1))
