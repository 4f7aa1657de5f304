"""Evaluations through a run store: what is done is read back, the rest computed once.

Searches call ``evaluate(key, fn, *args)``; :func:`cached` makes one from a run's
``done()`` and ``record`` (:mod:`tilewright.flows.runs`), so ``--resume RUN`` repeats only
the missing evaluations and a resumed run computes on the values a fresh one would.
"""

__all__ = ["cached"]


def cached(done, record):
    """An ``evaluate(key, fn, *args)`` returning ``done[key]`` when present, else what
    ``record(key, fn(*args))`` returns (a run store's ``done()`` and ``record``, which
    gives the value back as a resumed run will read it)."""
    def evaluate(key, fn, *args):
        if key not in done:
            done[key] = record(key, fn(*args))
        return done[key]
    return evaluate
