"""Parametric hip geometry (cam / pincer femur and acetabulum meshes) and its measurement.

Frames (right hip, millimetres, degrees), as in the issue-3 interface note:

* pelvis frame = gait2392 pelvis axes, x anterior, y superior, z lateral; the acetabulum mesh
  has its origin at the hip joint centre;
* femur frame = gait2392 ``femur_r`` axes, x anterior, y superior, z lateral; origin at the
  femoral head centre.  In the neutral pose (all hip angles 0) the two frames coincide.

Geometry is built as profiles swept along a spine (femur) or revolved around an axis
(acetabulum) into closed, consistently oriented triangle meshes (ARCHITECTURE convention 10).
The measurements (:func:`measure_alpha_angle`, :func:`measure_lcea`) only use a mesh, a centre
and axes, so they work on patient meshes as well; the generator solves its cam size and rim
cover by bisection on these same measurements.

Model
-----
Femur: a spine along the neck axis (head centre -> neck base), a planar bend of radius
1.4 R into the shaft (-y), a straight shaft and a rounded end; circular cross sections of radius
r(s, clock): the head sphere, a C1 Hermite fillet from the natural head-neck junction (sphere
ending 55.8 deg from the neck axis, which measures alpha ~42 deg) to the neck waist (0.58 R), a
flare into the metaphysis and shaft, and a greater-trochanter bump on the posterosuperolateral
side of the bend. The cam is an outward radial bump (contour points pushed out along their rays
from the head centre) that starts at a polar angle ``onset`` from the neck axis, grows smoothly
toward the neck and fades down it; its clock extent is a cos^2 window of +-2.5 h about
``cam_clock``. The onset is solved so the measured alpha equals the request; requests below the
natural value instead end the spherical head closer to the neck (more offset). Requests within
0.5 deg of the natural alpha get no cam.

Acetabulum: a bowl (spherical shell, socket radius R + 4 mm joint space, 14 mm wall) revolved
about the acetabular axis (radiographic inclination fixed at 50 deg, version from the config);
the socket covers directions more than psi_rim(clock) from the axis, with
psi_rim = 90 deg - c_sup (1 + cos(clock))/2 - c_glob; c_sup is solved for the requested LCEA and
c_glob = max(0, LCEA - 39) deepens the whole rim (global pincer). Lower version turns the opening
laterally and covers the head more anteriorly (focal anterior over-cover of retroversion). A
1.5 mm rounded lip (or an optional 6 mm triangular labrum) joins socket and outer surface. The
socket's non-articular fossa is a 58 deg cap that opens into the acetabular notch at 6 o'clock,
leaving a horseshoe lunate surface (region ``lunate`` plus the on-sphere ``rim`` band).

Sources
-------
* Alpha angle: Nötzli HP et al. 2002, J Bone Joint Surg Br 84:556-560,
  doi:10.1302/0301-620X.84B4.12014.
* Lateral centre-edge angle: Wiberg G 1939, Acta Chir Scand 83 (Suppl 58); thresholds
  Tannast M et al. 2015, Clin Orthop Relat Res 473:1234-1246, doi:10.1007/s11999-014-4038-3.
* Acetabular inclination / version definitions (radiographic): Murray DW 1993, J Bone Joint Surg
  Br 75:228-232, doi:10.1302/0301-620X.75B2.8444942.
"""
from __future__ import annotations

import numbers

import numpy as np

from .errors import InputError
from .measure import ALPHA_TOLERANCE_FRACTION, fit_head_radius, measure_alpha_angle, measure_lcea  # noqa: F401
from .mesh import (_X, _Y, _Z, ACETABULUM_REGIONS, FEMUR_REGIONS, HipGeometry, Mesh, _unit,  # noqa: F401
                   bisect_boundary, clock_direction, clock_position, edge_check, euler_characteristic,
                   hip_rotation, is_watertight, plane_section)
from .mesh import ray_hits_2d as _ray_hits_2d  # noqa: F401

_clock_direction = clock_direction


def _plane_section(mesh, origin, normal, faces_mask=None):
    """Segments (k, 2, 3) where the plane through origin with normal cuts the mesh."""
    return plane_section(mesh.vertices, mesh.faces if faces_mask is None else mesh.faces[faces_mask],
                         origin, normal)


