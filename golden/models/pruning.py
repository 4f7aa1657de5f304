"""DynaTran threshold pruning on the golden models (AccelTran §III-A), and top-k pruning
(SpAtten; AccelTran §II-B, §V-A1) as the baseline at equal activation sparsity
(AccelTran Figs. 12–13).

DynaTran keeps ``v`` where ``|v| ≥ τ`` and zeroes it where ``|v| < τ``; the pruning ratio
ρ of a matrix is its fraction of zeros. Activation and weight pruning are separate knobs:
``tau_activation`` prunes every activation matrix of Table I at run time (DynaTran
proper), ``tau_weight`` every weight matrix (the weight pruning, WP, of AccelTran §V-A2);
either may be ``None`` (off). Taps (:class:`DynaTranTap`, :class:`TopKTap`) do this inside
a model as :class:`~tilewright.golden.models.numerics.Numerics` taps, count the zeros of
every matrix they see (pruned or not) and add up the time of the pruning operations
alone: wall time (``seconds``) and the calling thread's CPU time (``cpu_seconds``, which
other processes on a loaded machine do not inflate).

:func:`transfer_curve` profiles ρ against τ on data — the curve the hardware threshold
calculator stores to look τ up from a desired ρ (:func:`tau_for_rho`).
:func:`equal_sparsity` compares DynaTran with top-k where both prune the same activation
matrices to the same sparsity: top-k's ``k`` for each matrix is chosen from the ρ that
DynaTran reached on it.
"""

import contextlib
import math
import numbers
import time
from collections import defaultdict
from dataclasses import replace

import torch

from tilewright.fixedpoint import check_choice, check_int

__all__ = ["KINDS", "SWEEPS", "check_tau", "dynatran_prune", "topk_prune", "SparsityCount",
           "DynaTranTap", "TopKTap", "evaluate_pruned", "sweep_points", "transfer_curve",
           "tau_for_rho", "row_ks", "matching_keep", "equal_sparsity", "one_thread"]

KINDS = ("activation", "weight")
SWEEPS = ("activation", "weight", "both")


