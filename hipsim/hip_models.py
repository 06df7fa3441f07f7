"""The hip models a run needs, built once per process for each distinct input and kept.

* :func:`prepared` - the configured bones (the atlas, or ``morphology.femur_mesh`` /
  ``acetabulum_mesh``) made ready for any shape: the :class:`hipsim.anatomy.AnatomicalHip`
  (placed, refined, labelled, measured, with its solving tables) and the triangle structures of
  its clearance and cartilage models. Kept in the on-disk cache (:mod:`hipsim.disk_cache`), so a
  new process loads it in a fraction of a second instead of building it in seconds;
* :func:`hip_geometry` - the shape a ``morphology`` asks for (deformed bones, axes, rim);
* :func:`clearance_model` - the impingement queries of that shape (trees refitted, not rebuilt);
* :func:`pressure_model` - the cartilage DEA of a shape and a ``cartilage`` section.

Keys are the frozen config sections themselves (hashable pydantic models).
"""
from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from . import anatomy, bones as bones_module, disk_cache, impingement, landmarks, mesh_refine, pressure
from .anatomy import AnatomicalHip
from .bones import Bones, atlas_digest
from .impingement import BVH, ClearanceModel, FemurTopology, PelvisTopology
from .pressure import PressureModel

_BVH_FIELDS = ("bmin", "bmax", "left", "right", "start", "count", "face")


@dataclass
class Prepared:
    """Bones ready for any shape: ``hip`` (AnatomicalHip), the clearance model's ``femur_topology``
    and ``pelvis_topology``, and ``pressure_seed`` (the cartilage layer's elements and the head
    tree of the bones' own shape, which every shape keeps)."""
    hip: AnatomicalHip
    femur_topology: FemurTopology
    pelvis_topology: PelvisTopology
    pressure_seed: object

    def to_arrays(self):
        out = {f"bones.{k}": v for k, v in self.hip.bones.to_arrays().items()}
        out.update({f"hip.{k}": v for k, v in self.hip.state().items()})
        out.update({f"ft.{k}": v for k, v in self.femur_topology.to_arrays().items()})
        out.update({f"pt.{k}": v for k, v in self.pelvis_topology.to_arrays().items()})
        seed = self.pressure_seed
        out.update({"layer.face": seed.layer.face, "layer.face_element": seed.layer.face_element,
                    "layer.around": seed.layer.around})
        out.update({f"headbvh.{f}": getattr(seed.head.bvh, f) for f in _BVH_FIELDS})
        return out

    @classmethod
    def from_arrays(cls, a):
        part = lambda prefix: {k[len(prefix):]: v for k, v in a.items() if k.startswith(prefix)}   # noqa: E731
        b = Bones.from_arrays(part("bones."))
        hip = AnatomicalHip(b, state=part("hip."))
        head_bvh = BVH(tri=np.empty((len(a["headbvh.face"]), 3, 3)), **part("headbvh."))
        n_el = int(a["layer.face_element"].max()) + 1
        layer = SimpleNamespace(face=a["layer.face"], face_element=a["layer.face_element"], around=a["layer.around"],
                                area=np.empty(n_el))
        seed = SimpleNamespace(layer=layer, head=SimpleNamespace(bvh=head_bvh), faces=(b.pelvis_faces, b.femur_faces),
                               vertices=(None, None))
        return cls(hip, FemurTopology.from_arrays(part("ft.")), PelvisTopology.from_arrays(part("pt.")), seed)


def _build(femur_mesh, acetabulum_mesh):
    hip = AnatomicalHip(bones_module.build_bones(femur_mesh, acetabulum_mesh))
    own = hip.shape(_own_shape())
    ft = FemurTopology(own.femur.vertices, own.femur.faces, own.femur.face_region, hip.query_candidates)
    pt = PelvisTopology(own.acetabulum.vertices, own.acetabulum.faces, own.acetabulum.face_region)
    seed = PressureModel(own, None, 12.0, 0.45)
    return Prepared(hip, ft, pt, seed)


def _own_shape():
    from .config import Morphology
    return Morphology()


@functools.lru_cache(maxsize=4)
def prepared(femur_mesh=None, acetabulum_mesh=None):
    """The :class:`Prepared` bones of the atlas (paths None) or of a patient's mesh files."""
    files = [p for p in (femur_mesh, acetabulum_mesh) if p]
    key = f"hip:{femur_mesh}:{acetabulum_mesh}:{atlas_digest()}"
    modules = (sys.modules[__name__], anatomy, bones_module, impingement, landmarks, mesh_refine, pressure)
    name = disk_cache.digest(key, modules, files)
    return disk_cache.cached("hip", name, lambda: _build(femur_mesh, acetabulum_mesh), Prepared.to_arrays,
                             Prepared.from_arrays)


def real_hip(femur_mesh=None, acetabulum_mesh=None):
    """The AnatomicalHip of the atlas bones, or of a patient's meshes (paths)."""
    return prepared(femur_mesh, acetabulum_mesh).hip


def hip_of(morphology):
    return real_hip(morphology.femur_mesh, morphology.acetabulum_mesh)


@functools.lru_cache(maxsize=8)
def hip_geometry(morphology):
    """The :class:`hipsim.mesh.HipGeometry` of a ``Morphology`` section."""
    return hip_of(morphology).shape(morphology)


_previous = {}


def _reuse(kind, morphology):
    """The last model of this kind built for the same bones (its structures are kept), or the
    prepared bones' seed."""
    key = (kind, morphology.femur_mesh, morphology.acetabulum_mesh)
    if key not in _previous:
        p = prepared(morphology.femur_mesh, morphology.acetabulum_mesh)
        _previous[key] = SimpleNamespace(femur_topology=p.femur_topology, pelvis_topology=p.pelvis_topology,
                                         pelvis=None, _pelvis_vertices=None) if kind == "clearance" else p.pressure_seed
    return _previous[key]


def _remember(kind, morphology, model):
    _previous[(kind, morphology.femur_mesh, morphology.acetabulum_mesh)] = model
    return model


@functools.lru_cache(maxsize=8)
def clearance_model(morphology):
    """The :class:`hipsim.impingement.ClearanceModel` of a ``Morphology`` section."""
    model = ClearanceModel(hip_geometry(morphology), reuse=_reuse("clearance", morphology),
                           femur_candidates=hip_of(morphology).query_candidates)
    return _remember("clearance", morphology, model)


@functools.lru_cache(maxsize=8)
def pressure_model(morphology, cartilage):
    """The :class:`hipsim.pressure.PressureModel` of a ``Morphology`` and ``Cartilage`` section."""
    model = PressureModel(hip_geometry(morphology), cartilage.thickness_mm, cartilage.modulus_mpa,
                          cartilage.poisson_ratio, reuse=_reuse("pressure", morphology))
    return _remember("pressure", morphology, model)


def measured_morphology(morphology):
    """The shape's radiographic numbers (dict; :meth:`hipsim.anatomy.AnatomicalHip.measure`),
    measured once per process and shape (~50 ms on the atlas bones)."""
    return dict(_measured(morphology))


@functools.lru_cache(maxsize=8)
def _measured(morphology):
    g = hip_geometry(morphology)
    return hip_of(morphology).measure(g.femur.vertices, g.acetabulum.vertices, g.neck_axis, g.acetabular_axis,
                                      g.rim_points, cam_clock=morphology.cam_clock, head_radius=g.head_radius_mm)
