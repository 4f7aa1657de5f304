"""Validity rules of a transformer-accelerator pair (TransCODE §IV-C).

A pair that breaks a rule is not simulated: it scores P_MIN = −1 and still enters the
surrogate's data set, so the surrogate learns where the invalid region is (§IV-C).
:func:`design_error` holds the rules on the design itself and the user's constraints on
it; :func:`metrics_error` the user's caps on measured figures (area, power).

Design rules:

- every value is one of the space's;
- each layer's hidden size is a multiple of its heads (whole head dimension);
- the batch tile divides the batch (TransCODE §III-B3: tiles b × x × y);
- the tiles in flight fit the buffers: each PE holds an input and an output activation
  tile (b·x·y words), a weight tile (x·y words) and the three tiles' binary masks, so
  ``PEs·2·b·x·y·W ≤ activation buffer``, ``PEs·x·y·W ≤ weight buffer`` and
  ``PEs·3·b·x·y/8 B ≤ mask buffer``, with W = 20-bit words (IL = 4, FL = 16, AccelTran
  §IV-B) = 2.5 B.
"""

from dataclasses import dataclass

__all__ = ["Constraints", "design_error", "transformer_error", "tile_error", "metrics_error",
           "WORD_BYTES"]

WORD_BYTES = 20 / 8
MB = 1 << 20


@dataclass(frozen=True)
class Constraints:
    """User constraints: at most ``max_layers`` layers; caps on area (mm²) and power (mW)."""

    max_layers: int | None = None
    max_area_mm2: float | None = None
    max_power_mw: float | None = None

    def __post_init__(self):
        if self.max_layers is not None and (not isinstance(self.max_layers, int)
                                            or self.max_layers < 1):
            raise ValueError(f"max_layers must be a positive integer, not {self.max_layers!r}")
        for name in ("max_area_mm2", "max_power_mw"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float)) and v > 0):
                raise ValueError(f"{name} must be a positive number, not {v!r}")


def design_error(pair, space, constraints=Constraints()):
    """The first rule ``pair`` breaks, as text, or ``None`` when it is valid."""
    if not space.contains(pair):
        return "a value outside the design space"
    layers = pair.transformer.layers
    if constraints.max_layers is not None and len(layers) > constraints.max_layers:
        return f"{len(layers)} layers > max_layers {constraints.max_layers}"
    return transformer_error(pair.transformer) or tile_error(pair.accelerator)


def transformer_error(transformer):
    """The transformer rule it breaks (see the module docstring), or ``None``."""
    for j, layer in enumerate(transformer.layers):
        if layer.hidden % layer.heads:
            return f"layer {j}: hidden {layer.hidden} not a multiple of heads {layer.heads}"
    return None


def tile_error(acc):
    """The accelerator's tiling rule it breaks (see the module docstring), or ``None``."""
    if acc.batch_size % acc.batch_tile:
        return f"batch tile {acc.batch_tile} does not divide batch {acc.batch_size}"
    tile = acc.batch_tile * acc.spatial_tile ** 2
    need = {
        "activation": acc.pes * 2 * tile * WORD_BYTES,
        "weight": acc.pes * acc.spatial_tile ** 2 * WORD_BYTES,
        "mask": acc.pes * 3 * tile / 8,
    }
    for buffer, size in need.items():
        have = getattr(acc, f"{buffer}_buffer_mb") * MB
        if size > have:
            return (f"tiles in flight need {size / MB:.2f} MB of {buffer} buffer, "
                    f"it has {have / MB:g} MB")
    return None


def metrics_error(metrics, constraints):
    """The cap that measured ``metrics`` (area_um2, power_mw) break, or ``None``."""
    area_mm2 = metrics["area_um2"] / 1e6
    if constraints.max_area_mm2 is not None and area_mm2 > constraints.max_area_mm2:
        return f"area {area_mm2:.3g} mm² > max_area_mm2 {constraints.max_area_mm2:g}"
    if constraints.max_power_mw is not None and metrics["power_mw"] > constraints.max_power_mw:
        return (f"power {metrics['power_mw']:.3g} mW > max_power_mw "
                f"{constraints.max_power_mw:g}")
    return None
