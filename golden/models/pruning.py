"""DynaTran threshold pruning on the golden models (AccelTran §III-A), and SpAtten's top-k
pruning as the baseline (AccelTran §II-B, §V-A).

DynaTran keeps ``v`` where ``|v| ≥ τ`` and zeroes it where ``|v| < τ``, in every weight and
activation matrix of Table I; the pruning ratio ρ of a matrix is its fraction of zeros.
:class:`DynaTranTap` does this inside a model (as a
:class:`~tilewright.golden.models.numerics.Numerics` tap) and keeps per-matrix counts.
:func:`transfer_curve` profiles ρ against τ on data — the curve the hardware threshold
calculator stores to look τ up from a desired ρ (:func:`tau_for_rho`).
"""

import time
from collections import defaultdict
from dataclasses import replace

import torch

__all__ = ["dynatran_prune", "DynaTranTap", "transfer_curve", "tau_for_rho", "topk_prune",
           "TopKTap", "overhead"]


def dynatran_prune(m, tau):
    """``(pruned, mask)``: ``m`` with every ``|v| < τ`` set to 0; ``mask`` is True there."""
    mask = m.abs() < tau
    return torch.where(mask, torch.zeros_like(m), m), mask


class DynaTranTap:
    """Numerics tap pruning matrices at ``tau`` and counting zeros per matrix name.

    ``kinds`` chooses ``"weight"`` and/or ``"activation"`` matrices. Stats count the
    zeros *after* pruning (ρ of AccelTran §III-A), so values already zero count too.
    """

    def __init__(self, tau, kinds=("weight", "activation")):
        self.tau, self.kinds = float(tau), tuple(kinds)
        self.zeros = defaultdict(int)
        self.total = defaultdict(int)

    def __call__(self, kind, name, x):
        if kind not in self.kinds:
            return x
        x, _ = dynatran_prune(x, self.tau)
        self.zeros[name] += int((x == 0).sum())
        self.total[name] += x.numel()
        return x

    def sparsity(self):
        """``{matrix name: ρ}``."""
        return {k: self.zeros[k] / self.total[k] for k in self.total}

    def overall(self, kind=None):
        """ρ over all matrices (of ``kind``: names ending ``.weight`` are weights)."""
        keys = [k for k in self.total
                if kind is None or k.endswith(".weight") == (kind == "weight")]
        total = sum(self.total[k] for k in keys)
        return sum(self.zeros[k] for k in keys) / total if total else 0.0


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


def transfer_curve(model, x, y, taus, kinds=("weight", "activation"), per_matrix=None):
    """For each τ: activation ρ, weight ρ, overall ρ and accuracy on ``(x, y)``.

    If ``per_matrix`` is a list, one ``{"tau", "matrix", "rho"}`` row per matrix and τ is
    appended to it (the per-matrix statistics)."""
    rows = []
    for tau in taus:
        tap = DynaTranTap(tau, kinds)
        acc = evaluate_pruned(model, x, y, tap)
        if per_matrix is not None:
            per_matrix.extend({"tau": float(tau), "matrix": k, "rho": v}
                              for k, v in tap.sparsity().items())
        rows.append({"tau": float(tau), "rho_activation": tap.overall("activation"),
                     "rho_weight": tap.overall("weight"), "rho": tap.overall(),
                     "accuracy": acc})
    return rows


def tau_for_rho(curve, rho, key="rho"):
    """Threshold calculator: the smallest profiled τ whose ρ reaches ``rho`` (the largest
    τ of the curve if none does). ``curve`` is :func:`transfer_curve`'s output."""
    rows = sorted(curve, key=lambda r: r["tau"])
    for r in rows:
        if r[key] >= rho:
            return r["tau"]
    return rows[-1]["tau"]


def topk_prune(scores, k):
    """SpAtten top-k: keep the ``k`` largest entries of each row of ``scores``; the rest
    become ``-inf`` (so softmax gives them probability 0). Returns ``(pruned, mask)``."""
    k = min(int(k), scores.shape[-1])
    kth = scores.topk(k, dim=-1).values[..., -1:]
    mask = scores < kth
    return scores.masked_fill(mask, float("-inf")), mask


class TopKTap:
    """Numerics tap applying :func:`topk_prune` to the attention scores S (``*.s``)."""

    def __init__(self, k):
        self.k = int(k)

    def __call__(self, kind, name, x):
        if kind == "activation" and name.endswith(".s"):
            return topk_prune(x, self.k)[0]
        return x


def overhead(shape=(12, 128, 128), k=32, tau=0.05, repeats=20, seed=0):
    """CPU wall-clock seconds per call of DynaTran and top-k pruning on one random
    ``shape`` score tensor (AccelTran §V-A compares their overheads)."""
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(shape, generator=g)
    out = {}
    for name, fn in (("dynatran", lambda: dynatran_prune(s, tau)),
                     ("topk", lambda: topk_prune(s, k))):
        fn()
        t = time.perf_counter()
        for _ in range(repeats):
            fn()
        out[name] = (time.perf_counter() - t) / repeats
    return out
