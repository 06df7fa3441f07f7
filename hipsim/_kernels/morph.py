"""Numba kernels of the bone deformations of :mod:`hipsim.anatomy` (arrays in, arrays out)."""
import math

from numba import prange

from .._numba import njit


@njit(parallel=True)
def rim_turn_weights(p, axis, sup, ant, rim_psi_table, rs, cranial_clock, cranial_half, inside_deg, fade_deg,
                     near_mm, far_mm, weights):
    """What the rim turn of points (n, 3) depends on, which their base positions fix: per point
    (w_sup, w_cranial, zone weight, kx, ky, kz), k the unit axis u x ``axis`` of its turn toward
    the acetabular axis (zero where undefined), into ``weights`` (n, 6) (see :func:`rim_turn`)."""
    m = rim_psi_table.shape[0]
    for i in prange(p.shape[0]):
        x, y, z = p[i, 0], p[i, 1], p[i, 2]
        r = math.sqrt(x * x + y * y + z * z)
        for k in range(6):
            weights[i, k] = 0.0
        if r <= 0.0:
            continue
        ux, uy, uz = x / r, y / r, z / r
        ca = ux * axis[0] + uy * axis[1] + uz * axis[2]
        psi = math.degrees(math.acos(min(1.0, max(-1.0, ca))))
        qx, qy, qz = x - r * ca * axis[0], y - r * ca * axis[1], z - r * ca * axis[2]
        h = math.atan2(qx * ant[0] + qy * ant[1] + qz * ant[2], qx * sup[0] + qy * sup[1] + qz * sup[2])
        clock = (h / (2.0 * math.pi) * 12.0) % 12.0
        weights[i, 0] = 0.5 * (1.0 + math.cos(clock * math.pi / 6.0))
        dh = (clock - cranial_clock + 6.0) % 12.0 - 6.0
        xc = min(abs(dh) / cranial_half, 1.0)
        weights[i, 1] = math.cos(0.5 * math.pi * xc) ** 2
        pos = clock / 12.0 * m
        k0 = int(pos) % m
        f = pos - int(pos)
        rim = (1.0 - f) * rim_psi_table[k0] + f * rim_psi_table[(k0 + 1) % m]
        a = (psi - rim - inside_deg) / fade_deg
        a = min(max(a, 0.0), 1.0)
        b = (r - rs - near_mm) / (far_mm - near_mm)
        b = min(max(b, 0.0), 1.0)
        weights[i, 2] = (1.0 - a * a * (3.0 - 2.0 * a)) * (1.0 - b * b * (3.0 - 2.0 * b))
        kx, ky, kz = uy * axis[2] - uz * axis[1], uz * axis[0] - ux * axis[2], ux * axis[1] - uy * axis[0]
        kn = math.sqrt(kx * kx + ky * ky + kz * kz)
        if kn <= 1e-9:
            weights[i, 2] = 0.0
            continue
        weights[i, 3], weights[i, 4], weights[i, 5] = kx / kn, ky / kn, kz / kn


@njit(parallel=True)
def rim_turn(p, weights, lateral, global_, cranial, out):
    """Points (n, 3) turned toward the acetabular axis about the centre (see
    :meth:`hipsim.anatomy.AnatomicalHip.rim_turn`): by the angle [deg] lateral w_sup(clock) +
    global_ + cranial w_cranial(clock), times the zone weight, about each point's k
    (``weights`` (n, 6) of :func:`rim_turn_weights` for these points). Result in ``out``."""
    for i in prange(p.shape[0]):
        x, y, z = p[i, 0], p[i, 1], p[i, 2]
        out[i, 0], out[i, 1], out[i, 2] = x, y, z
        angle = math.radians(lateral * weights[i, 0] + global_ + cranial * weights[i, 1]) * weights[i, 2]
        if angle == 0.0:
            continue
        kx, ky, kz = weights[i, 3], weights[i, 4], weights[i, 5]
        c, s = math.cos(angle), math.sin(angle)
        dot = kx * x + ky * y + kz * z
        cx, cy, cz = ky * z - kz * y, kz * x - kx * z, kx * y - ky * x
        out[i, 0] = x * c + cx * s + kx * dot * (1.0 - c)
        out[i, 1] = y * c + cy * s + ky * dot * (1.0 - c)
        out[i, 2] = z * c + cz * s + kz * dot * (1.0 - c)


@njit(parallel=True)
def femur_regions(vertices, faces, neck, lateral_axis, superior_axis, radius, band, reach, dome_deg, codes, out):
    """FEMUR_REGIONS code of each face (see :meth:`hipsim.anatomy.AnatomicalHip._femur_regions`);
    ``codes`` = (head, head_neck_junction, neck, trochanter, shaft)."""
    for f in prange(faces.shape[0]):
        cx, cy, cz = 0.0, 0.0, 0.0
        on = True
        for c in range(3):
            v = faces[f, c]
            x, y, z = vertices[v, 0], vertices[v, 1], vertices[v, 2]
            cx += x / 3.0
            cy += y / 3.0
            cz += z / 3.0
            if abs(math.sqrt(x * x + y * y + z * z) - radius) >= band:
                on = False
        d = math.sqrt(cx * cx + cy * cy + cz * cz)
        code = codes[4]
        if d < reach:
            code = codes[2]
            lat = cx * lateral_axis[0] + cy * lateral_axis[1] + cz * lateral_axis[2]
            sup = cx * superior_axis[0] + cy * superior_axis[1] + cz * superior_axis[2]
            if lat > 1.6 * radius and sup > -2.5 * radius:
                code = codes[3]
        if d < 1.35 * radius:
            code = codes[1]
        cb = (cx * neck[0] + cy * neck[1] + cz * neck[2]) / max(d, 1e-12)
        beta = math.degrees(math.acos(min(1.0, max(-1.0, cb))))
        if (on and beta > 30.0) or (beta > dome_deg and d < 1.2 * radius):
            code = codes[0]
        out[f] = code
