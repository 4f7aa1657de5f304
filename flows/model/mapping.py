"""Mapping: the loop order (dataflow) of a tiled product and the reuse it gives.

A matrix product is tiled as O[b,i,j] += W[b,i,k]·A[b,k,j] (AccelTran §III-B1, Fig. 3;
TransCODE §III-B). The four tile loops b, i, j, k can be nested in any of 4! = 24 orders
(AccelTran §V-B, Fig. 15); the order decides how often a lane must fetch a new W, A or O
tile (a fetch is skipped when consecutive iterations use the same tile: a *reuse
instance*), and whether an output tile is finished in one visit (k innermost of the loops
that index O) or revisited as partial sums.

For a nest with trip counts ``n_l``, a tile indexed by the loop set ``S`` changes
``Π n_l`` times over the loops from the outermost down to the innermost loop in ``S``:
consecutive iterations differ in ``S`` only when a loop of ``S`` or outside it advances.
"""

import itertools
import math
from dataclasses import dataclass

from tilewright.flows.model.errors import InvalidDesign

__all__ = ["LOOPS", "ORDERS", "Mapping", "parse_order", "tile_changes"]

LOOPS = ("b", "i", "j", "k")
#: The 24 loop orders, outermost first.
ORDERS = tuple(itertools.permutations(LOOPS))


def parse_order(text):
    """``"b,i,j,k"`` (or a sequence of the four letters) as a tuple, outermost first."""
    order = tuple(x.strip() for x in text.split(",")) if isinstance(text, str) else tuple(text)
    if order not in ORDERS:
        raise InvalidDesign("dataflow", f"must be an order of b,i,j,k such as b,i,j,k, "
                                        f"not {text!r}")
    return order


def tile_changes(order, trips, indexed_by):
    """How many times a tile indexed by the loops ``indexed_by`` changes (is fetched) when
    the nest ``order`` runs with trip counts ``trips`` (a dict loop → count)."""
    last = max(order.index(loop) for loop in indexed_by)
    return math.prod(trips[loop] for loop in order[:last + 1])


@dataclass(frozen=True)
class Mapping:
    """How the workload is mapped: the loop ``order`` (default: the hardware's dataflow),
    tile sizes for the matrix products (``None``: the hardware's batch and spatial tile),
    and head scheduling: ``staggered`` gives each head priority over the next (AccelTran
    §III-B8, Fig. 10b) so MAC lanes and softmax units work at once; ``False`` gives all
    heads equal priority (Fig. 10a)."""

    order: tuple = None
    batch_tile: int = None
    spatial_tile: int = None
    staggered: bool = True

    def __post_init__(self):
        if self.order is not None:
            object.__setattr__(self, "order", parse_order(self.order))
        for name in ("batch_tile", "spatial_tile"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise InvalidDesign(name, f"must be a positive integer, not {value!r}")

    def resolve(self, hardware):
        """This mapping with every ``None`` taken from ``hardware``."""
        return Mapping(self.order or parse_order(hardware.dataflow),
                       self.batch_tile or hardware.batch_tile,
                       self.spatial_tile or hardware.spatial_tile, self.staggered)
