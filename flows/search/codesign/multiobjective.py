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
against a budget of seconds per round.) :func:`hypervolume_curve` gives the exact
dominated hypervolume after each evaluation (BoTorch) and :func:`front` the
non-dominated rows.
"""

import numpy as np
import torch

from tilewright.flows.search.codesign.surrogate import Surrogate, SurrogateSettings

__all__ = ["BoshcodeHVI", "hypervolume_curve", "front"]


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


def front(points):
    """Mask of the non-dominated rows of ``points`` (all objectives maximised)."""
    from botorch.utils.multi_objective.pareto import is_non_dominated
    return is_non_dominated(torch.as_tensor(points, dtype=torch.float64)).numpy()


def hypervolume_curve(points):
    """Hypervolume dominated by the first 1, 2, … rows of ``points`` above the origin."""
    from botorch.utils.multi_objective.hypervolume import Hypervolume
    hv = Hypervolume(torch.zeros(points.shape[1], dtype=torch.float64))
    out = []
    for n in range(1, len(points) + 1):
        p = torch.as_tensor(points[:n], dtype=torch.float64)
        p = p[(p > 0).all(1)]
        out.append(hv.compute(p[front(p)]) if len(p) else 0.0)
    return np.array(out)
