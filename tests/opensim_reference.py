"""OpenSim-side reference for musculotendon lengths and moment arms.

Used by ``test_muscles_vs_opensim.py`` to cross-check hipsim against OpenSim
itself. Everything here talks to the ``opensim`` Python package only; nothing
imports hipsim, so the reference stays independent of the code under test.

Only import this module after ``pytest.importorskip("opensim")`` succeeded.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np
import opensim

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_PATH = REPO_ROOT / "hipsim" / "data" / "models" / "gait2392_thelen2003muscle.osim"

#: Trunk muscles whose names end in ``_r`` but which do not belong to the leg.
TRUNK_MUSCLES_R = ("ercspn_r", "intobl_r", "extobl_r")

#: Coordinates whose moment arms are cross-checked.
MOMENT_ARM_COORDINATES = (
    "hip_flexion_r",
    "hip_adduction_r",
    "hip_rotation_r",
    "knee_angle_r",
    "ankle_angle_r",
)


@contextlib.contextmanager
def quiet_opensim_log(level: str = "error") -> Iterator[None]:
    """Temporarily silence OpenSim's logger (missing .vtp meshes etc.).

    Also drops OpenSim's default file sink, which would otherwise create an
    ``opensim.log`` in the current directory (the repository root under pytest)
    on the first message, including the "Set log level" note logged on restore.
    """
    opensim.Logger.removeFileSink()
    old = opensim.Logger.getLevelString()
    opensim.Logger.setLevelString(level)
    try:
        yield
    finally:
        opensim.Logger.setLevelString(old)


def right_leg_muscle_names(osim_model) -> list[str]:
    """Right-leg muscles of an OpenSim model, in ForceSet order.

    Names ending in ``_r`` in the ForceSet that are muscles, excluding the trunk
    muscles in :data:`TRUNK_MUSCLES_R`.
    """
    fs = osim_model.getForceSet()
    names = []
    for i in range(fs.getSize()):
        force = fs.get(i)
        name = force.getName()
        if not name.endswith("_r") or name in TRUNK_MUSCLES_R:
            continue
        if opensim.Muscle.safeDownCast(force) is None:
            continue
        names.append(name)
    return names


class OpenSimReference:
    """Thin wrapper around one OpenSim model and one working State."""

    def __init__(self, model_path: str | Path = DEFAULT_MODEL_PATH):
        self.model_path = Path(model_path)
        with quiet_opensim_log():
            self.model = opensim.Model(str(self.model_path))
            self.state = self.model.initSystem()
        self._coords = self.model.getCoordinateSet()
        self.coordinate_names = [self._coords.get(i).getName() for i in range(self._coords.getSize())]
        muscles = self.model.getMuscles()
        self._muscles = {muscles.get(i).getName(): muscles.get(i) for i in range(muscles.getSize())}
        self.right_leg_muscle_names = right_leg_muscle_names(self.model)
        if self.model.getConstraintSet().getSize() != 0:
            # gait2392 has none; with constraints, setValue(..., False) followed by
            # realizePosition would leave them violated and the reference would be wrong.
            raise NotImplementedError("models with kinematic constraints are not supported")

    # -- pose ------------------------------------------------------------------
    def set_pose(self, values: Mapping[str, float]) -> None:
        """Set the named coordinates (others keep their current value) and realize positions.

        ``enforceConstraints=False``: the model has no constraints, and enforcing
        them would call assemble() once per coordinate, which is slow and could
        move coordinates we already set.
        """
        for name, value in values.items():
            self._coords.get(name).setValue(self.state, float(value), False)
        self.model.realizePosition(self.state)

    def reset_pose(self) -> None:
        """All coordinates back to their default values."""
        self.set_pose({c: self._coords.get(c).getDefaultValue() for c in self.coordinate_names})

    # -- outputs ---------------------------------------------------------------
    def lengths(self, muscle_names: Sequence[str]) -> np.ndarray:
        return np.array([self._muscles[m].getLength(self.state) for m in muscle_names])

    def moment_arms(self, muscle_names: Sequence[str], coordinate_names: Sequence[str]) -> np.ndarray:
        coords = [self._coords.get(c) for c in coordinate_names]
        return np.array(
            [[self._muscles[m].computeMomentArm(self.state, c) for c in coords] for m in muscle_names]
        )

    def finite_difference_moment_arms(
        self,
        pose: Mapping[str, float],
        muscle_names: Sequence[str],
        coordinate_names: Sequence[str],
        step: float = 1e-6,
    ) -> np.ndarray:
        """-dL/dq by central differences of OpenSim's own getLength (for self-validation)."""
        out = np.empty((len(muscle_names), len(coordinate_names)))
        for j, c in enumerate(coordinate_names):
            plus = dict(pose)
            plus[c] = pose[c] + step
            self.set_pose(plus)
            l_plus = self.lengths(muscle_names)
            minus = dict(pose)
            minus[c] = pose[c] - step
            self.set_pose(minus)
            l_minus = self.lengths(muscle_names)
            out[:, j] = -(l_plus - l_minus) / (2.0 * step)
        self.set_pose(pose)
        return out

    def evaluate(
        self,
        q: np.ndarray,
        q_coordinate_names: Sequence[str],
        muscle_names: Sequence[str] | None = None,
        moment_arm_coordinates: Sequence[str] = MOMENT_ARM_COORDINATES,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lengths (n_frame, n_muscle) and moment arms (n_frame, n_muscle, n_ma_coord).

        ``q`` is (n_frame, len(q_coordinate_names)); coordinates of the model not
        named there are held at their defaults.
        """
        q = np.atleast_2d(np.asarray(q, dtype=float))
        if q.shape[1] != len(q_coordinate_names):
            raise ValueError(f"q has {q.shape[1]} columns but {len(q_coordinate_names)} coordinate names")
        if muscle_names is None:
            muscle_names = self.right_leg_muscle_names
        self.reset_pose()
        n_frame = q.shape[0]
        L = np.empty((n_frame, len(muscle_names)))
        R = np.empty((n_frame, len(muscle_names), len(moment_arm_coordinates)))
        for k in range(n_frame):
            self.set_pose(dict(zip(q_coordinate_names, q[k])))
            L[k] = self.lengths(muscle_names)
            R[k] = self.moment_arms(muscle_names, moment_arm_coordinates)
        return L, R