def check_tau(name, tau):
    """``tau`` as a ``float`` (``None``, no pruning, passes through); a ``TypeError`` or
    ``ValueError`` naming ``name`` unless it is a finite number ≥ 0."""
    if tau is None:
        return None
    if isinstance(tau, bool) or not isinstance(tau, numbers.Real):
        raise TypeError(f"{name} must be a number or None, not {tau!r}")
    if not (math.isfinite(tau) and tau >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, not {tau!r}")
    return float(tau)


def dynatran_prune(m, tau):
    """``(pruned, mask)``: ``m`` with every ``|v| < τ`` set to 0; ``mask`` is True there."""
    mask = m.abs() < tau
    return torch.where(mask, torch.zeros_like(m), m), mask


def topk_prune(m, k):
    """Top-k: keep the ``k`` largest-magnitude entries of each row (last dimension) of
    ``m`` and zero the rest. ``k`` is an ``int``, or an integer tensor of shape
    ``m.shape[:-1]`` giving each row its own k (see :func:`row_ks`). Returns
    ``(pruned, mask)``, mask True where pruned; exactly k entries of a row are kept, ties
    broken by ``torch.topk``. One unsorted ``topk`` per call when the rows' k differ by
    at most one (as :func:`row_ks` makes them), a sorted one otherwise.

    SpAtten ranks the attention scores; here every activation matrix is ranked the same
    way, as AccelTran §V-A1 does to compare *net* activation sparsity with DynaTran."""
    n = m.shape[-1]
    if isinstance(k, torch.Tensor):
        if k.shape != m.shape[:-1] or k.dtype.is_floating_point:
            raise ValueError(f"k must be integers of shape {tuple(m.shape[:-1])}, not "
                             f"{k.dtype} of shape {tuple(k.shape)}")
        lo, hi = (int(k.min()), int(k.max())) if k.numel() else (0, 0)
        for v in (lo, hi):
            check_int("k", v, 0, n)
    else:
        lo = hi = check_int("k", k, 0, n)
    values, ranked = m.abs().topk(hi, dim=-1, sorted=hi - lo > 1)
    if hi - lo > 1:                 # any k per row: the first k of the sorted ranking
        src = torch.arange(hi) < k.unsqueeze(-1)
    else:                           # k is hi or hi − 1 (row_ks): no sort; rows keeping
        src = torch.ones_like(ranked, dtype=torch.bool)     # hi − 1 drop their least
        if lo < hi:
            src.scatter_(-1, values.argmin(-1, keepdim=True), (k == hi).unsqueeze(-1))
    keep = torch.zeros_like(m, dtype=torch.bool).scatter_(-1, ranked, src)
    return torch.where(keep, m, torch.zeros_like(m)), ~keep


def row_ks(kappa, shape):
    """Per-row k for rows ``shape`` (row-major) keeping ``kappa`` entries per row on
    average: row r keeps ``⌊(r+1)κ⌋ − ⌊rκ⌋`` (⌊κ⌋ or ⌈κ⌉), ``⌊rows·κ⌋`` in all."""
    r = torch.arange(math.prod(shape) + 1, dtype=torch.float64)
    edges = torch.floor(r * kappa).to(torch.int64)
    return (edges[1:] - edges[:-1]).reshape(shape)


def _is_weight(name):
    return name.endswith(".weight")


class SparsityCount:
    """Zeros, elements and the last shape of every matrix, by name."""

    def __init__(self):
        self.zeros = defaultdict(int)
        self.total = defaultdict(int)
        self.shapes = {}

    def add(self, name, x):
        self.zeros[name] += int((x == 0).sum())
        self.total[name] += x.numel()
        self.shapes[name] = tuple(x.shape)

    def sparsity(self):
        """``{matrix name: ρ}``."""
        return {k: self.zeros[k] / self.total[k] for k in self.total}

    def overall(self, kind=None):
        """ρ over all matrices, or over those of ``kind`` (names ending ``.weight`` are
        weights)."""
        keys = [k for k in self.total if kind is None or _is_weight(k) == (kind == "weight")]
        total = sum(self.total[k] for k in keys)
        return sum(self.zeros[k] for k in keys) / total if total else 0.0


class _PruningTap:
    """A numerics tap: ``self.pruner(kind, name, x)`` returns the pruning function for a
    matrix (or None); only that call is timed; every matrix's zeros are counted after."""

    def __init__(self):
        self.count = SparsityCount()
        self.seconds = self.cpu_seconds = 0.0

    def __call__(self, kind, name, x):
        prune = self.pruner(kind, name, x)
        if prune is not None:
            start, cpu = time.perf_counter(), time.thread_time()
            x = prune(x)
            self.seconds += time.perf_counter() - start
            self.cpu_seconds += time.thread_time() - cpu
        self.count.add(name, x)
        return x

    def sparsity(self):
        return self.count.sparsity()

    def overall(self, kind=None):
        return self.count.overall(kind)


class DynaTranTap(_PruningTap):
    """DynaTran: activations pruned at ``tau_activation``, weights at ``tau_weight``
    (each ``None`` = left dense)."""

    def __init__(self, tau_activation=None, tau_weight=None):
        super().__init__()
        self.tau = {"activation": check_tau("tau_activation", tau_activation),
                    "weight": check_tau("tau_weight", tau_weight)}

    def pruner(self, kind, name, x):
        tau = self.tau[kind]
        return None if tau is None else lambda x: dynatran_prune(x, tau)[0]


class TopKTap(_PruningTap):
    """Top-k on the activation matrices named in ``keep`` (``{name: κ}``: rows keep
    their largest magnitudes, κ per row on average, spread by :func:`row_ks`); weights
    pruned by DynaTran at ``tau_weight`` (``None`` = dense), so both methods can share
    one weight pruning."""

    def __init__(self, keep, tau_weight=None):
        super().__init__()
        self.keep = dict(keep)
        self.tau_weight = check_tau("tau_weight", tau_weight)
        self._ks = {}

    def pruner(self, kind, name, x):
        if kind == "weight":
            tau = self.tau_weight
            return None if tau is None else lambda x: dynatran_prune(x, tau)[0]
        if name not in self.keep:
            return None
        key = (name, x.shape[:-1])
        if key not in self._ks:
            self._ks[key] = row_ks(self.keep[name], x.shape[:-1])
        k = self._ks[key]
        return lambda x: topk_prune(x, k)[0]


def _with_taps(model, taps):
    saved = model.numerics
    model.numerics = replace(saved, taps=list(saved.taps) + list(taps))
    return saved


@torch.no_grad()
def evaluate_pruned(model, x, y, tap, batch=512):
    """Accuracy of ``model`` on ``(x, y)`` with ``tap`` added to its numerics."""
    saved = _with_taps(model, [tap])
    model.eval()
    try:
        pred = torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])
    finally:
        model.numerics = saved
    return float((pred.argmax(1) == y).float().mean())


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread inside the block (deterministic sums, comparable
    timings), then restore the thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _timed(model, x, y, make_tap, repeats):
    """``(accuracy, tap, seconds, cpu_seconds)``: the tap of the first evaluation, and the
    least total pruning wall and CPU times over ``repeats`` evaluations with fresh taps,
    on one thread."""
    check_int("repeats", repeats, 1, 1000)
    with one_thread():
        tap = make_tap()
        acc = evaluate_pruned(model, x, y, tap)
        seconds, cpu = tap.seconds, tap.cpu_seconds
        for _ in range(repeats - 1):
            again = make_tap()
            evaluate_pruned(model, x, y, again)
            seconds, cpu = min(seconds, again.seconds), min(cpu, again.cpu_seconds)
    return acc, tap, seconds, cpu


