"""Hip contact force from inverse dynamics and muscle forces."""
import numpy as np


def hip_contact_force(hip_force, muscle_force, hip_direction):
    """Force of the femoral head on the acetabulum, pelvis frame.

    The joint reaction on the thigh is the intersegmental force minus the pull of every muscle
    crossing the hip (the joint-reaction analysis of OpenSim, Steele et al. 2012,
    doi:10.1016/j.gaitpost.2011.11.023); the head pushes on the acetabulum with its negative.

    Parameters
    ----------
    hip_force : (n_frame, 3) float [N]
        Force the pelvis applies to the thigh across the hip (inverse dynamics), pelvis frame.
    muscle_force : (n_frame, n_muscle) float [N]
    hip_direction : (n_frame, n_muscle, 3) float
        Unit pull of each muscle on the thigh side of the hip, pelvis frame (zero if it does not
        cross the hip).

    Returns
    -------
    (n_frame, 3) float [N]: anterior, superior, lateral components in the pelvis frame.
    """
    muscle_pull = np.einsum("fm,fmi->fi", muscle_force, hip_direction)
    return muscle_pull - hip_force
