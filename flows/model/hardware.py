"""The accelerator: every hyperparameter of TransCODE Table II (the ELECTOR design space) and
of AccelTran Table II, read from the ``[accelerator]`` table of a TOML config.

Organisation (AccelTran §III-B, Fig. 4-5; TransCODE §III-B, Fig. 2-3): a DMA controller
between main memory and the activation (and gradient), weight and mask buffers; ``pes``
processing elements, each with ``lanes_per_pe`` MAC lanes of ``macs_per_lane`` multipliers,
``softmax_per_pe`` softmax units and ``layernorm_per_pe`` layer-norm units (TransCODE: one),
one DynaTran module, and the pre-/post-compute sparsity modules (one pre-compute module in
front of each lane, as the sparse MAC path of :mod:`tilewright.gen.sparse_mac` pairs them;
one post-compute module per PE). A config reads::

    [accelerator]
    pes = 64
    lanes_per_pe = 16
    macs_per_lane = 16
    softmax_per_pe = 4
    batch_tile = 1
    spatial_tile = 16
    # softmax_length = 16    # values per vector of a softmax unit (default: spatial_tile)
    # layernorm_length = 16  # and of a layer-norm unit
    activation = "gelu"
    batch_size = 4
    activation_buffer_mb = 4
    weight_buffer_mb = 8
    mask_buffer_mb = 1
    dataflow = "b,i,j,k"

    [accelerator.memory]
    type = "lpddr3"          # lpddr3 | hbm2 | rram
    banks = 16
    ranks = 2
    channels = 1
    # bandwidth_gbps, energy_pj_per_bit, latency_ns override the published figures

Every field has the default of AccelTran-Edge; an unknown field, a wrong type or a value
out of range raises :class:`~tilewright.flows.model.errors.InvalidDesign` naming it.
"""

import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

from tilewright.flows.costs.store import DEFAULT_CLOCK_MHZ
from tilewright.flows.model.errors import InvalidDesign
from tilewright.flows.model.memory import MEMORY_TYPES, main_memory

__all__ = ["Accelerator", "load_accelerator", "accelerators", "ACTIVATIONS"]

ACTIVATIONS = ("gelu", "relu")
#: Where shipped accelerators live: block presets with an [accelerator] table, and
#: accelerator-only configs whose PE reuses a preset's blocks.
_FOLDERS = ("presets", "accelerators")
_MEMORY_KEYS = ("type", "banks", "ranks", "channels", "bandwidth_gbps", "energy_pj_per_bit",
                "latency_ns")


