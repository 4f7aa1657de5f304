"""BERT-style and ViT-style encoders with hooks for the hardware's numerics.

Every matrix of AccelTran's Table I (§II-A) goes through the model's
:class:`~tilewright.golden.models.numerics.Numerics`, under the name
``layers.<i>.<op>`` with ``op`` one of ``q k v s p a o ln1 ff1 gelu ff2 ln2`` (``s``
= QKᵀ/√d, ``p`` = softmax(S), ``a`` = the concatenated heads' P·V; weights are
``<op>.weight``), plus ``embed`` and ``head``.

Per encoder, the attention block is in one of three modes:

- computed (the default);
- **reused** (TReX §III, Fig. 4): encoders listed in ``EncoderConfig.reuse`` do not compute
  attention; they feed the last computed attention output (the concatenation of the heads,
  t×d) through their own transformation block — layer-norm, d×d linear, GeLU — into their
  projection W_O;
- **skipped** (PIVOT §3.1): encoders passed in ``skip=`` at run time compute nothing of the
  attention module (no Q/K/V, QKᵀ, softmax, P·V or projection); the residual carries the
  input straight to the MLP.

ViT-style encoders are pre-norm (DeiT), BERT-style ones post-norm (BERT).
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from tilewright.fixedpoint import check_choice, check_int
from tilewright.golden.models.approx_layers import Matmul
from tilewright.golden.models.numerics import Numerics

__all__ = ["EncoderConfig", "Encoder", "KINDS", "check_skip"]

KINDS = ("vit", "bert")


@dataclass(frozen=True)
class EncoderConfig:
    """Shape of an encoder.

    ``tokens`` is derived: ``(image/patch)² + 1`` for ViT, ``seq_len`` for BERT (the
    sequence includes its CLS token at position 0).
    """

    kind: str = "vit"
    layers: int = 2
    hidden: int = 64
    heads: int = 4
    ff: int = 128
    classes: int = 10
    image: int = 8
    patch: int = 2
    channels: int = 1
    vocab: int = 32
    seq_len: int = 16
    reuse: tuple = ()

    def __post_init__(self):
        check_choice("kind", self.kind, KINDS)
        check_int("layers", self.layers, 1, 64)
        check_int("hidden", self.hidden, 1, 8192)
        check_int("heads", self.heads, 1, self.hidden)
        if self.hidden % self.heads:
            raise ValueError(f"hidden must be a multiple of heads ({self.heads}), "
                             f"not {self.hidden}")
        check_int("ff", self.ff, 1, 65536)
        check_int("classes", self.classes, 2, 100000)
        if self.kind == "vit":
            check_int("patch", self.patch, 1, self.image)
            if self.image % self.patch:
                raise ValueError(f"image must be a multiple of patch ({self.patch}), "
                                 f"not {self.image}")
        else:
            check_int("vocab", self.vocab, 2, 1 << 20)
            check_int("seq_len", self.seq_len, 1, 1 << 16)
        object.__setattr__(self, "reuse", tuple(sorted(set(self.reuse))))
        for i in self.reuse:
            if not isinstance(i, int) or not 1 <= i < self.layers:
                raise ValueError(f"reuse must list encoders from 1 to {self.layers - 1}, "
                                 f"not {i!r}")

    @property
    def tokens(self):
        if self.kind == "vit":
            return (self.image // self.patch) ** 2 + 1
        return self.seq_len


class TransformationBlock(nn.Module):
    """TReX's transformation block: layer-norm → d×d linear → GeLU (TReX §III, Fig. 4)."""

    def __init__(self, d):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.fc = nn.Linear(d, d)

    def forward(self, a, num, name):
        y = num.layer_norm_fn(a, self.ln, f"{name}.ln")
        return num.gelu_fn(num.linear(y, self.fc, f"{name}.fc"), f"{name}.gelu")


