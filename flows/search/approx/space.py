"""The design space of the TransAxx search: one library entry per layer group."""

from dataclasses import dataclass
from itertools import product

__all__ = ["Space"]


@dataclass(frozen=True)
class Space:
    """``entries`` (the library), ``workload`` (groups and MACs) and ``power`` (a
    :class:`~tilewright.flows.search.approx.workload.PowerModel`)."""

    entries: tuple
    workload: object
    power: object

    @property
    def groups(self):
        return len(self.workload.groups)

    @property
    def choices(self):
        return len(self.entries)

    @property
    def size(self):
        return self.choices ** self.groups

    @property
    def exact(self):
        """The index of the exact multiplier."""
        return next(i for i, e in enumerate(self.entries) if e.kind == "exact")

    def uniform(self, j):
        """Multiplier ``j`` on every group (TransAxx Table III's assignments)."""
        return (j,) * self.groups

    def alone(self, j, group):
        """Multiplier ``j`` on ``group``, the exact one elsewhere (a sensitivity probe)."""
        return tuple(j if i == group else self.exact for i in range(self.groups))

    def all(self):
        return product(range(self.choices), repeat=self.groups)
