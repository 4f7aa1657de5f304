"""The hardware-driven MCTS search of TransAxx (§IV) on a budget of real evaluations.

1. Probes (real evaluations): the exact assignment, each multiplier on every group
   (TransAxx Table III's uniform assignments), and each multiplier on each group alone:
   the sensitivities ``s_ji`` of Eq. 6 (normalized accuracy with multiplier ``j`` on group
   ``i`` alone). When those probes would take more than a third of the budget, only the
   library's highest-MRE multiplier is probed and the others are scaled by MRE
   (``1 − s_ji = (1 − s_worst,i)·MRE_j / MRE_worst``). ``p_ji`` is the normalized
   power of that assignment (measured pJ per product, no evaluation needed).
2. Rounds until the budget is spent: fit the accuracy predictor
   (:mod:`~tilewright.flows.search.approx.predictor`) on all real evaluations; for each
   λ run MCTS (Alg. 1) with the Eq. 6 rollout policy and reward
   ``predicted accuracy − λ·power`` (normalized); evaluate for real a batch of the
   unevaluated terminal states the trees reached, taken by predicted Pareto rank
   (accuracy, power), spread along power. The predictor's error on each batch, predicted
   before the real evaluation, is its held-out RMSE.
3. The result is the Pareto front (accuracy, power) of the real evaluations over the λ
   sweep (Alg. 1 line 22).

All randomness comes from ``seed``: a run replays, and a resumed run (its evaluations
read from the run store) takes the same path to the same front.

What runs in parallel (on the evaluations' executor, :meth:`Evaluations.many`): the probes
of step 1, and each round's batch of step 2 (the predictor is refit only between rounds,
so the members of a batch do not depend on each other). The MCTS trees and the rounds are
sequential: each round learns from the one before.
"""

from dataclasses import dataclass, field

import numpy as np

from tilewright.flows.search.approx.evaluate import BudgetSpent
from tilewright.flows.search.approx.mcts import MCTS, reward, rollout_policy
from tilewright.flows.search.approx.predictor import Predictor, rmse
from tilewright.flows.search.pareto import pareto_mask

__all__ = ["MctsSettings", "MctsReport", "sensitivities", "probe_assignments", "mcts_search"]


@dataclass(frozen=True)
class MctsSettings:
    """``lambdas`` the power weights swept; ``simulations`` per λ and round; ``c`` the UCB
    exploration constant (Eq. 5); ``temperature`` of the rollout policy (Eq. 6);
    ``batch`` real evaluations per round (None: a tenth of the budget, at least 2)."""

    lambdas: tuple = (0.0, 0.5, 1.0, 2.0)
    simulations: int = 200
    c: float = 0.1
    temperature: float = 0.05
    batch: int = None

    def __post_init__(self):
        for lam in self.lambdas:
            if not isinstance(lam, (int, float)) or lam < 0:
                raise ValueError(f"lambda must be a non-negative number, not {lam!r}")
        if not self.lambdas:
            raise ValueError("lambda must list at least one value")
        if not isinstance(self.simulations, int) or self.simulations < 1:
            raise ValueError(f"simulations must be a positive integer, not "
                             f"{self.simulations!r}")


@dataclass
class MctsReport:
    """What the search learned: sensitivities, normalized powers, and the predictor's
    (predicted, real) accuracy pairs on evaluations it had not seen."""

    sensitivity: list = None
    power: list = None
    predicted: list = field(default_factory=list)
    actual: list = field(default_factory=list)

    @property
    def predictor_rmse(self):
        return rmse(self.predicted, self.actual)


def sensitivities(space, evals, exact_accuracy, *, measure_all):
    """``(s, p)``: Eq. 6's sensitivity and normalized power matrices ``(choices, groups)``.
    ``measure_all``: probe every multiplier on every group alone; otherwise probe the
    highest-MRE one and scale by MRE (see the module docstring)."""
    mre = [e.metrics["mre"] for e in space.entries]
    if measure_all:
        s = np.array([[evals(space.alone(j, i))[0] / exact_accuracy
                       for i in range(space.groups)] for j in range(space.choices)])
    else:
        worst = _worst(space)
        drop = np.array([1.0 - evals(space.alone(worst, i))[0] / exact_accuracy
                         for i in range(space.groups)])
        s = np.array([1.0 - drop * (m / mre[worst]) for m in mre])
    exact_mw = space.power.power_mw(space.uniform(space.exact))
    p = np.array([[space.power.power_mw(space.alone(j, i)) / exact_mw
                   for i in range(space.groups)] for j in range(space.choices)])
    return s, p