class EncoderLayer(nn.Module):
    def __init__(self, cfg, index):
        super().__init__()
        d = cfg.hidden
        self.index, self.heads, self.prenorm = index, cfg.heads, cfg.kind == "vit"
        self.reuses = index in cfg.reuse
        if self.reuses:
            self.tb = TransformationBlock(d)
        else:
            self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
            self.qk, self.pv = Matmul(), Matmul()
        self.o = nn.Linear(d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff1, self.ff2 = nn.Linear(d, cfg.ff), nn.Linear(cfg.ff, d)

    def attention(self, x, num):
        """Multi-head self-attention up to the concatenation of the heads (t×d)."""
        p = f"layers.{self.index}"
        n, t, d = x.shape
        dh = d // self.heads

        def split(y):
            return y.view(n, t, self.heads, dh).transpose(1, 2)
        scale = 1.0 / math.sqrt(dh)
        q = split(num.linear(x, self.q, f"{p}.q", scale if num.fold_scale else 1.0))
        k = split(num.linear(x, self.k, f"{p}.k"))
        v = split(num.linear(x, self.v, f"{p}.v"))
        if not num.fold_scale:
            q = q * scale
        s = num.mm(q, k.transpose(-1, -2), self.qk, f"{p}.s")
        a = num.mm(num.softmax_fn(s, f"{p}.p"), v, self.pv, f"{p}.pv")
        return num.act(a.transpose(1, 2).reshape(n, t, d), f"{p}.a")

    def forward(self, x, prev, num, skip):
        """Returns ``(output, attention)``: the attention (t×d concat) later encoders reuse."""
        p = f"layers.{self.index}"
        if skip:
            h, a = x, prev
        else:
            y = num.layer_norm_fn(x, self.ln1, f"{p}.ln1") if self.prenorm else x
            if self.reuses:
                a = prev
                concat = self.tb(prev, num, f"{p}.tb")
            else:
                a = concat = self.attention(y, num)
            h = x + num.linear(concat, self.o, f"{p}.o")
            if not self.prenorm:
                h = num.layer_norm_fn(h, self.ln1, f"{p}.ln1")
        y = num.layer_norm_fn(h, self.ln2, f"{p}.ln2") if self.prenorm else h
        y = num.gelu_fn(num.linear(y, self.ff1, f"{p}.ff1"), f"{p}.gelu")
        out = h + num.linear(y, self.ff2, f"{p}.ff2")
        if not self.prenorm:
            out = num.layer_norm_fn(out, self.ln2, f"{p}.ln2")
        return out, a


def check_skip(skip, layers):
    """``skip`` (encoders whose attention is skipped), checked against ``layers`` encoders."""
    for i in skip:
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < layers:
            raise ValueError(f"skip must list encoders from 0 to {layers - 1}, not {i!r}")
    return skip


class Encoder(nn.Module):
    """A classifier: embeddings → ``cfg.layers`` encoders → head on the CLS token.

    ``forward(x, skip=())``: ``x`` is ``(N, C, H, W)`` images for ``kind="vit"`` or
    ``(N, T)`` token ids for ``kind="bert"``; ``skip`` lists the encoders whose attention
    is skipped (PIVOT). ``numerics`` may be replaced at any time.
    """

    def __init__(self, cfg, numerics=None):
        super().__init__()
        self.cfg = cfg
        self.numerics = numerics or Numerics()
        d = cfg.hidden
        if cfg.kind == "vit":
            self.patch_embed = nn.Linear(cfg.channels * cfg.patch ** 2, d)
            self.cls = nn.Parameter(torch.zeros(1, 1, d))
        else:
            self.tok_embed = nn.Embedding(cfg.vocab, d)
            self.ln_embed = nn.LayerNorm(d)
        self.pos = nn.Parameter(torch.randn(1, cfg.tokens, d) * 0.02)
        self.layers = nn.ModuleList(EncoderLayer(cfg, i) for i in range(cfg.layers))
        self.ln_final = nn.LayerNorm(d) if cfg.kind == "vit" else None
        self.head = nn.Linear(d, cfg.classes)

    def embed(self, x):
        cfg, num = self.cfg, self.numerics
        if cfg.kind == "vit":
            n, pp = x.shape[0], cfg.patch
            patches = (x.unfold(2, pp, pp).unfold(3, pp, pp)      # N C h w p p
                       .permute(0, 2, 3, 1, 4, 5).reshape(n, -1, cfg.channels * pp * pp))
            e = num.linear(patches, self.patch_embed, "embed")
            e = torch.cat([self.cls.expand(n, -1, -1), e], 1) + self.pos
            return num.act(e, "embed.pos")
        e = self.tok_embed(x) + self.pos[:, : x.shape[1]]
        return num.layer_norm_fn(e, self.ln_embed, "embed.ln")

    def forward(self, x, skip=()):
        skip = set(check_skip(skip, self.cfg.layers))
        num = self.numerics
        h, a = self.embed(x), None
        for i, layer in enumerate(self.layers):
            if layer.reuses and a is None and i not in skip:
                raise ValueError(f"encoder {i} reuses attention but no earlier encoder "
                                 f"computed one")
            h, a = layer(h, a, num, i in skip)
        cls = h[:, 0]
        if self.ln_final is not None:
            cls = num.layer_norm_fn(cls, self.ln_final, "ln_final")
        return num.linear(cls, self.head, "head")
