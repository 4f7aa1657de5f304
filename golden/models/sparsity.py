"""Per-matrix sparsity of a trained golden model under DynaTran, measured on data
(AccelTran §III-A, §V-A), for the accelerator model: sparsity is measured, not assumed.

:func:`measure_sparsity` runs the model on held-out data with DynaTran pruning the
activations at ``tau_activation`` and the weights at ``tau_weight`` (either ``None`` =
dense) and returns one :class:`MatrixSparsity` per op, keyed by the op's name in
:mod:`tilewright.golden.models.encoder`:

- ``"embed"`` (ViT patch embedding, a linear op), ``"embed.pos"`` (ViT, embedding +
  position) or ``"embed.ln"`` (BERT, embedding layer norm);
- for encoder ``i`` (0-based), ``"layers.<i>.<op>"`` with ``op``:
  ``q``, ``k``, ``v`` (projections, X·W), ``s`` (scores QKᵀ/√d, per head),
  ``p`` (probabilities softmax(S)), ``pv`` (P·V, per head), ``a`` (the heads of ``pv``
  concatenated, t×d; the same values), ``o`` (output projection A·W_O), ``ln1``,
  ``ff1`` (X·W_1), ``gelu``, ``ff2`` (X·W_2), ``ln2``; an encoder reusing attention
  (TReX) has ``tb.ln``, ``tb.fc``, ``tb.gelu`` instead of ``q k v s p pv a``;
- ``"ln_final"`` (ViT) and ``"head"`` (the classifier, a linear op).

Keys are in forward order. Matmul ops (``embed`` of the ViT, ``q k v s pv o ff1 ff2``,
``tb.fc``, ``head``) also carry their operands' ρ and the measured fraction of effectual
products (both operands non-zero: what the pre-compute sparsity module keeps, AccelTran
§III-B6), so the accelerator model needs no independence assumption.

:func:`threshold_curve` profiles the overall ρ of the activations (or weights) against
τ, and :func:`tau_for_sparsity` reads τ for a target ρ off it (AccelTran §III-B5's
threshold calculator, interpolated). Measurements on a task are cached per process;
they are single-threaded and deterministic (a trained checkpoint and a fixed data split).
"""

import functools
import math
import numbers
from dataclasses import dataclass, replace

import torch

from tilewright.fixedpoint import check_choice, check_int
from tilewright.golden.models.encoder import Encoder
from tilewright.golden.models.pruning import (KINDS, DynaTranTap, check_tau, one_thread,
                                              tau_for_rho)
from tilewright.golden.models.train import (TASKS, TrainConfig, default_config, task_data,
                                            train)

__all__ = ["MatrixSparsity", "measure_sparsity", "across_layers", "threshold_curve",
           "tau_for_sparsity", "CURVE_TAUS", "TASK_OF_KIND"]

#: the task whose model stands for a workload of each encoder kind (``ModelShape.kind``)
TASK_OF_KIND = {"bert": "sentiment", "vit": "digits"}

