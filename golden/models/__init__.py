"""Golden transformer models (BERT-style and ViT-style encoders) with hardware numerics."""

from tilewright.golden.models.encoder import Encoder, EncoderConfig
from tilewright.golden.models.numerics import Numerics, quantize_ste
from tilewright.golden.models.shapes import SHAPES, ModelShape

__all__ = ["Encoder", "EncoderConfig", "Numerics", "quantize_ste", "SHAPES", "ModelShape"]
