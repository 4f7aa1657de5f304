"""Real evaluations of multiplier assignments: accuracy of the table-driven model, and
the one function every search evaluates through (so a run store can save and replay).

An **assignment** is a tuple of library indices, one per layer group. Its accuracy is the
held-out accuracy of the model with every approximable layer quantized to ``bits`` bits
(percentile calibration in float, TransAxx §III-C, done once: it does not depend on the
assignment) and its products looked up in the assigned multiplier's table
(:mod:`tilewright.golden.models.approx_layers`). Approximation-aware fine-tuning (STE,
TransAxx §III-C) starts from the same calibrated model.
"""

import copy

import torch

from tilewright.flows.search.evaluations import cached
from tilewright.golden.models.approx_layers import approximate, calibrate

__all__ = ["AccuracyOracle", "MemoryStore", "Evaluations", "BudgetSpent", "assignment_key",
           "accuracy_record", "finetuned"]


class AccuracyOracle:
    """``oracle(assignment) -> accuracy`` of ``model`` on ``(x, y)``.

    Parameters
    ----------
    model : nn.Module
        A classifier; ``model(x)`` gives logits. Not modified (a copy is approximated).
    workload : :class:`~tilewright.flows.search.approx.workload.Workload`
    entries : list of :class:`~tilewright.flows.search.approx.library.Entry`
    calibration : torch.Tensor
        Inputs for activation calibration.
    x, y : torch.Tensor
        Held-out inputs and labels.
    """

    def __init__(self, model, workload, entries, calibration, x, y, *, bits=8,
                 percentile=99.9, batch=512):
        self.workload, self.entries = workload, list(entries)
        self.x, self.y, self.batch = x, y, batch
        exact = next(e for e in self.entries if e.kind == "exact").table
        self.model = copy.deepcopy(model)
        approximate(self.model, {n: exact for n in workload.macs}, bits, percentile)
        with calibrate(self.model):
            self.model(calibration)
        self.model.eval()

    def set_assignment(self, model, assignment):
        for group, j in zip(self.workload.groups, assignment):
            for name in group:
                model.get_submodule(name).use_table(self.entries[j].table)

    def accuracy(self, model):
        model.eval()
        with torch.no_grad():
            right = sum(int((model(self.x[i:i + self.batch]).argmax(1)
                             == self.y[i:i + self.batch]).sum())
                        for i in range(0, len(self.x), self.batch))
        return right / len(self.x)

    def __call__(self, assignment):
        self.set_assignment(self.model, assignment)
        return self.accuracy(self.model)

    def finetune(self, assignment, x, y, *, epochs=2, lr=1e-4, batch=64, seed=0):
        """Approximation-aware fine-tuning (STE through the tables, Adam, TransAxx §V-A
        uses Adam at 5e-5): ``(accuracy before, accuracy after)``."""
        model = copy.deepcopy(self.model)
        self.set_assignment(model, assignment)
        before = self.accuracy(model)
        g = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(len(x), generator=g)
            for i in range(0, len(x), batch):
                idx = perm[i:i + batch]
                loss = loss_fn(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        return before, self.accuracy(model)


def assignment_key(entries, assignment):
    """The run-store key of an assignment: the entries' names, comma-separated."""
    return ",".join(entries[j].name for j in assignment)


class MemoryStore:
    """A run store kept in memory (the interface of ``tilewright.flows.runs.Run``)."""

    def __init__(self, values=None):
        self.values = dict(values or {})

    def done(self):
        return dict(self.values)

    def record(self, key, value):
        self.values[key] = value


class BudgetSpent(Exception):
    """A search asked for more real evaluations than its budget."""


class Evaluations:
    """Every real evaluation of one search goes through :meth:`__call__` or, for
    assignments that do not depend on each other's results, :meth:`many`.

    ``accuracy(assignment)`` is the oracle; values already in ``store`` (a resumed run,
    or a cache shared between searches of one experiment) are read instead of computed.
    ``budget`` counts the distinct assignments this search asked for; asking again for
    one it already has costs nothing. :attr:`history` lists them in the order asked:
    ``(assignment, accuracy, power_mw)``; ``on_new()`` is called as each is done
    (progress).
    With an ``executor`` (:mod:`tilewright.flows.executor`) the new assignments of
    :meth:`many` are evaluated on it in parallel; ``accuracy`` must then be picklable
    (an :class:`AccuracyOracle` is).
    """

    def __init__(self, entries, accuracy, power, *, store=None, budget=None, on_new=None,
                 executor=None):
        self.entries, self.accuracy_fn, self.power = entries, accuracy, power
        self.on_new = on_new
        self.store = store if store is not None else MemoryStore()
        self.saved = self.store.done()
        self.budget = budget
        self.executor = executor
        self.history, self.seen = [], {}

    @property
    def count(self):
        return len(self.history)

    @property
    def left(self):
        return None if self.budget is None else self.budget - self.count

    def __call__(self, assignment):
        """``(accuracy, power_mw)`` of ``assignment``; :class:`BudgetSpent` when it is new
        and the budget is spent."""
        results = self.many([assignment])
        if not results:
            raise BudgetSpent(self.budget)
        return results[0]

    def many(self, assignments):
        """``[(accuracy, power_mw)]`` of ``assignments``, as calling :meth:`__call__` on
        one after the other would give them (the same history, the same budget), up to the
        first new one beyond the budget: a shorter list when the budget ran out. The new
        ones are evaluated together (on the executor when there is one)."""
        asked, new = [], {}
        for a in assignments:
            a = tuple(int(j) for j in a)
            if a not in self.seen and a not in new:
                if self.left is not None and len(new) >= self.left:
                    break
                new[a] = assignment_key(self.entries, a)
            asked.append(a)
        if any(key not in self.saved for key in new.values()):
            self.saved = self.store.done()   # another search may have recorded them since
        values = cached(self.saved, self._record, self.executor).many(
            {key: (accuracy_record, (self.accuracy_fn, a)) for a, key in new.items()},
            progress=self.on_new and (lambda n: self.on_new()))
        for a, key in new.items():
            self.seen[a] = (float(values[key]["accuracy"]), self.power.power_mw(a))
            self.history.append((a, *self.seen[a]))
        return [self.seen[a] for a in asked]

    def _record(self, key, value):
        self.store.record(key, value)
        return value


def accuracy_record(accuracy, assignment):
    """The run-store value of ``assignment``: ``{"accuracy": accuracy(assignment)}``."""
    return {"accuracy": float(accuracy(assignment))}


def finetuned(oracle, assignment, x, y, epochs, seed):
    """The run-store value of fine-tuning ``assignment`` (:meth:`AccuracyOracle.finetune`
    on ``x, y``): ``{"before": accuracy, "after": accuracy}``."""
    before, after = oracle.finetune(assignment, x, y, epochs=epochs, seed=seed)
    return {"before": before, "after": after}
