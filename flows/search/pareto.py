"""Pareto fronts and hypervolume for the searchers, any number of objectives.

Every function takes ``points`` (an ``(n, m)`` array-like, one row per design) and
``senses``, one ``"min"`` or ``"max"`` per objective. Internally objectives are turned
into minimisation by negating the maximised ones.

The hypervolume is pymoo's exact indicator (:class:`pymoo.indicators.hv.HV`): the volume
dominated by the points and bounded by the reference point ``ref`` (in the objectives'
own units and senses: a design counts only where it is strictly better than ``ref`` in
every objective).
"""

import numpy as np

__all__ = ["SENSES", "check_senses", "pareto_mask", "pareto_front", "hypervolume",
           "hypervolume_curve"]

SENSES = ("min", "max")


def check_senses(senses, m):
    """Check ``senses`` for ``m`` objectives; returns the sign array (+1 min, -1 max)."""
    senses = tuple(senses)
    if len(senses) != m:
        raise ValueError(f"senses must give one of {SENSES} per objective ({m}), "
                         f"not {senses!r}")
    for s in senses:
        if s not in SENSES:
            raise ValueError(f"senses must hold 'min' or 'max', not {s!r}")
    return np.array([1.0 if s == "min" else -1.0 for s in senses])


def _as_min(points, senses):
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2:
        pts = pts.reshape(-1, len(tuple(senses)))
    return pts * check_senses(senses, pts.shape[1])


def pareto_mask(points, senses):
    """Boolean mask of the non-dominated rows. A row is dominated when another is at
    least as good in every objective and better in one; equal rows are all kept."""
    pts = _as_min(points, senses)
    n = len(pts)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        if not keep[i]:
            continue
        no_worse = (pts <= pts[i]).all(1)
        better = (pts < pts[i]).any(1)
        if (no_worse & better).any():
            keep[i] = False
    return keep


def pareto_front(points, senses):
    """Indices of the non-dominated rows, ordered by the first objective (best first)."""
    pts = _as_min(points, senses)
    idx = np.flatnonzero(pareto_mask(points, senses))
    return idx[np.lexsort(pts[idx].T[::-1])].tolist()


def hypervolume(points, ref, senses):
    """Volume dominated by ``points`` within the box bounded by ``ref`` (0 when none is
    strictly better than ``ref`` in every objective)."""
    from pymoo.indicators.hv import HV
    pts = _as_min(points, senses)
    r = np.asarray(ref, dtype=float) * check_senses(senses, pts.shape[1])
    inside = pts[(pts < r).all(1)] if len(pts) else pts
    if not len(inside):
        return 0.0
    return float(HV(ref_point=r)(inside))


def hypervolume_curve(points, ref, senses):
    """Hypervolume of the first 1, 2, ..., n rows of ``points`` (evaluation order): how a
    search's front grew with its evaluations."""
    pts = np.asarray(points, dtype=float)
    curve, front = [], np.empty((0, pts.shape[1] if pts.ndim == 2 else len(senses)))
    last = 0.0
    for row in pts:
        candidate = np.vstack([front, row])
        mask = pareto_mask(candidate, senses)
        if mask[-1]:                      # the new point is on the front: HV may grow
            front = candidate[mask]
            last = hypervolume(front, ref, senses)
        curve.append(last)
    return curve