# --- documented model constants (all lengths relative to the head radius R unless noted) ----
#: joint space between head and socket [mm]: two cartilage layers of ~2 mm (config default
#: cartilage.thickness_mm) -- the socket is a sphere of radius R + JOINT_SPACE_MM.
JOINT_SPACE_MM = 4.0
#: radiographic inclination of the acetabular axis (Murray 1993), fixed; cover is set by the rim.
ACETABULAR_INCLINATION_DEG = 50.0
#: LCEA above which the whole rim is deepened (global pincer / deep socket), Tannast 2015.
DEEP_SOCKET_LCEA_DEG = 39.0
#: design angle of the natural head-neck junction (sphere ends this far from the neck axis);
#: measures back at ~42 deg, the normal alpha angle of Nötzli 2002 (42 in controls).
#: Requests within NATURAL_ALPHA_BAND_DEG of the natural value get no cam at all.
NATURAL_ALPHA_BAND_DEG = 0.5
NATURAL_JUNCTION_DEG = 55.8
NECK_WAIST_RATIO = 0.58       # neck waist radius / R (antero-posterior half-width of the neck)
NECK_LENGTH_RATIO = 1.6       # head centre to the start of the neck-shaft bend / R
BEND_RADIUS_RATIO = 1.4       # radius of the neck-to-shaft bend (spine) / R
METAPHYSIS_RATIO = 0.78       # cross-section radius at the end of the bend / R
SHAFT_RATIO = 0.6             # proximal shaft radius / R
SHAFT_LENGTH_RATIO = 3.0      # straight shaft length below the bend / R
TROCHANTER_RATIO = 0.65       # greater trochanter bump height / R
SOCKET_WALL_MM = 14.0         # thickness of the bone block around the socket
RIM_LIP_MM = 1.5              # radius of the rounded bony rim lip
LABRUM_WIDTH_MM = 6.0         # labrum extends the socket by this arc length beyond the bony rim
#: angular radius of the acetabular fossa (with the notch it opens into at 6 o'clock) [deg]: with
#: the articular surface running to the rim, 58 deg leaves 2,200 mm2 of lunate cartilage on a
#: 24 mm head at LCEA 30 -- the articular area measured on 3D CT (20.4-24.5 cm2, Kraeutler MJ
#: et al. 2020, Am J Sports Med 48:1967, doi:10.1177/0363546520924038) -- and makes the fossa
#: half of the socket, as anatomical reviews describe it (Bone Joint Res 2020;9:857).
FOSSA_HALF_ANGLE_DEG = 58.0
CAM_HALF_WIDTH_H = 2.5        # half-width of the cam's extent around the clock face [h]
CAM_CURVATURE = 8.0           # outward growth of the cam contour / R [1/rad^2]
CAM_MAX_RATIO = 0.15          # cam bump height / R for an onset 85 deg from the neck axis ...
CAM_MIN_RATIO = 0.075         # ... growing linearly from 40 deg, at least this / R (1.8 mm)



# ----------------------------------------------------------------------------- frames
def neck_axis(neck_shaft_angle_deg, femoral_version_deg):
    """Unit neck axis in the femur frame, from the head centre toward the neck base.

    The shaft is along -y; the neck (from the shaft toward the head) makes the neck-shaft angle
    with the shaft and is turned anteriorly by the femoral (ante)version.
    """
    t = np.radians(180.0 - neck_shaft_angle_deg)
    v = np.radians(femoral_version_deg)
    toward_head = np.array([np.sin(t) * np.sin(v), np.cos(t), -np.sin(t) * np.cos(v)])
    return -toward_head


def acetabular_axis(version_deg, inclination_deg=ACETABULAR_INCLINATION_DEG):
    """Unit acetabular axis (pelvis frame, out of the socket opening), Murray 1993 radiographic.

    Radiographic inclination = angle between the longitudinal axis and the axis projected on the
    coronal plane; radiographic version = angle between the axis and the coronal plane.
    """
    v, i = np.radians(version_deg), np.radians(inclination_deg)
    return np.array([np.sin(v), -np.cos(v) * np.cos(i), np.cos(v) * np.sin(i)])


# ----------------------------------------------------------------------------- mesh utils
def _grid_mesh(rings, pole_a, pole_b):
    """Faces of a closed surface: pole_a, rings (n_ring, n_around, 3), pole_b.

    Returns vertices (n,3), faces (m,3), ring index of each face's band (m,) (-1/-2 at caps
    are mapped to 0 and n_ring; band k lies between ring k-1 and k).
    """
    nr, na, _ = rings.shape
    verts = np.concatenate([pole_a[None], rings.reshape(-1, 3), pole_b[None]])
    idx = 1 + np.arange(nr * na).reshape(nr, na)
    nxt = np.roll(idx, -1, axis=1)
    faces, band = [], []
    # cap a
    faces.append(np.stack([np.zeros(na, int), nxt[0], idx[0]], -1))
    band.append(np.zeros(na, int))
    for k in range(nr - 1):
        a, b, c, d = idx[k], nxt[k], idx[k + 1], nxt[k + 1]
        faces.append(np.stack([a, b, d], -1))
        faces.append(np.stack([a, d, c], -1))
        band.append(np.full(2 * na, k + 1))
    last = len(verts) - 1
    faces.append(np.stack([np.full(na, last), idx[-1], nxt[-1]], -1))
    band.append(np.full(na, nr))
    return verts, np.concatenate(faces).astype(np.int64), np.concatenate(band)


