"""A weight-sharing supernet over the transformer space, for cheap accuracy estimates.

TransCODE reads accuracy from FlexiBERT 2.0's pre-trained surrogate (§III-C); we measure
it instead, on the shipped tasks, cheaply enough for hundreds of candidates on two cores:
one :class:`Supernet` holds the largest width of every weight (max hidden, max feed-forward,
max layers) and a candidate :class:`~tilewright.flows.search.codesign.space.Transformer`
runs on the leading slices of them (the first h rows/columns of each matrix, the first n
heads' split of them), as in once-for-all / HAT weight sharing. Layers whose hidden size
differs from the previous layer's start with a projection, as FlexiBERT 2.0's
heterogeneous layers do. Attention types are FlexiBERT 2.0's that the accelerator model
maps (TransCODE §III-B2): ``sdp`` multi-head scaled dot-product attention, as the golden
encoder (:mod:`tilewright.golden.models.encoder`) computes it; ``wma`` weighted
multiplicative attention, Q·W_a·Kᵀ/√h with a trainable W_a per head; ``dft`` and ``dct``
linear transforms that mix the tokens with the real DFT matrix (FNet) or the DCT-II
matrix. Layers are post-norm (BERT) for ``sentiment``, pre-norm (ViT) for digits.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Supernet"]

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _linear(x, layer, out, inp):
    return F.linear(x, layer.weight[:out, :inp], layer.bias[:out])


def _norm(x, ln):
    d = x.shape[-1]
    return F.layer_norm(x, (d,), ln.weight[:d], ln.bias[:d])


def _mixing(kind, t):
    """The t×t token-mixing matrix of a linear-transform layer (TransCODE §III-B2)."""
    j = torch.arange(t, dtype=torch.float32)
    if kind == "dft":
        return torch.cos(2 * math.pi * j[:, None] * j[None, :] / t) / math.sqrt(t)
    m = torch.cos(math.pi * (j[None, :] + 0.5) * j[:, None] / t) * math.sqrt(2 / t)
    m[0] /= math.sqrt(2)
    return m


class _Layer(nn.Module):
    def __init__(self, d, f, max_heads):
        super().__init__()
        self.proj = nn.Linear(d, d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.wa = nn.Parameter(torch.eye(d).repeat(max_heads, 1, 1))
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff1, self.ff2 = nn.Linear(d, f), nn.Linear(f, d)

    def attention(self, x, heads, wma):
        n, t, d = x.shape
        dh = d // heads

        def split(y):
            return y.view(n, t, heads, dh).transpose(1, 2)
        q, k, v = (split(_linear(x, m, d, d)) for m in (self.q, self.k, self.v))
        if wma:
            q = q @ self.wa[:heads, :dh, :dh]
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), -1)
        return (p @ v).transpose(1, 2).reshape(n, t, d)

    def forward(self, h, spec, act, prenorm):
        """The output of one layer described by ``spec`` (a ``Layer``)."""
        d = spec.hidden
        if h.shape[-1] != d:
            h = _linear(h, self.proj, d, h.shape[-1])
        y = _norm(h, self.ln1) if prenorm else h
        if spec.attention in ("sdp", "wma"):
            mixed = self.attention(y, spec.heads, spec.attention == "wma")
        else:
            mixed = _mixing(spec.attention, y.shape[1]) @ y
        h = h + _linear(mixed, self.o, d, d)
        if not prenorm:
            h = _norm(h, self.ln1)
        y = _norm(h, self.ln2) if prenorm else h
        y = _linear(act(_linear(y, self.ff1, spec.ff, d)), self.ff2, d, spec.ff)
        h = h + y
        return h if prenorm else _norm(h, self.ln2)


class Supernet(nn.Module):
    """All transformers of ``space`` on ``task`` (``"sentiment"`` or ``"digits"``).

    ``forward(x, transformer)`` classifies ``x`` with the sub-network ``transformer``
    (token ids ``(N, T)`` for sentiment, images ``(N, 1, 8, 8)`` for digits).
    """

    def __init__(self, space, task, *, vocab=32, seq_len=16, classes=2, patch=2, image=8):
        super().__init__()
        t = space.transformer
        d, f = max(t["hidden"]), max(t["ff"])
        self.task, self.patch = task, patch
        if task == "digits":
            classes, tokens = 10, (image // patch) ** 2 + 1
            self.patch_embed = nn.Linear(patch * patch, d)
            self.cls = nn.Parameter(torch.zeros(1, 1, d))
        else:
            tokens = seq_len
            self.tok_embed = nn.Embedding(vocab, d)
        self.ln_embed = nn.LayerNorm(d)
        self.pos = nn.Parameter(torch.randn(1, tokens, d) * 0.02)
        self.layers = nn.ModuleList(_Layer(d, f, max(t["heads"]))
                                    for _ in range(space.max_layers))
        self.ln_final = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def embed(self, x, d):
        if self.task == "digits":
            n, p = x.shape[0], self.patch
            patches = (x.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5)
                       .reshape(n, -1, p * p))
            e = _linear(patches, self.patch_embed, d, p * p)
            e = torch.cat([self.cls[..., :d].expand(n, -1, -1), e], 1)
            return e + self.pos[..., :d]
        e = self.tok_embed(x)[..., :d] + self.pos[:, : x.shape[1], :d]
        return _norm(e, self.ln_embed)

    def forward(self, x, transformer):
        prenorm = self.task == "digits"
        act = _ACTIVATIONS[transformer.activation]
        h = self.embed(x, transformer.layers[0].hidden)
        for layer, spec in zip(self.layers, transformer.layers):
            h = layer(h, spec, act, prenorm)
        cls = h[:, 0]
        if prenorm:
            cls = _norm(cls, self.ln_final)
        return _linear(cls, self.head, self.head.out_features, cls.shape[-1])