def _worst(space):
    """The library's highest-MRE multiplier."""
    return int(np.argmax([e.metrics["mre"] for e in space.entries]))


def probe_assignments(space, measure_all):
    """The probes' assignments, in the order :func:`mcts_search` evaluates them: the
    exact one, each multiplier on every group, then each multiplier (or, without
    ``measure_all``, the highest-MRE one) on each group alone."""
    probed = range(space.choices) if measure_all else [_worst(space)]
    return [space.uniform(space.exact), *(space.uniform(j) for j in range(space.choices)),
            *(space.alone(j, i) for j in probed for i in range(space.groups))]


def _spread(states, predicted, count):
    """Up to ``count`` states by predicted Pareto rank, each rank spread along power."""
    pts = np.asarray(predicted, float)
    left = np.arange(len(states))
    chosen = []
    while len(chosen) < count and len(left):
        mask = pareto_mask(pts[left], ("max", "min"))
        rank = left[mask][np.argsort(pts[left[mask], 1], kind="stable")]
        need = count - len(chosen)
        if len(rank) > need:
            rank = rank[np.unique(np.linspace(0, len(rank) - 1, need).round().astype(int))]
        chosen += [states[i] for i in rank]
        left = left[~np.isin(left, rank)]
    return chosen


def _unseen(space, evals, rng, count):
    """Up to ``count`` distinct unevaluated assignments, uniformly at random."""
    if space.size <= 1 << 16:
        left = [a for a in space.all() if a not in evals.seen]
        return [left[i] for i in rng.permutation(len(left))[:count]]
    out = set()
    while len(out) < count:
        a = tuple(int(v) for v in rng.integers(space.choices, size=space.groups))
        if a not in evals.seen:
            out.add(a)
    return sorted(out)


def mcts_search(space, evals, *, seed, settings=MctsSettings()):
    """Run the search until ``evals`` spends its budget; returns an :class:`MctsReport`
    (the evaluations themselves are ``evals.history``)."""
    rng = np.random.default_rng(seed)
    report = MctsReport()
    batch = settings.batch or max(2, (evals.budget or 100) // 10)
    mre = [e.metrics["mre"] for e in space.entries]
    try:
        probes = (space.choices - 1) * space.groups
        measure_all = evals.budget is None or 3 * probes <= evals.budget
        asked = probe_assignments(space, measure_all)
        results = evals.many(asked)                 # independent: evaluated together
        if len(results) < len(asked):
            raise BudgetSpent(evals.budget)
        acc0, p0 = results[0]
        s, p = sensitivities(space, evals, acc0, measure_all=measure_all)
        report.sensitivity, report.power = s.tolist(), p.tolist()
        predictor = Predictor(s, mre, acc0, seed=seed)
        while len(evals.seen) < space.size:
            done = list(evals.seen)
            predictor.fit(done, [evals.seen[a][0] for a in done])
            reached = {}
            for lam in settings.lambdas:
                tree = MCTS(space.groups, space.choices,
                            rollout_policy(s, p, lam, settings.temperature),
                            lambda st, lam=lam: reward(predictor(st) / acc0,
                                                       space.power.power_mw(st) / p0, lam),
                            c=settings.c, rng=rng)
                reached.update(dict.fromkeys(tree.run(settings.simulations)))
            fresh = [st for st in reached if st not in evals.seen]
            if not fresh:                  # the trees found nothing new
                fresh = _unseen(space, evals, rng, batch)
            predicted = [(predictor(st), space.power.power_mw(st)) for st in fresh]
            chosen = _spread(fresh, predicted, batch)
            guesses = [predictor(st) for st in chosen]
            results = evals.many(chosen)            # independent: evaluated together
            report.predicted += guesses[:len(results)]
            report.actual += [acc for acc, _ in results]
            if len(results) < len(chosen):
                raise BudgetSpent(evals.budget)
    except BudgetSpent:
        pass
    return report
