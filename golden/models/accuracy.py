"""Accuracy of the softmax, layer-norm and GeLU units against ``torch.nn.functional`` in
float, on activations of a small trained transformer (not only noise).

:func:`capture` builds a 2-layer encoder (fixed seed), trains it briefly on a synthetic
sequence task (each token must predict how many earlier tokens equal it, which needs
attention), and records the inputs of every softmax (attention scores ``QKᵀ/√d``), every
layer norm (with its trained γ, β) and every GeLU. :func:`sweep` quantizes them to the
unit's format and runs the bit-exact golden models (identical to the RTL) against float
torch: max and mean absolute error per exponent-LUT depth (softmax), per GeLU segment
count, and per fraction length (layer norm, whose inverse square root is iterative).
"""

import math

import torch
from torch import nn

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.fixed import quantize, to_float
from tilewright.golden.gelu import gelu_pwl
from tilewright.golden.layer_norm import error_against_torch
from tilewright.golden.softmax import softmax_lut

__all__ = ["TinyEncoder", "capture", "sweep", "LUT_DEPTHS", "GELU_SEGMENTS", "LN_FLS"]

LUT_DEPTHS = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
GELU_SEGMENTS = (4, 8, 16, 32, 64, 128, 256)
LN_FLS = (6, 8, 10, 12, 14, 16)


class TinyEncoder(nn.Module):
    """Pre-norm encoder: per layer LN → multi-head attention → LN → Linear–GeLU–Linear.
    When ``self.taps`` is a dict, the inputs of every softmax, layer norm and GeLU are
    appended to it."""

    def __init__(self, vocab=16, seq=16, dim=32, heads=2, layers=2):
        super().__init__()
        self.heads, self.taps = heads, None
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(seq, dim) * 0.1)
        self.blocks = nn.ModuleList(nn.ModuleDict({
            "ln1": nn.LayerNorm(dim), "qkv": nn.Linear(dim, 3 * dim),
            "proj": nn.Linear(dim, dim), "ln2": nn.LayerNorm(dim),
            "fc1": nn.Linear(dim, 4 * dim), "fc2": nn.Linear(4 * dim, dim),
        }) for _ in range(layers))
        self.head = nn.Linear(dim, seq)

    def _tap(self, name, value):
        if self.taps is not None:
            self.taps.setdefault(name, []).append(value.detach())

    def _ln(self, ln, x):
        if self.taps is not None:
            self._tap("layer_norm", x.reshape(-1, x.shape[-1]))
            self._tap("layer_norm_weights", torch.stack([ln.weight, ln.bias]))
        return ln(x)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos
        b, t, d = x.shape
        dh = d // self.heads
        for blk in self.blocks:
            q, k, v = blk["qkv"](self._ln(blk["ln1"], x)).split(d, dim=-1)
            q, k, v = (z.view(b, t, self.heads, dh).transpose(1, 2) for z in (q, k, v))
            scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
            self._tap("softmax", scores.reshape(-1, t))
            att = torch.softmax(scores, dim=-1) @ v
            x = x + blk["proj"](att.transpose(1, 2).reshape(b, t, d))
            h = blk["fc1"](self._ln(blk["ln2"], x))
            self._tap("gelu", h.flatten())
            x = x + blk["fc2"](nn.functional.gelu(h))
        return self.head(x)


def _batch(gen, n, seq, vocab):
    tokens = torch.randint(0, vocab, (n, seq), generator=gen)
    same = (tokens[:, :, None] == tokens[:, None, :]).tril(-1).sum(-1)   # earlier equal tokens
    return tokens, same


def capture(seed=0, steps=300, seq=16, vocab=16):
    """Train :class:`TinyEncoder` for ``steps`` Adam steps (fixed ``seed``) and return
    ``(taps, final_accuracy)``: float64 inputs of its softmaxes (rows of ``seq`` scores),
    layer norms (rows of features, with ``(γ, β)`` per norm) and GeLUs (a flat tensor), on
    a held-out batch."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = TinyEncoder(vocab=vocab, seq=seq)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        tokens, target = _batch(gen, 64, seq, vocab)
        loss = nn.functional.cross_entropy(model(tokens).reshape(-1, seq), target.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    tokens, target = _batch(gen, 32, seq, vocab)
    model.taps = {}
    with torch.no_grad():
        accuracy = (model(tokens).argmax(-1) == target).double().mean().item()
    taps = {"softmax": torch.cat(model.taps["softmax"]).double(),
            "gelu": torch.cat(model.taps["gelu"]).double(),
            "layer_norm": [(x.double(), w[0].double(), w[1].double()) for x, w in
                           zip(model.taps["layer_norm"], model.taps["layer_norm_weights"])]}
    return taps, accuracy


def _stats(err):
    return {"max_abs_error": err.max().item(), "mean_abs_error": err.mean().item()}


def sweep(taps, fmt=FixedFormat(4, 16), exp_bits=16, out_fl=16):
    """Rows ``{"unit", "knob", "value", "max_abs_error", "mean_abs_error", "samples"}``."""
    rows = []
    scores = quantize(fmt, taps["softmax"])
    want = torch.softmax(to_float(fmt, scores), dim=-1)
    for depth in LUT_DEPTHS:
        y = softmax_lut(scores, fmt.fl, depth, exp_bits, out_fl).double() / (1 << out_fl)
        rows.append({"unit": "softmax", "knob": "lut_depth", "value": depth,
                     "samples": y.numel(), **_stats((y - want).abs())})
    q = quantize(fmt, taps["gelu"])
    want = nn.functional.gelu(to_float(fmt, q))
    for segments in GELU_SEGMENTS:
        y = to_float(fmt, gelu_pwl(q, fmt, segments))
        rows.append({"unit": "gelu", "knob": "gelu_segments", "value": segments,
                     "samples": y.numel(), **_stats((y - want).abs())})
    for fl in LN_FLS:
        ln_fmt = FixedFormat(fmt.il, fl)
        errs, count = [], 0
        for x, g, b in taps["layer_norm"]:        # 32 features: a power of two, as the unit
            e = error_against_torch(quantize(ln_fmt, x), quantize(ln_fmt, g),
                                    quantize(ln_fmt, b), ln_fmt)
            errs.append(e)
            count += x.numel()
        rows.append({"unit": "layer_norm", "knob": "fl", "value": fl, "samples": count,
                     "max_abs_error": max(e["max_abs_error"] for e in errs),
                     "mean_abs_error": sum(e["mean_abs_error"] for e in errs) / len(errs)})
    return rows