def sweep_points(taus, sweep="activation", tau_activation=None, tau_weight=None):
    """The ``(tau_activation, tau_weight)`` of each τ of ``taus``: τ prunes the
    activations (``sweep="activation"``), the weights (``"weight"``) or both (``"both"``,
    one τ for all); the knob not swept keeps its given value (``None`` = dense)."""
    check_choice("sweep", sweep, SWEEPS)
    fixed = {"activation": check_tau("tau_activation", tau_activation),
             "weight": check_tau("tau_weight", tau_weight)}
    for kind, tau in fixed.items():
        if tau is not None and sweep in (kind, "both"):
            raise ValueError(f"tau_{kind} must be None when the sweep sets it "
                             f"(sweep {sweep!r}), not {tau!r}")
    points = []
    for tau in taus:
        tau = check_tau("tau", tau)
        points.append(tuple(tau if sweep in (kind, "both") else fixed[kind]
                            for kind in KINDS))
    return points


def transfer_curve(model, x, y, taus, *, sweep="activation", tau_activation=None,
                   tau_weight=None, per_matrix=None):
    """For each τ of ``taus``: activation ρ, weight ρ, overall ρ and accuracy on
    ``(x, y)``, with τ as ``tau_activation`` (``sweep="activation"``), ``tau_weight``
    (``"weight"``) or both (``"both"``); the other knob stays at its given value.

    If ``per_matrix`` is a list, one ``{"tau", "matrix", "rho"}`` row per matrix and τ is
    appended to it (the per-matrix statistics)."""
    points = sweep_points(taus, sweep, tau_activation, tau_weight)
    rows = []
    for tau, (t_act, t_w) in zip(taus, points):
        tap = DynaTranTap(t_act, t_w)
        acc = evaluate_pruned(model, x, y, tap)
        if per_matrix is not None:
            per_matrix.extend({"tau": float(tau), "matrix": k, "rho": v}
                              for k, v in tap.sparsity().items())
        rows.append({"tau": float(tau), "tau_activation": t_act, "tau_weight": t_w,
                     "rho_activation": tap.overall("activation"),
                     "rho_weight": tap.overall("weight"), "rho": tap.overall(),
                     "accuracy": acc})
    return rows


