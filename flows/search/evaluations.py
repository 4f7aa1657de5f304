"""Evaluations through a run store: what is done is read back, the rest computed once.

Searches call ``evaluate(key, fn, *args)`` for one evaluation, or ``evaluate.many({key:
(fn, args)})`` for evaluations that do not depend on each other; :func:`cached` makes the
evaluator from a run's ``done()`` and ``record`` (:mod:`tilewright.flows.runs`), so
``--resume RUN`` repeats only the missing evaluations and a resumed run computes on the
values a fresh one would. Given an executor (:mod:`tilewright.flows.executor`), the
missing evaluations of a batch run on it in parallel, each recorded as it finishes: ``fn``
must then be a module-level function (it is pickled by reference) and seed itself from
its arguments, so that a result does not depend on the worker or the order. Each task
runs with one torch thread (:func:`call`): the pool already uses every core, and a
result does not depend on how many workers there are.
"""

__all__ = ["cached", "Cached", "call"]


def call(fn, args):
    """``fn(*args)`` on one torch thread: the task an executor runs for
    :meth:`Cached.many`."""
    import torch
    torch.set_num_threads(1)
    return fn(*args)


def cached(done, record, executor=None):
    """A :class:`Cached` evaluator returning ``done[key]`` when present, else what
    ``record(key, fn(*args))`` returns (a run store's ``done()`` and ``record``, which
    gives the value back as a resumed run will read it); ``executor`` runs the missing
    evaluations of :meth:`Cached.many` (in this process when None)."""
    return Cached(done, record, executor)


class Cached:
    """See :func:`cached`."""

    def __init__(self, done, record, executor=None):
        self.done, self.record, self.executor = done, record, executor

    def __call__(self, key, fn, *args):
        return self.many({key: (fn, args)})[key]

    def many(self, tasks, progress=None):
        """``{key: value}`` for ``tasks`` (``{key: (fn, args)}``, independent evaluations),
        in their order: the done ones read, the others computed (on the executor, in
        parallel) and recorded as each finishes. ``progress(1)`` is called for each key,
        done or computed. A failed evaluation raises (on the executor,
        :class:`~tilewright.flows.executor.TaskFailed` once the others are recorded)."""
        step = progress or (lambda n: None)
        missing = {}
        for key, (fn, args) in tasks.items():
            if key in self.done:
                step(1)
            else:
                missing[key] = (fn, tuple(args))
        if self.executor is None or not missing:
            results = ((key, fn(*args)) for key, (fn, args) in missing.items())
        else:
            results = self.executor.map(call, missing)
        for key, value in results:
            self.done[key] = self.record(key, value)
            step(1)
        return {key: self.done[key] for key in tasks}
