"""Shapes (no weights) of the papers' transformer models, for the performance model.

- BERT-Tiny (Turc et al. 2019; AccelTran §II-A: h = 128): 2 layers, 2 heads, ff 512.
- BERT-Base (Devlin et al. 2019; AccelTran §II-A: h = 768): 12 layers, 12 heads, ff 3072.
  Both with ``tokens=128``, the sequence length we assume for SST-2-style inputs.
- DeiT-S (Touvron et al. 2021; PIVOT §4.1): 12 layers, 384 hidden, 6 heads, MLP ratio 4,
  224×224 images in 16×16 patches → 196 + 1 (CLS) = 197 tokens.
- LV-ViT-S (Jiang et al. 2021; PIVOT §4.1): 16 layers, 384 hidden, 6 heads, MLP ratio 3,
  197 tokens.
"""

from dataclasses import dataclass

__all__ = ["ModelShape", "SHAPES", "shape"]


@dataclass(frozen=True)
class ModelShape:
    name: str
    kind: str
    layers: int
    hidden: int
    heads: int
    ff: int
    tokens: int

    @property
    def head_dim(self):
        return self.hidden // self.heads


SHAPES = {s.name: s for s in (
    ModelShape("bert-tiny", "bert", 2, 128, 2, 512, 128),
    ModelShape("bert-base", "bert", 12, 768, 12, 3072, 128),
    ModelShape("deit-s", "vit", 12, 384, 6, 1536, 197),
    ModelShape("lv-vit-s", "vit", 16, 384, 6, 1152, 197),
)}


def shape(name):
    """The :class:`ModelShape` called ``name`` (one of :data:`SHAPES`)."""
    if name not in SHAPES:
        raise ValueError(f"model must be one of {', '.join(map(repr, SHAPES))}, not {name!r}")
    return SHAPES[name]
