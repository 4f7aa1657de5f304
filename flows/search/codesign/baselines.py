"""Baseline searchers of TransCODE Fig. 11, on the same embedding, budget and snapping.

- :class:`RandomSearch`: uniformly random valid designs.
- :class:`GPBO`: Gaussian-process Bayesian optimisation (BoTorch ``SingleTaskGP``), batch
  upper confidence bound (qUCB) optimised by L-BFGS-B from random restarts
  (``optimize_acqf``), the optima snapped to valid designs.
- :class:`TreeSearch`: a scikit-learn tree ensemble as the surrogate — ``"rf"`` a random
  forest (mean and spread over its trees) or ``"gbrt"`` gradient-boosted trees (median and
  spread from the 16 % and 84 % quantile models, as scikit-optimize does) — with UCB over
  the problem's pool of valid designs.
"""

import numpy as np
import torch

__all__ = ["RandomSearch", "GPBO", "TreeSearch", "BASELINES"]

UCB_BETA = 1.0


class RandomSearch:
    name = "random"

    def propose(self, problem, x, y, k, rng, exclude):
        return problem.random_pairs(rng, k, exclude)


class GPBO:
    name = "gpbo"

    def propose(self, problem, x, y, k, rng, exclude):
        from botorch.acquisition import qUpperConfidenceBound
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.optim import optimize_acqf
        from gpytorch.mlls import ExactMarginalLogLikelihood

        torch.manual_seed(rng.randrange(1 << 30))
        tx = torch.as_tensor(x, dtype=torch.float64)
        ty = torch.as_tensor(y, dtype=torch.float64).unsqueeze(-1)
        ty = (ty - ty.mean()) / (ty.std() if len(ty) > 1 and ty.std() > 0 else 1.0)
        gp = SingleTaskGP(tx, ty)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(gp.likelihood, gp),
                         optimizer_kwargs={"options": {"maxiter": 50}})
        d = x.shape[1]
        bounds = torch.stack([torch.zeros(d), torch.ones(d)]).double()
        cand, _ = optimize_acqf(qUpperConfidenceBound(gp, beta=UCB_BETA), bounds, q=k,
                                num_restarts=2, raw_samples=32, sequential=True,
                                options={"maxiter": 30})
        return _snap_all(problem, cand.numpy(), k, exclude)


class TreeSearch:
    def __init__(self, kind):
        if kind not in ("rf", "gbrt"):
            raise ValueError(f"kind must be one of 'rf', 'gbrt', not {kind!r}")
        self.name = kind

    def propose(self, problem, x, y, k, rng, exclude):
        from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor

        seed = rng.randrange(1 << 30)
        cand = [i for i, p in enumerate(problem.pool) if p.key not in exclude]
        px = problem.pool_x[cand]
        if self.name == "rf":
            rf = RandomForestRegressor(n_estimators=100, random_state=seed).fit(x, y)
            per_tree = np.stack([t.predict(px) for t in rf.estimators_])
            mean, spread = per_tree.mean(0), per_tree.std(0)
        else:
            q = {a: GradientBoostingRegressor(loss="quantile", alpha=a, n_estimators=100,
                                              random_state=seed).fit(x, y).predict(px)
                 for a in (0.16, 0.5, 0.84)}
            mean, spread = q[0.5], (q[0.84] - q[0.16]) / 2
        best = np.argsort(-(mean + UCB_BETA * spread), kind="stable")[:k]
        return [problem.pool[cand[i]] for i in best]


def _snap_all(problem, points, k, exclude):
    """The first ``k`` rows of ``points`` snapped to distinct valid unseen designs."""
    out, seen = [], set(exclude)
    for u in points[:k]:
        pair, _ = problem.snap(u, seen)
        out.append(pair)
        seen.add(pair.key)
    return out


BASELINES = {"random": RandomSearch, "gpbo": GPBO, "rf": lambda: TreeSearch("rf"),
             "gbrt": lambda: TreeSearch("gbrt")}