def tau_for_rho(curve, rho, key="rho", interpolate=False):
    """τ for a desired ρ from a profiled ``curve`` (rows with ``"tau"`` and ``key``).

    By default the threshold calculator's rule: the smallest profiled τ whose ρ reaches
    ``rho`` (the largest τ of the curve if none does). With ``interpolate``, τ linearly
    interpolated between the two profiled points around ``rho``; a ``rho`` outside the
    curve's range is a ``ValueError``."""
    rows = sorted(curve, key=lambda r: r["tau"])
    if not interpolate:
        return next((r["tau"] for r in rows if r[key] >= rho), rows[-1]["tau"])
    lo, hi = rows[0][key], max(r[key] for r in rows)
    if not lo <= rho <= hi:
        raise ValueError(f"rho must be from {lo:.4f} to {hi:.4f} (the measured curve), "
                         f"not {rho!r}")
    for a, b in zip(rows, rows[1:]):
        if a[key] <= rho <= b[key]:
            if b[key] == a[key]:
                return a["tau"]
            return a["tau"] + (rho - a[key]) / (b[key] - a[key]) * (b["tau"] - a["tau"])
    return rows[0]["tau"]


def matching_keep(count):
    """``{activation matrix: κ}`` giving each matrix of ``count`` (a
    :class:`SparsityCount`) the same ρ under top-k: rows of ``n`` keep ``κ = (1 − ρ)·n``
    entries on average (:func:`row_ks`), so top-k's ρ on a call of ``R`` rows is within
    ``1/(R·n)`` of the counted one, but for zeros among the kept entries."""
    rho = count.sparsity()
    rows = {k: count.shapes[k][-1] for k in rho if not _is_weight(k)}
    return {k: (1 - rho[k]) * n for k, n in rows.items()}


def equal_sparsity(model, x, y, taus, *, sweep="activation", tau_activation=None,
                   tau_weight=None, repeats=5, per_matrix=None):
    """DynaTran against top-k at equal activation sparsity (AccelTran Figs. 12–13).

    For each τ (set as in :func:`transfer_curve`): DynaTran prunes the activations at
    ``tau_activation`` and the weights at ``tau_weight``; top-k then prunes the same
    activation matrices with :func:`matching_keep`, on the same DynaTran-pruned weights.
    Each row has both methods' activation ρ, accuracy on ``(x, y)``, ``seconds`` and
    ``cpu_seconds``: the wall and CPU time of their pruning operations over the whole
    evaluation on one thread, each the least of ``repeats`` runs. ``per_matrix`` (a
    list) receives ``{"tau", "matrix", "row", "k_mean", "rho_dynatran", "rho_topk"}``
    rows (``k_mean``: κ, the entries top-k keeps per row on average).
    """
    points = sweep_points(taus, sweep, tau_activation, tau_weight)
    rows = []
    for tau, (t_act, t_w) in zip(taus, points):
        acc_d, dyn, sec_d, cpu_d = _timed(model, x, y, lambda: DynaTranTap(t_act, t_w),
                                          repeats)
        keep = matching_keep(dyn.count)
        acc_t, top, sec_t, cpu_t = _timed(model, x, y, lambda: TopKTap(keep, t_w), repeats)
        if per_matrix is not None:
            rd, rt = dyn.sparsity(), top.sparsity()
            per_matrix.extend({"tau": float(tau), "matrix": m,
                               "row": dyn.count.shapes[m][-1], "k_mean": k,
                               "rho_dynatran": rd[m], "rho_topk": rt[m]}
                              for m, k in keep.items())
        rows.append({"tau": float(tau), "tau_activation": t_act, "tau_weight": t_w,
                     "rho_dynatran": dyn.overall("activation"),
                     "rho_topk": top.overall("activation"), "accuracy_dynatran": acc_d,
                     "accuracy_topk": acc_t, "seconds_dynatran": sec_d,
                     "seconds_topk": sec_t, "cpu_seconds_dynatran": cpu_d,
                     "cpu_seconds_topk": cpu_t})
    return rows