@dataclass(frozen=True)
class Accelerator:
    """One accelerator of the ELECTOR space (TransCODE Table II); defaults AccelTran-Edge.

    Buffer sizes are in MB (2^20 bytes); ``dataflow`` is the loop order of the tiled
    matrix product (:mod:`tilewright.flows.model.mapping`); ``power_gating`` turns idle
    units off (AccelTran §III-B8, its default) instead of clocking them idle;
    ``sparsity_modules`` False removes the pre/post-compute sparsity modules (AccelTran
    Table IV's "w/o sparsity-aware modules": every product is computed).
    """

    name: str = "accelerator"
    pes: int = 64
    lanes_per_pe: int = 16
    macs_per_lane: int = 16
    softmax_per_pe: int = 4
    layernorm_per_pe: int = 1
    batch_tile: int = 1
    spatial_tile: int = 16
    softmax_length: int = None
    layernorm_length: int = None
    activation: str = "gelu"
    batch_size: int = 4
    activation_buffer_mb: float = 4.0
    weight_buffer_mb: float = 8.0
    mask_buffer_mb: float = 1.0
    memory: str = "lpddr3"
    memory_banks: int = 16
    memory_ranks: int = 2
    memory_channels: int = 1
    memory_bandwidth_gbps: float = None
    memory_energy_pj_per_bit: float = None
    memory_latency_ns: float = None
    dataflow: str = "b,i,j,k"
    il: int = 4
    fl: int = 16
    clock_mhz: float = DEFAULT_CLOCK_MHZ
    power_gating: bool = True
    sparsity_modules: bool = True

    def __post_init__(self):
        for name in ("pes", "lanes_per_pe", "macs_per_lane", "softmax_per_pe",
                     "layernorm_per_pe", "batch_tile", "spatial_tile", "batch_size",
                     "memory_banks", "memory_ranks", "memory_channels", "il", "fl"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidDesign(name, f"must be a positive integer, not {value!r}")
        for name in ("softmax_length", "layernorm_length"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 1):
                raise InvalidDesign(name, f"must be a positive integer, not {value!r}")
        for name in ("activation_buffer_mb", "weight_buffer_mb", "mask_buffer_mb",
                     "clock_mhz"):
            value = getattr(self, name)
            if not _number(value) or value <= 0:
                raise InvalidDesign(name, f"must be a positive number, not {value!r}")
        for name in ("memory_bandwidth_gbps", "memory_energy_pj_per_bit",
                     "memory_latency_ns"):
            value = getattr(self, name)
            if value is not None and (not _number(value) or value < 0
                                      or (name == "memory_bandwidth_gbps" and value == 0)):
                raise InvalidDesign(name, f"must be a positive number, not {value!r}")
        if self.activation not in ACTIVATIONS:
            raise InvalidDesign("activation", f"must be one of {', '.join(ACTIVATIONS)}, "
                                              f"not {self.activation!r}")
        if self.memory not in MEMORY_TYPES:
            raise InvalidDesign("memory.type", f"must be one of {', '.join(MEMORY_TYPES)}, "
                                               f"not {self.memory!r}")
        for name in ("power_gating", "sparsity_modules"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidDesign(name, f"must be true or false, not "
                                          f"{getattr(self, name)!r}")
        from tilewright.flows.model.mapping import parse_order
        parse_order(self.dataflow)

    # ------------------------------------------------------------ derived figures
    @property
    def lanes(self):
        return self.pes * self.lanes_per_pe

    @property
    def softmax_units(self):
        return self.pes * self.softmax_per_pe

    @property
    def layernorm_units(self):
        return self.pes * self.layernorm_per_pe

    def vector_length(self, kind):
        """Values one ``"softmax"`` or ``"layernorm"`` unit takes per vector: its
        ``*_length`` field, by default the spatial tile (AccelTran's tiled modules)."""
        return getattr(self, f"{kind}_length") or self.spatial_tile

    @property
    def width(self):
        """Bits of a stored value, ``il + fl``."""
        return self.il + self.fl

    def buffer_bytes(self, which):
        """Capacity of the ``"activation"``, ``"weight"`` or ``"mask"`` buffer in bytes."""
        return int(getattr(self, f"{which}_buffer_mb") * 2 ** 20)

    def main_memory(self):
        """The :class:`~tilewright.flows.model.memory.MainMemory` of this accelerator."""
        return main_memory(self.memory, self.memory_channels,
                           bandwidth_gbps=self.memory_bandwidth_gbps,
                           energy_pj_per_bit=self.memory_energy_pj_per_bit,
                           latency_ns=self.memory_latency_ns)

    def replace(self, **changes):
        """A copy with ``changes`` (checked like a new one)."""
        return Accelerator(**{**{f.name: getattr(self, f.name) for f in fields(self)},
                              **changes})


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _read_toml(spec):
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        try:
            return tomllib.loads(path.read_text()), path.stem
        except OSError as e:
            raise InvalidDesign("config", f"cannot be read ({e.strerror}): {spec}") from None
        except tomllib.TOMLDecodeError as e:
            raise InvalidDesign("config", f"is not valid TOML: {e}") from None
    for folder in _FOLDERS:
        preset = resources.files("tilewright") / folder / f"{spec}.toml"
        if preset.is_file():
            return tomllib.loads(preset.read_text()), str(spec)
    raise InvalidDesign("config", f"must be a TOML file or one of {', '.join(accelerators())}, "
                                  f"not {spec!r}")


def accelerators():
    """Names of the shipped configs that describe an accelerator."""
    found = set()
    for folder in _FOLDERS:
        for p in (resources.files("tilewright") / folder).iterdir():
            if p.name.endswith(".toml") and "[accelerator]" in p.read_text():
                found.add(p.name[:-5])
    return sorted(found)


def load_accelerator(config, **overrides):
    """The :class:`Accelerator` of ``config``: a TOML file path, a shipped preset's name
    (``"acceltran-edge"``, ``"acceltran-server"``: :func:`accelerators`), or an already
    parsed mapping (a whole config or its
    ``accelerator`` table). ``overrides`` replace fields (``batch_size=32``)."""
    if isinstance(config, (str, Path)):
        raw, name = _read_toml(config)
        raw.setdefault("accelerator", {}).setdefault("name", raw.get("name", name))
    else:
        raw = dict(config)
    table = dict(raw.get("accelerator", raw))
    if "accelerator" in raw and not isinstance(raw["accelerator"], dict):
        raise InvalidDesign("accelerator", "must be a table")
    memory = table.pop("memory", {})
    if not isinstance(memory, dict):
        raise InvalidDesign("memory", "must be a table ([accelerator.memory])")
    known = {f.name for f in fields(Accelerator)} - {n for n in (
        "memory", "memory_banks", "memory_ranks", "memory_channels", "memory_bandwidth_gbps",
        "memory_energy_pj_per_bit", "memory_latency_ns")}
    for key in table:
        if key not in known:
            raise InvalidDesign(key, f"is not an accelerator field; fields are "
                                     f"{', '.join(sorted(known))}, memory")
    for key in memory:
        if key not in _MEMORY_KEYS:
            raise InvalidDesign(f"memory.{key}", f"is not a memory field; fields are "
                                                 f"{', '.join(_MEMORY_KEYS)}")
    values = dict(table)
    if "type" in memory:
        values["memory"] = memory["type"]
    for key in _MEMORY_KEYS[1:]:
        if key in memory:
            values[f"memory_{key}"] = memory[key]
    values.update(overrides)
    return Accelerator(**values)