def _orient_outward(verts, faces):
    v = verts[faces]
    vol = np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum()
    return faces[:, ::-1].copy() if vol < 0 else faces


def _hermite(t, p0, p1, m0, m1, L):
    h00 = 2 * t**3 - 3 * t**2 + 1
    h10 = t**3 - 2 * t**2 + t
    h01 = -2 * t**3 + 3 * t**2
    h11 = t**3 - t**2
    return h00 * p0 + h10 * L * m0 + h01 * p1 + h11 * L * m1


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


# ----------------------------------------------------------------------------- femur
def _junction_profile(s, alpha_deg, R):
    """Cross-section radius [mm] of the head/neck at neck coordinate s [mm] (along the neck axis,
    0 at the head centre) when the spherical head ends at ``alpha_deg`` from the neck axis."""
    a = np.radians(alpha_deg)
    rw = NECK_WAIST_RATIO * R
    sj, rj = R * np.cos(a), R * np.sin(a)
    m0 = -sj / np.maximum(rj, 1e-9)
    delta = np.maximum(rj - rw, 1e-6)
    smax = (NECK_LENGTH_RATIO - 0.25) * R
    lcap = np.maximum(smax - sj, 0.05 * R)
    L = np.where(m0 < 0, np.minimum(0.9 * 3 * delta / np.maximum(-m0, 1e-9), lcap), lcap)
    t = (s - sj) / L
    sphere = np.sqrt(np.clip(R * R - s * s, 0.0, None))
    herm = _hermite(np.clip(t, 0, 1), rj, rw, m0, 0.0, L)
    return np.where(s <= sj, sphere, np.where(t >= 1, rw, herm))