CURVE_TAUS = (0.0, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5,
              0.75, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class MatrixSparsity:
    """One op's measured sparsity, over all evaluated samples (ρ = fraction of zeros).

    Attributes
    ----------
    rho : float
        ρ of the op's output activation, after DynaTran.
    size : int
        Elements of that output per sample (e.g. ``heads·t·t`` for ``s``).
    rho_weight : float or None
        ρ of the op's weight after DynaTran (linear ops), else None.
    weight_size : int or None
        Elements of that weight, else None.
    rho_operands : tuple of two floats, or None
        ρ of the product's left and right operands as the op reads them (``X`` and ``Wᵀ``
        for a linear op, ``Q`` and ``Kᵀ`` for ``s``, ``P`` and ``V`` for ``pv``); None
        for ops that are not products.
    effectual : float or None
        Fraction of the op's scalar products whose operands are both non-zero; None for
        ops that are not products.
    products : int or None
        Scalar products of the op per sample (``m·k·n`` per head); None likewise.
    """

    rho: float
    size: int
    rho_weight: float | None = None
    weight_size: int | None = None
    rho_operands: tuple | None = None
    effectual: float | None = None
    products: int | None = None


class _Product:
    """Operand zeros and effectual products of one op's matmuls, summed over calls."""

    def __init__(self):
        self.zeros = [0, 0]
        self.elements = [0, 0]
        self.effectual = 0
        self.products = 0

    def add(self, a, b):
        batch = math.prod(torch.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        for i, m in enumerate((a, b)):
            # a weight operand has no batch dimensions: count it once per product batch
            scale = batch // math.prod(m.shape[:-2])
            self.zeros[i] += int((m == 0).sum()) * scale
            self.elements[i] += m.numel() * scale
        per_k = (a != 0).sum(-2) * (b != 0).sum(-1)        # (..., K): pairs per inner index
        self.effectual += int(per_k.sum()) * (batch // math.prod(per_k.shape[:-1]))
        self.products += batch * a.shape[-2] * a.shape[-1] * b.shape[-1]


class _Recorder:
    """Numerics ``matmul`` and tap: each product's operand statistics go to the name of
    the next activation tapped (:class:`~tilewright.golden.models.numerics.Numerics` taps
    a product's output right after computing it)."""

    def __init__(self):
        self.pending = None
        self.products = {}

    def matmul(self, a, b):
        self.pending = (a, b)
        return torch.matmul(a, b)

    def __call__(self, kind, name, x):
        if kind == "activation" and self.pending is not None:
            self.products.setdefault(name, _Product()).add(*self.pending)
            self.pending = None
        return x


@torch.no_grad()
def _measure(model, x, tau_activation, tau_weight, batch):
    tap, rec = DynaTranTap(tau_activation, tau_weight), _Recorder()
    saved = model.numerics
    model.numerics = replace(saved, taps=list(saved.taps) + [tap, rec], matmul=rec.matmul)
    model.eval()
    try:
        with one_thread():
            for i in range(0, len(x), batch):
                model(x[i:i + batch])
    finally:
        model.numerics = saved
    count, n, out = tap.count, len(x), {}
    for name, rho in count.sparsity().items():
        if name.endswith(".weight"):
            continue
        p = rec.products.get(name)
        w = f"{name}.weight"
        out[name] = MatrixSparsity(
            rho=rho, size=count.total[name] // n,
            rho_weight=count.zeros[w] / count.total[w] if w in count.total else None,
            weight_size=math.prod(count.shapes[w]) if w in count.total else None,
            rho_operands=None if p is None else tuple(z / e for z, e in
                                                      zip(p.zeros, p.elements)),
            effectual=None if p is None else p.effectual / p.products,
            products=None if p is None else p.products // n)
    return out


@functools.lru_cache(maxsize=512)
def _task_sparsity(task, tau_activation, tau_weight, samples, seed, epochs, batch):
    model = train(task, default_config(task), TrainConfig(epochs=epochs, seed=seed))
    x = task_data(task).x_test
    return _measure(model, x[:samples], tau_activation, tau_weight, batch)


def measure_sparsity(source, *, tau_activation=None, tau_weight=None, x=None, samples=None,
                     seed=0, epochs=30, batch=256):
    """Per-op sparsity of a golden model under DynaTran; see the module docstring for
    the keys.

    Parameters
    ----------
    source : str or Encoder
        A task of :mod:`tilewright.golden.models.train` (``"digits"``: the ViT,
        ``"sentiment"``: the BERT-style encoder; :data:`TASK_OF_KIND`): its default model
        trained with ``seed`` and ``epochs`` (the cached checkpoint) on the
        first ``samples`` held-out inputs (all if None); or a model, run on ``x``.
    tau_activation, tau_weight : float or None
        DynaTran thresholds (finite, ≥ 0) of activations and weights; None = not pruned.

    Returns
    -------
    dict[str, MatrixSparsity]
        In forward order. Results for a task are cached (per process).
    """
    tau_activation = check_tau("tau_activation", tau_activation)
    tau_weight = check_tau("tau_weight", tau_weight)
    check_int("batch", batch, 1, 1 << 20)
    if isinstance(source, Encoder):
        if x is None:
            raise ValueError("measure_sparsity on a model needs its inputs x")
        return _measure(source, x, tau_activation, tau_weight, batch)
    if x is not None:
        raise ValueError("x goes with a model, not with a task")
    check_choice("source", source, TASKS)
    if samples is not None:
        check_int("samples", samples, 1, 1 << 30)
    return dict(_task_sparsity(source, tau_activation, tau_weight, samples, seed, epochs,
                               batch))


def _mean(parts):
    """Weighted mean of ``(value, weight)`` pairs (0 when the weights add up to 0)."""
    total = sum(w for _, w in parts)
    return sum(v * w for v, w in parts) / total if total else 0.0


def across_layers(measured):
    """``{op: MatrixSparsity}`` with each ``layers.<i>.<op>`` of ``measured`` averaged over
    the encoders (ρ weighted by elements, the weight's ρ by its elements, the operands' ρ
    and the effectual fraction by products; sizes are the mean); the other keys as they
    are. For a workload deeper than the measured model (BERT-Base's 12 encoders against
    the golden model's 2)."""
    groups = {}
    for name, m in measured.items():
        parts = name.split(".", 2)
        key = parts[2] if parts[0] == "layers" and len(parts) == 3 else name
        groups.setdefault(key, []).append(m)
    out = {}
    for key, ms in groups.items():
        n, w = len(ms), ms[0].rho_weight is not None
        p = ms[0].effectual is not None
        out[key] = MatrixSparsity(
            rho=_mean([(m.rho, m.size) for m in ms]), size=sum(m.size for m in ms) // n,
            rho_weight=_mean([(m.rho_weight, m.weight_size) for m in ms]) if w else None,
            weight_size=sum(m.weight_size for m in ms) // n if w else None,
            rho_operands=tuple(_mean([(m.rho_operands[i], m.products) for m in ms])
                               for i in range(2)) if p else None,
            effectual=_mean([(m.effectual, m.products) for m in ms]) if p else None,
            products=sum(m.products for m in ms) // n if p else None)
    return out


def _overall(measured, kind):
    """ρ over all activations (``kind="activation"``) or all weights, by element."""
    if kind == "activation":
        return _mean([(m.rho, m.size) for m in measured.values()])
    return _mean([(m.rho_weight, m.weight_size) for m in measured.values()
                  if m.rho_weight is not None])


def threshold_curve(source, *, kind="activation", taus=CURVE_TAUS, **options):
    """The transfer curve: ``[{"tau", "rho"}]`` for each τ of ``taus``, ρ over all
    activation matrices (``kind="activation"``, τ as ``tau_activation``) or all weight
    matrices (``"weight"``, τ as ``tau_weight``) by element. ``options`` go to
    :func:`measure_sparsity` (``x``, ``samples``, ``seed``, ...; not the τ being swept)."""
    check_choice("kind", kind, KINDS)
    rows = []
    for tau in taus:
        measured = measure_sparsity(source, **{f"tau_{kind}": tau}, **options)
        rows.append({"tau": check_tau("tau", tau), "rho": _overall(measured, kind)})
    return rows


def tau_for_sparsity(source, rho, *, kind="activation", tol=0.005, taus=CURVE_TAUS,
                     **options):
    """τ giving an overall ρ of ``rho`` (within ``tol``) for ``kind`` matrices.

    τ is interpolated on :func:`threshold_curve` (a ``ValueError`` outside its measured
    range), then refined by bisection between the curve's two points around ``rho``,
    measuring each step (at most 20), until the measured ρ is within ``tol``. Measure at
    that τ with :func:`measure_sparsity` for the per-op ρ it yields."""
    if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or math.isnan(rho):
        raise TypeError(f"rho must be a number, not {rho!r}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise ValueError(f"tol must be a number > 0, not {tol!r}")
    curve = threshold_curve(source, kind=kind, taus=taus, **options)
    tau = tau_for_rho(curve, rho, interpolate=True)
    lo = max((r["tau"] for r in curve if r["rho"] <= rho), default=0.0)
    hi = min((r["tau"] for r in curve if r["rho"] >= rho), default=tau)
    for _ in range(20):
        got = threshold_curve(source, kind=kind, taus=[tau], **options)[0]["rho"]
        if abs(got - rho) <= tol:
            break
        lo, hi = (tau, hi) if got < rho else (lo, tau)
        tau = (lo + hi) / 2
    return tau
