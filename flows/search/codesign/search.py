"""The active-learning loop shared by BOSHCODE and the baselines.

:func:`run_search` draws ``initial`` random valid pairs (the same for every method at a
given seed), then asks the method for batches of ``batch`` queries until ``budget``
pairs are evaluated. Evaluations go through one place, :func:`evaluate_pairs`: a pair
already in the run store (``store.done()``) is not evaluated again, the others run on the
executor (contract 2: ``map(fn, tasks)`` yielding ``(key, result)`` as they finish; plain
in-process calls without one) and are recorded one by one (``store.evaluate``: a
:class:`tilewright.flows.runs.Run` or a :class:`MemoryStore`). The loop
itself is deterministic for a seed, so a resumed run re-evaluates only what is missing and
ends where the uninterrupted run does.
"""

import json
import random
from dataclasses import dataclass, field

import numpy as np

from tilewright.flows.search.codesign.performance import METRICS, Weights, performance

__all__ = ["SearchSettings", "Evaluation", "SearchResult", "MemoryStore", "run_search",
           "evaluate_pairs", "reference_maxima", "Weighted", "Pareto"]


@dataclass(frozen=True)
class SearchSettings:
    budget: int = 200
    batch: int = 4
    initial: int = 16
    seed: int = 0

    def __post_init__(self):
        for name, lo in (("batch", 1), ("initial", 1), ("seed", 0)):
            v = getattr(self, name)
            if not isinstance(v, int) or v < lo:
                raise ValueError(f"{name} must be an integer ≥ {lo}, not {v!r}")
        if not isinstance(self.budget, int) or self.budget < self.initial:
            raise ValueError(f"budget must be an integer ≥ initial ({self.initial}), "
                             f"not {self.budget!r}")


@dataclass
class Evaluation:
    index: int
    pair: object
    record: dict
    score: float


@dataclass
class SearchResult:
    method: str
    settings: SearchSettings
    maxima: dict
    evaluations: list = field(default_factory=list)

    def best(self):
        return max(self.evaluations, key=lambda e: e.score)

    def convergence(self):
        """Best score after each evaluation."""
        return np.maximum.accumulate([e.score for e in self.evaluations])


class MemoryStore:
    """A run store kept in memory, with :class:`tilewright.flows.runs.Run`'s interface;
    without an executor it evaluates in this process."""

    def __init__(self):
        self._done = {}

    def done(self):
        return dict(self._done)

    def record(self, key, value):
        self._done[key] = json.loads(json.dumps(value))      # as a database gives it back
        return self._done[key]

    def evaluate(self, executor, fn, tasks, *, desc=None):
        missing = {k: a for k, a in tasks.items() if k not in self._done}
        results = (executor.map(fn, missing, desc=desc) if executor is not None
                   else ((k, fn(*a)) for k, a in missing.items()))
        for key, value in results:
            self.record(key, value)
        return {key: self._done[key] for key in tasks}


def _call(fn, arg):
    return fn(arg)


def evaluate_pairs(pairs, evaluator, store, executor=None, desc=None):
    """Records of ``pairs``: the store's (``eval:<pair key>``) or evaluated now."""
    tasks = {f"eval:{p.key}": (evaluator, p) for p in pairs}
    records = store.evaluate(executor, _call, tasks, desc=desc)
    return [records[k] for k in tasks]


def reference_maxima(problem, evaluator, store, executor=None):
    """The maxima of the hardware figures that normalise them (TransCODE §III-C): the
    largest of each over :meth:`~.problem.Problem.corner_pairs` and the first eight
    designs of the problem's pool (fixed for a problem, so for every method and seed)."""
    refs = problem.corner_pairs() + problem.pool[:8]
    records = [r for r in evaluate_pairs(refs, evaluator, store, executor) if r["valid"]]
    if not records:
        raise ValueError("space must contain a design the accelerator model can run; "
                         "none of the reference designs can")
    return {m: max(r[m] for r in records) for m in METRICS}


class Weighted:
    """TransCODE's single objective: the weighted performance P (higher is better)."""

    pareto = False

    def __init__(self, weights=Weights()):
        self.weights = weights

    def scores(self, records, maxima):
        return np.array([performance(r, self.weights, maxima) for r in records])


class Pareto:
    """Four objectives to maximise: accuracy, 1 − latency, 1 − energy (dynamic plus
    leakage), 1 − area, hardware figures normalised as in P; an invalid pair scores 0
    on all four (the reference point of the hypervolume)."""

    pareto = True
    names = ("accuracy", "latency", "energy", "area")

    def scores(self, records, maxima):
        out = np.zeros((len(records), 4))
        for i, r in enumerate(records):
            if r["valid"]:
                energy = (r["dynamic_energy_pj"] + r["leakage_energy_pj"]) / (
                    maxima["dynamic_energy_pj"] + maxima["leakage_energy_pj"])
                out[i] = (r["accuracy"], 1 - min(r["latency_s"] / maxima["latency_s"], 1),
                          1 - min(energy, 1), 1 - min(r["area_um2"] / maxima["area_um2"], 1))
        return out


def run_search(problem, evaluator, method, settings, *, objective=None, store=None,
               executor=None, progress=None):
    """Search ``problem`` with ``method`` (a proposer); returns a :class:`SearchResult`.

    ``progress``: called with the number of pairs of each batch once it is evaluated.
    Scores are the objective's (:class:`Weighted` P by default; for :class:`Pareto` the
    score kept per evaluation is the mean of the four objectives, for plotting only).
    """
    objective = objective or Weighted()
    store = store if store is not None else MemoryStore()
    maxima = reference_maxima(problem, evaluator, store, executor)
    rng = random.Random(settings.seed)
    result = SearchResult(method.name, settings, maxima)
    pairs = problem.random_pairs(rng, settings.initial)
    while True:
        records = evaluate_pairs(pairs, evaluator, store, executor)
        for pair, record in zip(pairs, records):
            result.evaluations.append(Evaluation(len(result.evaluations), pair, record, 0.0))
        targets = objective.scores([e.record for e in result.evaluations], maxima)
        for e, t in zip(result.evaluations, targets):
            e.score = float(t.mean()) if objective.pareto else float(t)
        if progress:
            progress(len(pairs))
        left = settings.budget - len(result.evaluations)
        if left <= 0:
            return result
        x = np.stack([problem.embedding.unit(e.pair) for e in result.evaluations])
        exclude = {e.pair.key for e in result.evaluations}
        pairs = method.propose(problem, x, targets, min(settings.batch, left), rng, exclude)