class _FemurBuilder:
    """Spine-swept femur: head + junction + neck along the neck axis, a planar bend to the shaft
    (along -y), the shaft and a rounded distal cap; greater trochanter as a radial bump on the
    outer side of the bend; the cam as a later end of the spherical head around cam_clock."""

    def __init__(self, R, nsa, version, cam_clock, resolution):
        self.R = R
        self.n = neck_axis(nsa, version)
        n = self.n
        q = _unit(-_Y - ((-_Y) @ n) * n)          # in-plane direction toward the bend's inside
        self.q = q
        self.b = _unit(np.cross(n, q))
        self.tau = np.arccos(np.clip(n @ (-_Y), -1, 1))   # bend angle = 180 - neck-shaft angle
        self.rho = BEND_RADIUS_RATIO * R
        self.u_b = R + NECK_LENGTH_RATIO * R                # spine arclength at the bend start
        self.u_e = self.u_b + self.rho * self.tau           # bend end
        self.u_s = self.u_e + SHAFT_LENGTH_RATIO * R        # shaft end (cap centre)
        self.r_sh = SHAFT_RATIO * R
        self.u_tot = self.u_s + self.r_sh
        self.cam_clock = cam_clock
        self.n_around = max(12, int(round(48 * resolution / 4)) * 4)
        self.n_ring = max(12, int(round(62 * resolution)))
        phi = np.linspace(0, 2 * np.pi, self.n_around, endpoint=False)
        self.phi = phi
        # clock of each around-direction at the head (straight part: frame q, b)
        dirs = np.outer(np.cos(phi), q) + np.outer(np.sin(phi), self.b)
        self.clock = clock_position(dirs, n)
        dh = np.angle(np.exp(1j * (self.clock - cam_clock) * np.pi / 6)) * 6 / np.pi
        x = np.clip(np.abs(dh) / CAM_HALF_WIDTH_H, 0, 1)
        self.cam_w = np.cos(0.5 * np.pi * x) ** 2          # smooth (C1) window, 1 at cam_clock
        # trochanter: on the outer side of the bend (-q), turned 20 deg posteriorly
        outer = -q
        post = -_X - ((-_X) @ n) * n
        tdir = _unit(np.cos(np.radians(20)) * outer + np.sin(np.radians(20)) * _unit(post))
        ang = np.arccos(np.clip(dirs @ tdir, -1, 1))
        self.troch_w = np.cos(0.5 * np.pi * np.clip(ang / np.radians(75), 0, 1)) ** 2
        self.u = self._stations()

    def _flare(self, u):
        R = self.R
        rw, rm, rs = NECK_WAIST_RATIO * R, METAPHYSIS_RATIO * R, self.r_sh
        f1 = _smoothstep((u - (self.u_b - 0.2 * R)) / (self.u_e - self.u_b + 0.2 * R))
        f2 = _smoothstep((u - self.u_e) / (1.5 * R))
        r = rw + (rm - rw) * f1 + (rs - rm) * f2
        return r - rw

    def _troch(self, u):
        R = self.R
        uc = self.u_b + 0.25 * (self.u_e - self.u_b)
        x = np.clip(np.abs(u - uc) / (1.0 * R), 0, 1)
        return TROCHANTER_RATIO * R * np.cos(0.5 * np.pi * x) ** 2

    def _stations(self):
        # equal arclength of the nominal (natural, no trochanter) profile, poles excluded; the
        # straight shaft counts 0.4 of its length (coarser rings there, finer on the head-neck)
        uu = np.linspace(0, self.u_tot, 6000)
        r = self._radius(uu[:, None], np.full((1, 1), NATURAL_JUNCTION_DEG), troch=False)[:, 0]
        um = 0.5 * (uu[1:] + uu[:-1])
        weight = 1.0 - 0.6 * _smoothstep((um - self.u_e - 1.5 * self.R) / self.R) \
            * (1 - _smoothstep((um - self.u_s + 0.2 * self.R) / (0.2 * self.R)))
        arc = np.concatenate([[0], np.cumsum(weight * np.hypot(np.diff(uu), np.diff(r)))])
        target = np.linspace(0, arc[-1], self.n_ring + 2)[1:-1]
        return np.interp(target, arc, uu)

    def _radius(self, u, alpha, troch=True, cam_onset=None):
        """Radius (n_u, n_around) at spine arclength u (n_u,1) for junction angle alpha (1, n_around)
        and an outward cam bump starting ``cam_onset`` deg from the neck axis (None: no cam)."""
        R = self.R
        s = u - R
        r = _junction_profile(s, alpha, R)
        if cam_onset is not None:
            r = self._cam(s[:, 0], r, cam_onset)
        r = r + self._flare(u)
        if troch:
            r = r + self._troch(u) * self.troch_w[None, :]
        cap = u > self.u_s
        if np.any(cap):
            rc = np.sqrt(np.clip(self.r_sh**2 - (u - self.u_s) ** 2, 0, None))
            r = np.where(cap, np.broadcast_to(rc, r.shape) * (r / self.r_sh), r)
        return r

    def _cam(self, s, r, onset):
        """Add the cam: each natural head/neck contour point at polar angle beta (from the neck
        axis) moves out along its ray from the centre by w(clock) * B, with B = 0 for
        beta >= onset and B = h (1 - exp(-CAM_CURVATURE R x^2 / h)), x = onset - beta [rad],
        below it (quadratic growth saturating at a height h that grows with the onset,
        h = R max(CAM_MIN_RATIO, CAM_MAX_RATIO (onset - 40) / 45)), faded out down the neck
        between 0.7 R and 1.45 R from the head centre along the neck axis."""
        R = self.R
        s_end = (NECK_LENGTH_RATIO - 0.1) * R
        sel = s < s_end
        if not np.any(sel):
            return r
        sf = np.linspace(-R, s_end, 1500)
        rn = _junction_profile(sf, NATURAL_JUNCTION_DEG, R)
        d = np.hypot(sf, rn)
        beta = np.arctan2(rn, sf)
        x = np.clip(np.radians(onset) - beta, 0, None)
        hmax = R * max(CAM_MIN_RATIO, CAM_MAX_RATIO * (onset - 40.0) / 45.0)
        bump = hmax * (1 - np.exp(-CAM_CURVATURE * R * x * x / hmax))
        bump *= 1 - _smoothstep((sf - 0.7 * R) / (0.75 * R))
        out = r.copy()
        for j in np.nonzero(self.cam_w > 1e-6)[0]:
            d2 = d + self.cam_w[j] * bump
            s2, r2 = d2 * np.cos(beta), d2 * np.sin(beta)
            s2 = np.maximum.accumulate(s2)
            out[sel, j] = np.interp(s[sel], s2, r2)
        return out

    def _spine(self, u):
        n, q = self.n, self.q
        C = np.empty((len(u), 3))
        inner = np.empty((len(u), 3))
        s1 = u <= self.u_b
        C[s1] = np.outer(u[s1] - self.R, n)
        inner[s1] = q
        s2 = (u > self.u_b) & (u <= self.u_e)
        psi = (u[s2] - self.u_b) / self.rho
        cb = (self.u_b - self.R) * n
        C[s2] = cb + self.rho * (np.outer(np.sin(psi), n) + np.outer(1 - np.cos(psi), q))
        inner[s2] = np.outer(-np.sin(psi), n) + np.outer(np.cos(psi), q)
        s3 = u > self.u_e
        ce = cb + self.rho * (np.sin(self.tau) * n + (1 - np.cos(self.tau)) * q)
        te = np.cos(self.tau) * n + np.sin(self.tau) * q
        C[s3] = ce + np.outer(u[s3] - self.u_e, te)
        inner[s3] = -np.sin(self.tau) * n + np.cos(self.tau) * q
        pole_b = ce + (self.u_tot - self.u_e) * te
        return C, inner, pole_b

    def alpha_field(self, alpha_cam):
        return NATURAL_JUNCTION_DEG + (alpha_cam - NATURAL_JUNCTION_DEG) * self.cam_w

    def build(self, alpha_cam, cam_onset=None):
        R = self.R
        alpha = self.alpha_field(alpha_cam)[None, :]
        u = self.u
        r = self._radius(u[:, None], alpha, cam_onset=cam_onset)
        C, inner, pole_b = self._spine(u)
        ca, sa = np.cos(self.phi), np.sin(self.phi)
        dirs = inner[:, None, :] * ca[None, :, None] + self.b[None, None, :] * sa[None, :, None]
        rings = C[:, None, :] + r[..., None] * dirs
        pole_a = -R * self.n
        verts, faces, band = _grid_mesh(rings, pole_a, pole_b)
        faces = _orient_outward(verts, faces)
        # regions from face centroids (spine arclength, polar angle from the neck axis, bumps)
        cen = verts[faces].mean(axis=1)
        upad = np.concatenate([[0.0], u, [self.u_tot]])
        uf = 0.5 * (upad[band] + upad[np.minimum(band + 1, len(upad) - 1)])
        d = np.linalg.norm(cen, axis=1)
        beta = np.degrees(np.arccos(np.clip((cen @ self.n) / np.maximum(d, 1e-9), -1, 1)))
        reg = np.full(len(faces), FEMUR_REGIONS["shaft"], np.int8)
        reg[uf <= self.u_e + 0.5 * R] = FEMUR_REGIONS["neck"]
        tmask = (self._troch(uf) > 0.15 * TROCHANTER_RATIO * R)
        cd = cen - np.outer(cen @ self.n, self.n)
        troch_side = (_unit(cd) @ _unit(-self.q)) > 0.2
        reg[tmask & troch_side & (uf > self.u_b - 0.5 * R)] = FEMUR_REGIONS["trochanter"]
        reg[(uf - R) < 1.35 * R] = FEMUR_REGIONS["head_neck_junction"]
        # head: faces whose three vertices lie on the sphere (so any cam bone is junction)
        on_sphere = np.abs(np.linalg.norm(verts, axis=1) - R) < 1e-6 * R
        reg[(beta > NATURAL_JUNCTION_DEG) & (uf - R < 0.9 * R) & on_sphere[faces].all(axis=1)] = \
            FEMUR_REGIONS["head"]
        return Mesh(np.ascontiguousarray(verts), np.ascontiguousarray(faces), reg, "femur")


