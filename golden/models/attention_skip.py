"""PIVOT: input-aware attention skipping (PIVOT §3.1, Eq. 3, Fig. 2a).

Skipped encoders compute no attention at all (see
:class:`~tilewright.golden.models.encoder.Encoder`, ``skip=``). An *effort* is the number
of encoders whose attention is computed. The low/high-effort cascade infers every input
with the low effort; inputs whose normalised entropy ``E(x) ≤ Th`` keep that prediction
(fraction F_L), the others are re-inferred with the high effort (fraction F_H = 1 − F_L).
"""

import math

import torch

from tilewright.golden.models.train import predict

__all__ = ["entropy", "cascade", "efforts"]


def entropy(logits):
    """Normalised entropy E(x) = −(1/log K) Σ π log π of softmax(``logits``) per row:
    1 for a uniform prediction, 0 for a one-hot one (PIVOT Eq. 3)."""
    k = logits.shape[-1]
    logp = torch.log_softmax(logits.double(), -1)
    h = -(logp.exp() * logp).nan_to_num(0.0).sum(-1)
    return (h / math.log(k)).clamp(0.0, 1.0)


def cascade(low_model, high_model, x, y, th, low_skip=(), high_skip=()):
    """Run the cascade at threshold ``th``; returns ``F_L, F_H, C_L, C_H`` and the
    accuracy ``(C_L + C_H) / N``. The low effort is ``low_model`` with attention skipped
    in ``low_skip`` (PIVOT fine-tunes one model per effort; the same model may serve both).
    Only the inputs with ``E(x) > th`` are run with the high effort."""
    low = predict(low_model, x, skip=low_skip)
    e = entropy(low)
    easy = e <= th
    pred = low.argmax(1)
    if (~easy).any():
        pred[~easy] = predict(high_model, x[~easy], skip=high_skip).argmax(1)
    correct = pred == y
    n = len(y)
    return {"th": float(th), "F_L": float(easy.sum()) / n, "F_H": float((~easy).sum()) / n,
            "C_L": int((correct & easy).sum()), "C_H": int((correct & ~easy).sum()),
            "accuracy": float(correct.float().mean())}


def efforts(layers, skip):
    """Effort (active attentions) of a skip set on a ``layers``-encoder model."""
    return layers - len(set(skip))
