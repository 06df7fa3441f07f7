"""Static optimization of muscle activations, frame by frame, with reserve actuators."""
from dataclasses import dataclass

import numpy as np

from ._kernels.static_opt import (STATUS_INVALID, STATUS_MAX_ITER, STATUS_OK, STATUS_RESERVE,
                                  solve_frames)

#: ``solver_status`` codes and their meanings (CF ``flag_values`` / ``flag_meanings``).
STATUS_MEANINGS = {
    STATUS_OK: "converged",
    STATUS_RESERVE: "reserve_exceeded_muscles_cannot_balance",
    STATUS_MAX_ITER: "iteration_limit_reached",
    STATUS_INVALID: "non_finite_input",
}


@dataclass(frozen=True)
class StaticOptimization:
    """Solution of :func:`static_optimization`.

    activation : (n_frame, n_muscle) float [0-1]
    reserve : (n_frame, n_dof) float [N m], moment left to the reserve actuators
    status : (n_frame,) int, see ``STATUS_MEANINGS``
    iterations : (n_frame,) int
    """

    activation: np.ndarray
    reserve: np.ndarray
    status: np.ndarray
    iterations: np.ndarray


def static_optimization(capacity, demand, exponent=2.0, reserve_optimal=1.0, reserve_flag=1.0,
                        max_iterations=100, tolerance=1e-10, initial=None, min_activation=0.0):
    """Minimize sum(a^p) + sum((reserve / reserve_optimal)^2) subject to
    capacity @ a + reserve = demand and min_activation <= a <= 1, each frame warm-started from
    the last.

    Parameters
    ----------
    capacity : (n_frame, n_dof, n_muscle) float
        Moment per unit activation [N m] (moment arm x active force capacity).
    demand : (n_frame, n_dof) float
        Net joint moment minus the passive muscles' moment [N m].
    exponent : float
        Activation exponent p >= 2.
    reserve_optimal : float
        Optimal moment of each reserve actuator [N m]; smaller is a heavier penalty.
    reserve_flag : float
        Frames whose reserve exceeds this [N m] are flagged ``reserve_exceeded``.
    initial : (n_muscle,) float, optional
        Warm start of the first frame (default 0.05 everywhere).
    min_activation : float
        Lower bound of every activation: 0, or 0.01 as OpenSim's StaticOptimization (its
        muscles' default minimum activation), which keeps every muscle pulling a little.
    """
    capacity = np.ascontiguousarray(capacity, dtype=float)
    demand = np.ascontiguousarray(demand, dtype=float)
    n_frame, n_dof, n_muscle = capacity.shape
    activation = np.empty((n_frame, n_muscle))
    activation[0] = max(0.05, min_activation) if initial is None else initial
    reserve = np.empty((n_frame, n_dof))
    status = np.empty(n_frame, dtype=np.int64)
    iterations = np.empty(n_frame, dtype=np.int64)
    solve_frames(capacity, demand, float(exponent), float(reserve_optimal), float(reserve_flag),
                 int(max_iterations), float(tolerance), activation, reserve, status, iterations,
                 float(min_activation))
    return StaticOptimization(activation, reserve, status, iterations)
