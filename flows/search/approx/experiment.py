"""A whole TransAxx search experiment: MCTS and the baselines over seeds on one space,
sharing one evaluation store, with fronts and hypervolume against evaluations.

Hypervolume is taken in (accuracy ↑, power ↓) with the reference point
``(hv_floor × exact accuracy, exact power)``: only designs that save power and keep at
least ``hv_floor`` of the exact (8-bit) model's accuracy count.
"""

from dataclasses import dataclass

import numpy as np

from tilewright.flows.search.approx.baselines import BASELINES
from tilewright.flows.search.approx.evaluate import Evaluations
from tilewright.flows.search.approx.search import MctsSettings, mcts_search
from tilewright.flows.search.pareto import hypervolume, hypervolume_curve, pareto_front

__all__ = ["METHODS", "SENSES", "MethodRun", "run_method", "hv_reference", "summary"]

METHODS = ("mcts", "random", "nsga2", "exhaustive")
SENSES = ("max", "min")


@dataclass
class MethodRun:
    """One search: its method, seed, evaluations (``(assignment, accuracy, power_mw)`` in
    the order asked) and, for MCTS, its :class:`~.search.MctsReport`."""

    method: str
    seed: int
    history: list
    report: object = None

    def points(self):
        return [(acc, mw) for _, acc, mw in self.history]

    def front(self):
        """The Pareto-optimal evaluations, highest accuracy first."""
        return [self.history[i] for i in pareto_front(self.points(), SENSES)]

    def hypervolume(self, ref):
        return hypervolume(self.points(), ref, SENSES) if self.history else 0.0

    def curve(self, ref):
        return hypervolume_curve(self.points(), ref, SENSES)


def run_method(space, accuracy, method, *, budget, seed, store,
               settings=MctsSettings(), on_new=None, executor=None):
    """Run ``method`` (one of :data:`METHODS`) with ``budget`` real evaluations
    (``None``: unlimited, the exhaustive one) through ``store``, the independent ones in
    parallel on ``executor`` when given (:class:`~.evaluate.Evaluations`)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    evals = Evaluations(space.entries, accuracy, space.power, store=store, budget=budget,
                        on_new=on_new, executor=executor)
    report = None
    if method == "mcts":
        report = mcts_search(space, evals, seed=seed, settings=settings)
    else:
        BASELINES[method](space, evals, seed=seed)
    return MethodRun(method, seed, evals.history, report)


def hv_reference(exact_accuracy, exact_mw, hv_floor=0.9):
    return (hv_floor * exact_accuracy, exact_mw)


def summary(runs, ref, exhaustive=None):
    """Rows per method: evaluations, hypervolume mean / std / min / max over seeds and,
    given the exhaustive run, the mean as a fraction of its hypervolume; for MCTS, the
    predictor's held-out RMSE (mean over seeds)."""
    full = exhaustive.hypervolume(ref) if exhaustive is not None else None
    rows = []
    for method in dict.fromkeys(r.method for r in runs):
        sel = [r for r in runs if r.method == method]
        hv = np.array([r.hypervolume(ref) for r in sel])
        rmses = [r.report.predictor_rmse for r in sel
                 if r.report is not None and r.report.predicted]
        rows.append({"method": method, "seeds": len(sel),
                     "evaluations": int(np.mean([len(r.history) for r in sel])),
                     "hv_mean": float(hv.mean()), "hv_std": float(hv.std()),
                     "hv_min": float(hv.min()), "hv_max": float(hv.max()),
                     "hv_vs_exhaustive": None if not full else float(hv.mean() / full),
                     "predictor_rmse": float(np.mean(rmses)) if rmses else None})
    return rows
