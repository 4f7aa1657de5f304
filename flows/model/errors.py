"""Errors of the accelerator model: a design that cannot run, cost records that are missing."""

__all__ = ["InvalidDesign", "MissingCosts"]


class InvalidDesign(ValueError):
    """A hardware, workload or mapping that cannot run (a buffer smaller than one tile, a
    tile larger than a matrix, zero PEs, an unknown memory type, ...).

    ``field`` names the offending setting; searchers catch this and score the point as
    invalid instead of crashing.
    """

    def __init__(self, field, message):
        self.field = field
        self.message = message
        super().__init__(f"{field} {message}")


class MissingCosts(LookupError):
    """Cost records the model needs are not in the cost database; ``commands`` are the
    exact ``tilewright characterize ...`` command lines that would measure them."""

    def __init__(self, commands):
        self.commands = tuple(commands)
        super().__init__(
            f"{len(self.commands)} cost record(s) missing; measure them with:\n  "
            + "\n  ".join(self.commands) + "\n(or pass --characterize)")
