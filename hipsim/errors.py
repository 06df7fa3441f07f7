"""Errors raised for bad user input.

Every problem the user can fix (a config key, a model, motion or mesh file) raises
:class:`InputError`; the command line turns it into one ``error:`` line and exit status 2.
"""


class InputError(ValueError):
    """Bad user input; ``where`` names the config key or file at fault.

    Parameters
    ----------
    where : str
        Dotted config key (``activity.speed_m_s``) or file path.
    message : str
        What is wrong, in words a user can act on.
    """

    def __init__(self, where, message):
        self.where = str(where)
        self.message = str(message)
        super().__init__(f"{self.where}: {self.message}")

    def __reduce__(self):
        # rebuilt from both parts when it crosses a process boundary (sweep workers)
        return (type(self), (self.where, self.message))


class InputWarning(UserWarning):
    """Input that runs but may not mean what the user thinks (a body mass that disagrees with
    the model file's, an implausible travel speed); the command line prints it as one
    ``warning:`` line."""
