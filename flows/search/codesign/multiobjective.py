"""Multi-objective co-design, TransCODE's future work (§VI-A): the Pareto front of
(accuracy, latency, energy, area) and its hypervolume.

:class:`BoshcodeHVI` is BOSHCODE with a hypervolume-improvement acquisition: one
surrogate (:class:`~.surrogate.Surrogate`, one output per objective of
:class:`~.search.Pareto`, all maximised in [0, 1] with reference point 0) predicts each
objective's mean and both uncertainties; each candidate's optimistic point
μ + k_e·ξ + k_a·σ_a is scored by the hypervolume it would add to the current front,
estimated on a fixed Monte-Carlo sample of the unit cube; the batch is picked greedily,
each pick's optimistic point joining the front before the next. The candidates are
unevaluated designs of the problem's pool. (BoTorch's qNEHVI was the other option: with
four objectives its box decomposition took 126 s to build for 60 points on this machine,
against a budget of seconds per round.) Fronts and exact hypervolumes for reporting come
from :mod:`tilewright.flows.search.pareto`.
"""

import numpy as np
import torch

from tilewright.flows.search.codesign.surrogate import Surrogate, SurrogateSettings

__all__ = ["BoshcodeHVI"]


class BoshcodeHVI:
    name = "boshcode"

    def __init__(self, settings=SurrogateSettings(), candidates=512, samples=20000):
        self.settings, self.candidates, self.samples = settings, candidates, samples

    def propose(self, problem, x, y, k, rng, exclude):
        surrogate = Surrogate(x.shape[1], self.settings, seed=rng.randrange(1 << 30))
        surrogate.fit(x, y)
        free = [i for i, p in enumerate(problem.pool) if p.key not in exclude]
        cand = rng.sample(free, min(self.candidates, len(free)))
        with torch.no_grad():
            opt = surrogate.ucb(torch.as_tensor(problem.pool_x[cand], dtype=torch.float32))
        opt = opt.clamp(0, 1).numpy()
        mc = np.random.default_rng(rng.randrange(1 << 30)).random((self.samples, y.shape[1]))
        open_ = ~_dominated(mc, y)
        out = []
        for _ in range(k):
            gain = np.array([(mc[open_] <= c).all(1).sum() for c in opt])
            best = int(np.argmax(gain))
            out.append(problem.pool[cand[best]])
            open_ &= ~(mc <= opt[best]).all(1)
            opt[best] = -1.0
        return out


def _dominated(samples, points):
    """Which ``samples`` some row of ``points`` dominates (is ≥ in every objective)."""
    hit = np.zeros(len(samples), dtype=bool)
    for p in points:
        hit |= (samples <= p).all(1)
    return hit

