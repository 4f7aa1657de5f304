"""BOSHCODE (TransCODE §III-C, §IV-C): active learning with the heteroscedastic surrogate.

Each round fits the :class:`~.surrogate.Surrogate` to every evaluated pair (performance;
invalid pairs at P_MIN) plus the invalid points GOBI proposed earlier (also at P_MIN,
§IV-C: the surrogate learns where the invalid region is), runs :func:`~.gobi.gobi` on the
UCB acquisition from several starting points (the best pairs so far and random valid
designs), and snaps the optima, best acquisition first, to distinct valid designs: the
batch of queries evaluated in parallel.
"""

import numpy as np
import torch

from tilewright.flows.search.codesign.gobi import gobi
from tilewright.flows.search.codesign.performance import P_MIN
from tilewright.flows.search.codesign.surrogate import Surrogate, SurrogateSettings

__all__ = ["Boshcode"]


class Boshcode:
    """The BOSHCODE proposer; ``starts`` GOBI starting points per query."""

    name = "boshcode"

    def __init__(self, settings=SurrogateSettings(), starts=3):
        self.settings, self.starts = settings, starts
        self.invalid_x = []

    def propose(self, problem, x, y, k, rng, exclude):
        data_x = np.concatenate([x] + [np.array(self.invalid_x).reshape(-1, x.shape[1])])
        data_y = np.concatenate([y, np.full(len(self.invalid_x), P_MIN)])
        surrogate = Surrogate(x.shape[1], self.settings, seed=rng.randrange(1 << 30))
        surrogate.fit(data_x, data_y)
        n = self.starts * k
        best = x[np.argsort(-y, kind="stable")[: n // 2]]
        rand = problem.pool_x[[rng.randrange(len(problem.pool)) for _ in range(n - len(best))]]
        found = gobi(surrogate.ucb, np.concatenate([best, rand]))
        with torch.no_grad():
            order = torch.argsort(-surrogate.ucb(found), stable=True)
        out, seen = [], set(exclude)
        for i in order.tolist():
            u = found[i].numpy()
            pair, direct = problem.snap(u, seen)
            if not direct and problem.error(problem.embedding.snap(u)) is not None:
                self.invalid_x.append(problem.embedding.unit(problem.embedding.snap(u)))
            if len(out) < k:
                out.append(pair)
                seen.add(pair.key)
        return out
