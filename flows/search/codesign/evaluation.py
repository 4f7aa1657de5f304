"""Evaluating one transformer-accelerator pair: validity, hardware figures, accuracy.

:class:`PairEvaluator` is the one function every searcher's queries go through
(``pair → record``). The hardware figures come from an injected callable
``hardware(pair)`` returning ``{latency_s, dynamic_energy_pj, leakage_energy_pj,
area_um2}`` (and optionally ``stalls``) for a design that runs, or a string saying why it
cannot (the accelerator model's ``InvalidDesign``); the accuracy from an injected callable
``accuracy(transformer)`` (:class:`~.accuracy.AccuracyEvaluator`). A record is a JSON-able
dict: ``valid``, ``reason`` and, when valid, the figures, ``power_mw`` and ``accuracy``.
"""

from tilewright.flows.search.codesign.performance import METRICS
from tilewright.flows.search.codesign.validity import metrics_error

__all__ = ["PairEvaluator", "invalid"]


def invalid(reason):
    return {"valid": False, "reason": reason}


class PairEvaluator:
    """Callable ``pair → record`` for ``problem`` (picklable when its parts are)."""

    def __init__(self, problem, hardware, accuracy):
        self.problem, self.hardware, self.accuracy = problem, hardware, accuracy

    def __call__(self, pair):
        reason = self.problem.error(pair)
        if reason is not None:
            return invalid(reason)
        figures = self.hardware(pair)
        if isinstance(figures, str):
            return invalid(figures)
        record = {"valid": True, "reason": ""}
        record.update({m: float(figures[m]) for m in METRICS})
        record["stalls"] = float(figures.get("stalls", 0))
        energy_pj = record["dynamic_energy_pj"] + record["leakage_energy_pj"]
        record["power_mw"] = energy_pj * 1e-9 / record["latency_s"]
        reason = metrics_error(record, self.problem.constraints)
        if reason is not None:
            return invalid(reason)
        record["accuracy"] = float(self.accuracy(pair.transformer))
        return record