# ----------------------------------------------------------------------------- acetabulum
class _AcetabulumBuilder:
    """A bowl of bone (thick spherical shell) revolved around the acetabular axis: the socket
    (radius R + joint space) covers directions further than psi_rim(clock) from the axis, a
    rounded lip (or a labrum) joins it to the outer surface."""

    def __init__(self, R, version, resolution, labrum=False):
        self.Rs = R + JOINT_SPACE_MM
        self.Ro = self.Rs + SOCKET_WALL_MM
        self.a = acetabular_axis(version)
        a = self.a
        e1 = _unit(_Y - (_Y @ a) * a)
        e2 = np.cross(a, e1)
        if e2 @ _X < 0:
            e2 = -e2
        self.e1, self.e2 = e1, e2
        self.n_around = max(16, int(round(64 * resolution / 4)) * 4)
        self.phi = np.linspace(0, 2 * np.pi, self.n_around, endpoint=False)
        self.dirs = np.outer(np.cos(self.phi), e1) + np.outer(np.sin(self.phi), e2)
        self.clock = clock_position(self.dirs, a)
        self.w_sup = 0.5 * (1 + np.cos(self.clock * np.pi / 6))       # 1 at 12, 0 at 6 o'clock
        self.labrum = labrum
        m = max(8, int(round(46 * resolution)))
        self.n_inner = int(round(m * 0.45))
        self.n_lip = max(4, int(round(m * 0.12)))
        self.n_outer = m - self.n_inner - self.n_lip

    def psi_rim(self, c_sup, c_glob):
        """Polar angle of the rim from the axis [rad] around the clock; c_* are extra cover [deg]."""
        return np.radians(90.0 - c_sup * self.w_sup - c_glob)

    def build(self, c_sup, c_glob):
        Rs, Ro = self.Rs, self.Ro
        psr = self.psi_rim(c_sup, c_glob)[None, :]          # (1, na)
        if np.any(psr < np.radians(20)) or np.any(psr > np.radians(160)):
            raise InputError("morphology.lce_angle_deg", "the acetabular rim this cover needs is "
                             "outside the feasible socket (rim closer than 20 deg to the axis or "
                             "the pole)")
        # profile: list of (r, psi) rows (n_prof, na) and region per ring
        ti = np.linspace(0, 1, self.n_inner + 1)[1:]          # pole excluded
        psi_in = np.pi - (np.pi - psr) * ti[:, None]
        r_in = np.full_like(psi_in, Rs)
        reg_in = np.full(len(ti), "lunate", object)
        rows_r, rows_p, regs = [r_in], [psi_in], list(reg_in)
        if self.labrum:
            lam = LABRUM_WIDTH_MM / Rs
            # triangular section: inner face on the socket sphere out to the tip, then back to the
            # bony lip's outer edge (the first outer ring, not repeated here)
            n1 = max(2, self.n_lip // 2)
            n2 = max(2, self.n_lip - n1)
            i1 = np.arange(1, n1 + 1)[:, None] / n1
            p1 = psr - lam * i1
            r1 = np.full_like(p1, Rs)
            j2 = np.arange(1, n2 + 1)[:, None] / (n2 + 1)
            p2 = psr - lam * (1 - j2)
            r2 = np.broadcast_to(Rs + 2 * RIM_LIP_MM * j2, p2.shape)
            rows_r += [r1, r2]
            rows_p += [p1, p2]
            tl = np.arange(n1 + n2)
            regs += ["labrum"] * len(tl)
        else:
            sig = np.linspace(0, np.pi, self.n_lip + 2)[1:-1]
            rc = Rs + RIM_LIP_MM
            x = rc - RIM_LIP_MM * np.cos(sig)
            y = RIM_LIP_MM * np.sin(sig)
            rows_r.append(np.repeat(np.hypot(x, y)[:, None], self.n_around, 1))
            rows_p.append(psr - np.arctan2(y, x)[:, None])
            regs += ["rim"] * len(sig)
        to = np.linspace(0, 1, self.n_outer + 1)[:-1]
        psi_out = psr + (np.pi - psr) * to[:, None]
        r_out = Rs + 2 * RIM_LIP_MM + (Ro - Rs - 2 * RIM_LIP_MM) * _smoothstep(to / 0.35)[:, None]
        rows_r.append(np.broadcast_to(r_out, psi_out.shape))
        rows_p.append(psi_out)
        regs += ["outer"] * len(to)
        r = np.concatenate(rows_r)
        p = np.concatenate(rows_p)
        a = self.a
        rings = r[..., None] * (np.cos(p)[..., None] * a + np.sin(p)[..., None] * self.dirs[None])
        verts, faces, band = _grid_mesh(rings, -Rs * a, -Ro * a)
        faces = _orient_outward(verts, faces)
        # regions
        regs = np.array(["lunate"] + regs + ["outer"], dtype=object)
        reg = np.array([ACETABULUM_REGIONS[k] for k in regs[np.minimum(band, len(regs) - 1)]], np.int8)
        cen = verts[faces].mean(axis=1)
        dn = _unit(cen)
        fpsi = np.arccos(np.clip(dn @ a, -1, 1))
        fclock = clock_position(cen, a)
        rim_psi = np.radians(90.0 - c_sup * 0.5 * (1 + np.cos(fclock * np.pi / 6)) - c_glob)
        near_rim = np.abs(fpsi - rim_psi) * Rs < 4.0
        reg[near_rim & np.isin(reg, [ACETABULUM_REGIONS["lunate"], ACETABULUM_REGIONS["outer"]])] = \
            ACETABULUM_REGIONS["rim"]
        # fossa: a cap that reaches the inferior rim (the acetabular notch), so the lunate is a
        # horseshoe open at 6 o'clock
        centre_psi = 90.0 - c_glob + FOSSA_HALF_ANGLE_DEG
        fossa_c = _unit(np.cos(np.radians(centre_psi)) * a
                        + np.sin(np.radians(centre_psi)) * _clock_direction(6.0, a))
        fossa = (np.degrees(np.arccos(np.clip(dn @ fossa_c, -1, 1))) < FOSSA_HALF_ANGLE_DEG) & \
            np.isin(reg, [ACETABULUM_REGIONS["lunate"], ACETABULUM_REGIONS["rim"]]) & \
            (np.linalg.norm(cen, axis=1) < Rs + 0.5)
        reg[fossa] = ACETABULUM_REGIONS["fossa"]
        # rim polyline: the most axial point of the lip (or labrum tip) at each clock
        rim_rows = np.arange(self.n_inner, len(r))[: self.n_lip]
        k = rim_rows[np.argmin(p[rim_rows], axis=0)]
        j = np.arange(self.n_around)
        rim = rings[k, j]
        return Mesh(np.ascontiguousarray(verts), np.ascontiguousarray(faces), reg, "acetabulum"), rim


# ----------------------------------------------------------------------------- measurement
# ----------------------------------------------------------------------------- build
#: the parametric hip's shape where the morphology leaves a key null (a normal hip: Nötzli 2002,
#: Tannast 2015, the CT series of the validation targets, Gilligan 2013, Jamali 2013)
PARAMETRIC_DEFAULTS = {"alpha_angle_deg": 42.0, "lce_angle_deg": 30.0, "acetabular_version_deg": 19.0,
                       "femoral_version_deg": 12.0, "neck_shaft_angle_deg": 127.0, "head_radius_mm": 24.0}
_KEYS = ("alpha_angle_deg", "cam_clock", "lce_angle_deg", "acetabular_version_deg",
         "femoral_version_deg", "neck_shaft_angle_deg", "head_radius_mm", "femur_mesh",
         "acetabulum_mesh")


def _params(morphology):
    from .config import Morphology
    if isinstance(morphology, dict):
        try:
            morphology = Morphology.model_validate(
                {k: (float(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                 for k, v in morphology.items()})
        except Exception as exc:  # pydantic ValidationError
            errs = getattr(exc, "errors", None)
            if errs:
                e = errs()[0]
                raise InputError("morphology." + ".".join(map(str, e["loc"])), e["msg"]) from None
            raise InputError("morphology", str(exc)) from None
    elif morphology is None:
        morphology = Morphology()
    params = {k: getattr(morphology, k) for k in _KEYS}
    for key, value in PARAMETRIC_DEFAULTS.items():
        if params[key] is None:
            params[key] = value
    return params


def _bisect(f, lo, hi, target, key, what, tol=0.01, iters=50):
    flo, fhi = f(lo), f(hi)
    if not (min(flo, fhi) - 1e-9 <= target <= max(flo, fhi) + 1e-9):
        raise InputError(key, f"{what} {target:g} deg cannot be built with this geometry "
                              f"(feasible {min(flo, fhi):.1f} to {max(flo, fhi):.1f} deg)")
    inc = fhi > flo
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if abs(fm - target) < tol:
            return mid, fm
        if (fm < target) == inc:
            lo = mid
        else:
            hi = mid
    mid = 0.5 * (lo + hi)
    return mid, f(mid)


def build_femur(p, resolution=1.0):
    """Parametric femur Mesh and the builder info (see :func:`build_hip`)."""
    R = p["head_radius_mm"]
    fb = _FemurBuilder(R, p["neck_shaft_angle_deg"], p["femoral_version_deg"], p["cam_clock"],
                       resolution)
    # inner side of the bend must not fold over: cross-section radius < bend radius
    if METAPHYSIS_RATIO * R >= fb.rho:
        raise InputError("morphology.neck_shaft_angle_deg", "the neck-shaft bend folds over")
    alpha_lo = np.degrees(np.arcsin(NECK_WAIST_RATIO)) + 3.0
    nat = NATURAL_JUNCTION_DEG
    key = "morphology.alpha_angle_deg"
    cache = {}

    def measure(m):
        return measure_alpha_angle(m, np.zeros(3), fb.n, p["cam_clock"], head_radius=R)

    natural = fb.build(nat)
    f_nat = measure(natural)
    target = p["alpha_angle_deg"]
    if abs(target - f_nat) <= NATURAL_ALPHA_BAND_DEG:
        mesh, onset, junction, measured = natural, None, nat, f_nat
    elif target >= f_nat:
        # cam branch: an outward bump whose onset (polar angle from the neck axis) is solved
        def f(onset):
            cache[onset] = fb.build(nat, onset)
            return measure(cache[onset])
        try:
            onset, measured = _bisect(f, 30.0, 125.0, target, key, "alpha angle")
        except InputError:
            lo_val = measure(fb.build(alpha_lo))
            raise InputError(key, f"alpha angle {target:g} deg cannot be built with this geometry "
                                  f"(feasible {lo_val:.1f} to {f(125.0):.1f} deg)") from None
        mesh, junction = cache[onset], nat
    else:
        # below the natural head: the spherical head reaches further down the neck at the clock
        def f(junc):
            cache[junc] = fb.build(junc)
            return measure(cache[junc])
        try:
            junction, measured = _bisect(f, alpha_lo, nat, target, key, "alpha angle")
        except InputError:
            raise InputError(key, f"alpha angle {target:g} deg cannot be built with this geometry "
                                  f"(feasible {f(alpha_lo):.1f} to "
                                  f"{measure(fb.build(nat, 125.0)):.1f} deg)") from None
        mesh, onset = cache[junction], None
    # same topology as the natural femur: the cam height is the largest outward vertex move
    cam_height = float((np.linalg.norm(mesh.vertices, axis=1)
                        - np.linalg.norm(natural.vertices, axis=1)).max())
    info = {"cam_onset_deg": None if onset is None else float(onset),
            "junction_deg": float(junction), "alpha_natural_deg": float(f_nat),
            "alpha_measured_deg": float(measured), "cam_height_mm": max(0.0, cam_height)}
    return mesh, fb.n, info


def build_acetabulum(p, resolution=1.0, labrum=False):
    """Parametric acetabulum Mesh, rim polyline and info (see :func:`build_hip`)."""
    R = p["head_radius_mm"]
    ab = _AcetabulumBuilder(R, p["acetabular_version_deg"], resolution, labrum)
    target = p["lce_angle_deg"]
    c_glob = max(0.0, target - DEEP_SOCKET_LCEA_DEG)
    cache = {}

    def f(c_sup):
        m, rim = ab.build(c_sup, c_glob)
        cache[c_sup] = (m, rim)
        return measure_lcea(m, np.zeros(3))

    c_sup, measured = _bisect(f, -60.0, 50.0, target, "morphology.lce_angle_deg", "LCE angle")
    mesh, rim = cache[c_sup] if c_sup in cache else ab.build(c_sup, c_glob)
    info = {"rim_superior_cover_deg": float(c_sup), "rim_global_cover_deg": float(c_glob),
            "lcea_measured_deg": float(measured), "socket_radius_mm": ab.Rs,
            "labrum": bool(labrum)}
    return mesh, ab.a, rim, info


def build_hip(morphology=None, resolution=1.0, labrum=False):
    """Femur and acetabulum meshes of a hip morphology.

    Parameters
    ----------
    morphology : hipsim.config.Morphology, dict with its keys, or None (defaults)
    resolution : float, mesh density; 1.0 gives ~6,000 triangles per bone, the count grows
        with resolution squared (0.25 to 8)
    labrum : bool, add a labrum ring (region ``labrum``) beyond the bony rim

    Returns
    -------
    HipGeometry

    Raises
    ------
    InputError
        Naming the ``morphology.*`` key of an impossible morphology or an unreadable mesh.
    """
    import time
    t0 = time.perf_counter()
    if hasattr(morphology, "morphology"):          # a whole Config was passed
        morphology = morphology.morphology
    p = _params(morphology)
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Real) \
            or not 0.25 <= float(resolution) <= 8:
        raise InputError("resolution", f"must be between 0.25 and 8, got {resolution!r}")
    resolution = float(resolution)
    info = {"parameters": {k: p[k] for k in _KEYS}, "resolution": resolution}
    if p["femur_mesh"]:
        from .meshio import load_patient_mesh, estimate_neck_axis
        femur = load_patient_mesh(p["femur_mesh"], "femur")
        n = estimate_neck_axis(femur)
        R = fit_head_radius(femur, np.zeros(3), n)
    else:
        femur, n, finfo = build_femur(p, resolution)
        R = p["head_radius_mm"]
        info.update(finfo)
    if p["acetabulum_mesh"]:
        from .meshio import load_patient_mesh, estimate_rim
        acet = load_patient_mesh(p["acetabulum_mesh"], "acetabulum")
        a, rim = estimate_rim(acet)
    else:
        acet, a, rim, ainfo = build_acetabulum(p, resolution, labrum)
        info.update(ainfo)
    rim = np.ascontiguousarray(rim, dtype=float)
    info["build_seconds"] = time.perf_counter() - t0
    return HipGeometry(femur=femur, acetabulum=acet, head_radius_mm=float(R),
                       neck_axis=np.ascontiguousarray(n, float),
                       acetabular_axis=np.ascontiguousarray(a, float), rim_points=rim,
                       rim_clock=clock_position(rim, a), info=info)
