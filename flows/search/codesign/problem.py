"""A co-design problem: the space, its embedding, validity, and snapping to valid designs.

Every searcher works on the unit-cube embedding (:mod:`.embedding`) and hands back
designs through :meth:`Problem.snap`, which maps a point to the nearest valid design not
yet evaluated (TransCODE §IV-C: GOBI's outputs "may not be valid"): first axis by axis;
when that design breaks a rule or was already evaluated, the nearest (Euclidean, in the
cube) of a fixed pool of valid designs drawn once from the space.
"""

import random

import numpy as np

from tilewright.flows.search.codesign.embedding import Embedding
from tilewright.flows.search.codesign.space import Accelerator, Layer, Pair, Transformer
from tilewright.flows.search.codesign.validity import Constraints, design_error

__all__ = ["Problem"]

_DRAWS_PER_DESIGN = 200


class Problem:
    """``space`` under ``constraints``, with a pool of ``pool_size`` valid designs."""

    def __init__(self, space, constraints=Constraints(), *, pool_size=2000, pool_seed=0):
        self.space, self.constraints = space, constraints
        self.embedding = Embedding(space)
        rng = random.Random(pool_seed)
        self.pool = self.random_pairs(rng, pool_size)
        self.pool_x = np.stack([self.embedding.unit(p) for p in self.pool])

    def error(self, pair):
        return design_error(pair, self.space, self.constraints)

    def random_pairs(self, rng, k, exclude=()):
        """``k`` distinct random valid pairs not in ``exclude`` (a set of keys)."""
        seen, out = set(exclude), []
        for _ in range(_DRAWS_PER_DESIGN * k):
            if len(out) == k:
                break
            pair = self.space.sample(rng)
            if pair.key not in seen and self.error(pair) is None:
                seen.add(pair.key)
                out.append(pair)
        if not out:
            raise ValueError(self._unmet())
        return out

    def _unmet(self):
        c = self.constraints
        if c.max_layers is not None and c.max_layers < min(self.space.transformer["layers"]):
            return (f"max_layers must be at least {min(self.space.transformer['layers'])} "
                    f"(the space's fewest layers), not {c.max_layers}")
        return "space must contain a valid design; none of the designs drawn is valid"

    def snap(self, u, exclude=()):
        """``(pair, direct)``: the nearest valid design to ``u`` not in ``exclude``;
        ``direct`` is False when the axis-by-axis snap was invalid or already seen."""
        pair = self.embedding.snap(u)
        if self.error(pair) is None and pair.key not in exclude:
            return pair, True
        order = np.argsort(((self.pool_x - np.asarray(u)) ** 2).sum(1), kind="stable")
        for i in order:
            if self.pool[i].key not in exclude:
                return self.pool[i], False
        raise ValueError("budget must not exceed the number of valid designs in the pool")

    def corner_pairs(self):
        """The smallest and largest transformer (all-``sdp``) on the smallest and largest
        accelerator, where valid: the references the hardware figures are normalised by."""
        t, a = self.space.transformer, self.space.accelerator
        out = []
        for tpick in (min, max):
            layer = Layer(tpick(t["hidden"]), min(t["heads"]), "sdp", tpick(t["ff"]))
            if "sdp" not in t["attention"]:
                layer = Layer(layer.hidden, layer.heads, t["attention"][0], layer.ff)
            tr = Transformer((layer,) * tpick(t["layers"]), t["activation"][0])
            for end in (0, -1):
                acc_values = {k: (v[end] if k == "memory" else sorted(v)[end])
                              for k, v in a.items()}
                pair = Pair(tr, Accelerator(**acc_values))
                if self.error(pair) is None:
                    out.append(pair)
        return out
