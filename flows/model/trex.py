"""TReX-Sim: a ViT on a tiled in-memory-computing crossbar accelerator (TReX §VI, Fig. 8).

Inputs, ZigZag style: the workload :class:`ViT` (TReX Table I, ViT parameters), the hardware
:class:`Crossbar` with its :class:`Device` (Table I crossbar parameters, Table III values) and
the digital softmax module's :class:`SoftmaxCost`. :func:`simulate` maps every encoder layer
on crossbars (Eq. 5), applies Table II row by row and returns per-layer rows and the
whole-ViT energy, delay, area, EDAP, TOPS/W and TOPS/mm².

Table II, for a layer L (L ≠ softmax) over ``t_L`` tokens:

1. ``E_R,L = t_L · N_X,L · E_R,X``        (read energy)
2. ``E_W,L = N_X,L · E_W,X``              (write energy: K^T and V written per input)
3. ``D_R,L = t_L · D_R,X · N_X,PE``       (read delay: a PE's crossbars read one by one)
4. ``D_W,L = D_W,X · N_X,PE``             (write delay)
5. ``E_S = N_H · t² · (E_Select + E_Exponent + E_Div)``
6. ``D_S = t² · (D_Select + D_Exponent + D_Div)`` (heads in parallel, TReX §VI-A)
7. ``A_L = N_X,L · A_X`` (the softmax module's area is neglected, as TReX does)
8–10. ``X_ViT = N_Enc · (X_MLP + X_Proj) + (N_Enc − N_reuse) · X_Attn`` for X = E, D, A.

Choices TReX leaves open, made here and stated:

- **Weight splitting** (TReX §VI-A cites it): an 8-bit weight spans
  ``⌈weight_bits / bits_per_cell⌉`` crossbar columns, so ``N_X,L`` of Eq. 5 is multiplied by
  that many slices. Without it DeiT-S would need 172.8 mm² of FeFET crossbars and 0.028 mJ;
  with it 691.2 mm² and 0.113 mJ of reads, against TReX Table IV's 775.2 mm² and 0.13 mJ.
- The attention (stages 1–5 of Fig. 8b) is Q, K, V (d×d), the writes of Kᵀ and V and the
  reads of QKᵀ and S·V (each mapped as ``in_dim = t``, ``out_dim = d``, as TReX §VI-B says
  for Kᵀ), and the softmax; projection is d×d; the MLP is d×(r·d) then (r·d)×d. Delays of
  all layers add (TReX: "summation of ... all layers"). An encoder that reuses attention
  runs its transformation block instead (TReX §V-A: layer-norm, d×d linear, GeLU): the
  linear is a crossbar layer, layer-norm and GeLU are neglected like the softmax's area.
- Operations count multiply-accumulates (one MAC = one op): with it DeiT-S's 4.54 G MACs
  give TReX Table IV's 34.45 TOPS/W and 0.00054 TOPS/mm² to within 2 %.
"""

import math
from dataclasses import dataclass, field

from tilewright.fixedpoint import check_int

__all__ = ["Device", "DEVICES", "Crossbar", "ViT", "SoftmaxCost", "softmax_from_record",
           "LayerCost", "Result", "n_xbars", "layers", "simulate"]


@dataclass(frozen=True)
class Device:
    """An IMC device's crossbar figures (TReX Table III, for one 64×64 crossbar).

    Attributes
    ----------
    name : str
        ``"fefet"`` or ``"sram"``.
    bits_per_cell : int
        Bits one cell stores (FeFET 2, SRAM 1).
    e_read_pj, e_write_pj : float
        ``E_R,X`` and ``E_W,X``: energy of reading (one input vector) and of writing a
        whole crossbar, pJ.
    d_read_us, d_write_us : float
        ``D_R,X`` and ``D_W,X``: delay of one crossbar read and of one crossbar write, µs.
    area_mm2 : float
        ``A_X``: area of one crossbar with its periphery, mm².
    read_variation, write_variation : float
        Relative standard deviation of a cell's conductance at each read and after each
        write (FeFET 10 % and 20 %; SRAM none), used by the non-ideal accuracy (§VI-A).
    r_on_ohm, r_off_ohm : float
        FeFET on/off resistance (100 kΩ, 10 MΩ); recorded, not used by the equations.
    """

    name: str
    bits_per_cell: int
    e_read_pj: float
    e_write_pj: float
    d_read_us: float
    d_write_us: float
    area_mm2: float
    read_variation: float = 0.0
    write_variation: float = 0.0
    r_on_ohm: float = None
    r_off_ohm: float = None


#: TReX Table III: FeFET [40] and SRAM [33] crossbars of 64×64 cells at 32 nm.
DEVICES = {
    "fefet": Device("fefet", 2, 25.0, 118.0, 0.02, 3.3, 0.03, 0.10, 0.20, 100e3, 10e6),
    "sram": Device("sram", 1, 29.0, 13.0, 0.018, 0.018, 0.07),
}


@dataclass(frozen=True)
class Crossbar:
    """Crossbar and circuit parameters (TReX Table I, values of Table III).

    ``xbar_size`` rows and columns per crossbar, ``xbars_per_pe`` (N_X_PE), ``pes_per_tile``
    (N_PE_Tile; a layer occupies whole tiles but tiles never share layers, which only
    matters for counting tiles), ``adc_bits`` flash-ADC precision, ``weight_bits`` /
    ``input_bits`` operand precision, ``input_split`` bits applied per read, ``node_nm``
    the technology of the figures (32 nm CMOS).
    """

    device: Device = DEVICES["fefet"]
    xbar_size: int = 64
    xbars_per_pe: int = 8
    pes_per_tile: int = 8
    adc_bits: int = 6
    weight_bits: int = 8
    input_bits: int = 8
    input_split: int = 1
    node_nm: float = 32

    def __post_init__(self):
        if not isinstance(self.device, Device):
            raise TypeError(f"device must be a Device, not {self.device!r}")
        check_int("xbar_size", self.xbar_size, 1, 4096)
        check_int("xbars_per_pe", self.xbars_per_pe, 1, 4096)
        check_int("pes_per_tile", self.pes_per_tile, 1, 4096)
        check_int("adc_bits", self.adc_bits, 1, 16)
        check_int("weight_bits", self.weight_bits, 1, 32)
        check_int("input_bits", self.input_bits, 1, 32)

    @property
    def weight_slices(self):
        """Crossbar columns per weight: ``⌈weight_bits / bits_per_cell⌉``."""
        return -(-self.weight_bits // self.device.bits_per_cell)


@dataclass(frozen=True)
class ViT:
    """ViT parameters (TReX Table I): embedding ``d``, tokens ``t``, ``mlp_ratio``, heads
    ``n_heads``, ``n_encoders`` and ``n_reuse`` encoders reusing attention."""

    d: int
    t: int
    mlp_ratio: float
    n_heads: int
    n_encoders: int
    n_reuse: int = 0

    def __post_init__(self):
        check_int("d", self.d, 1, 1 << 16)
        check_int("t", self.t, 1, 1 << 16)
        check_int("n_heads", self.n_heads, 1, self.d)
        check_int("n_encoders", self.n_encoders, 1, 1024)
        check_int("n_reuse", self.n_reuse, 0, self.n_encoders - 1)
        if not self.mlp_ratio > 0:
            raise ValueError(f"mlp_ratio must be positive, not {self.mlp_ratio!r}")

    @classmethod
    def from_shape(cls, shape, n_reuse=0):
        """From a :class:`~tilewright.golden.models.shapes.ModelShape` (DeiT-S, LV-ViT-S)."""
        return cls(shape.hidden, shape.tokens, shape.ff / shape.hidden, shape.heads,
                   shape.layers, n_reuse)


@dataclass(frozen=True)
class SoftmaxCost:
    """Per-element energy (pJ, one head) and delay (ns) of the softmax module's select,
    exponent and divide circuits (Table II rows 5–6), and where they come from."""

    e_select_pj: float
    e_exponent_pj: float
    e_div_pj: float
    d_select_ns: float
    d_exponent_ns: float
    d_div_ns: float
    source: str

    @property
    def e_element_pj(self):
        return self.e_select_pj + self.e_exponent_pj + self.e_div_pj

    @property
    def d_element_ns(self):
        return self.d_select_ns + self.d_exponent_ns + self.d_div_ns


def softmax_from_record(record, node_nm=32, scale=None):
    """:class:`SoftmaxCost` from a characterized softmax unit's cost record.

    The record's operation is the softmax of one vector of ``t`` features for one head
    (``energy_per_op_pj``; ``initiation_interval`` cycles per vector per head, the
    ``heads`` units running in lock step). Per element: energy ``E_op / t`` scaled from the
    record's node to ``node_nm`` by ``scale`` (:func:`tilewright.flows.costs.scaling.scale`,
    Stillmaker & Baas); delay ``II · heads / t`` cycles at the record's clock, or at its
    ``fmax_mhz`` when that is lower (not scaled: the scaling equations used cover area,
    energy and power only). The unit does not split
    its energy by circuit, so everything is reported as ``select + exponent + divide``
    in the exponent field, select and divide 0."""
    if scale is None:
        from tilewright.flows.costs.scaling import scale
    t, heads = record.params["t"], record.params.get("heads", 1)
    s = scale(record.area_um2, record.energy_per_op_pj / t, 0.0, record.leakage_mw,
              record.node_nm, node_nm)
    clock = min(record.clock_mhz, record.fmax_mhz or record.clock_mhz)
    d_ns = record.initiation_interval * heads / t / clock * 1e3
    return SoftmaxCost(0.0, s.energy_pj, 0.0, 0.0, d_ns, 0.0,
                       f"softmax record {record.key[:12]} ({record.technology}, t={t}, "
                       f"heads={heads}, {clock:.4g} MHz), energy scaled "
                       f"{record.node_nm:g} nm → {node_nm:g} nm")


def n_xbars(in_dim, out_dim, xbar):
    """Crossbars mapping a layer (TReX Eq. 5) times the weight slices:
    ``⌈in/X⌉ · ⌈out/X⌉ · ⌈weight_bits / bits_per_cell⌉``."""
    x = xbar.xbar_size
    return math.ceil(in_dim / x) * math.ceil(out_dim / x) * xbar.weight_slices


@dataclass(frozen=True)
class LayerCost:
    """One layer of one encoder: block (``attn``, ``proj``, ``mlp``, ``tb``), crossbars,
    energies (pJ), delays (µs), area (mm²) and MACs."""

    block: str
    layer: str
    xbars: int
    read_pj: float
    write_pj: float
    read_us: float
    write_us: float
    area_mm2: float
    macs: int

    @property
    def energy_pj(self):
        return self.read_pj + self.write_pj

    @property
    def delay_us(self):
        return self.read_us + self.write_us


def _crossbar_layer(block, name, in_dim, out_dim, t_l, xbar, written=False, macs=None):
    n = n_xbars(in_dim, out_dim, xbar)
    dev = xbar.device
    return LayerCost(block, name, n, t_l * n * dev.e_read_pj,          # Table II row 1
                     n * dev.e_write_pj if written else 0.0,          # row 2
                     t_l * dev.d_read_us * xbar.xbars_per_pe,          # row 3
                     dev.d_write_us * xbar.xbars_per_pe if written else 0.0,   # row 4
                     n * dev.area_mm2,                                 # row 7
                     t_l * in_dim * out_dim if macs is None else macs)


def layers(vit, xbar, softmax):
    """Layers of one computing encoder and of one transformation block: a list of
    :class:`LayerCost` (blocks ``attn``, ``proj``, ``mlp``, ``tb``)."""
    d, t = vit.d, vit.t
    f = round(vit.mlp_ratio * d)
    e_s = vit.n_heads * t * t * softmax.e_element_pj                   # row 5
    d_s = t * t * softmax.d_element_ns * 1e-3                          # row 6
    return [
        _crossbar_layer("attn", "Q", d, d, t, xbar),
        _crossbar_layer("attn", "K", d, d, t, xbar),
        _crossbar_layer("attn", "V", d, d, t, xbar),
        # Kᵀ written, then Q read through it: t×t×d MACs
        _crossbar_layer("attn", "QK^T", t, d, t, xbar, written=True, macs=t * t * d),
        LayerCost("attn", "softmax", 0, e_s, 0.0, d_s, 0.0, 0.0, 0),
        _crossbar_layer("attn", "S(QK^T)V", t, d, t, xbar, written=True, macs=t * t * d),
        _crossbar_layer("proj", "Projection", d, d, t, xbar),
        _crossbar_layer("mlp", "MLP1", d, f, t, xbar),
        _crossbar_layer("mlp", "MLP2", f, d, t, xbar),
        _crossbar_layer("tb", "TB", d, d, t, xbar),
    ]


@dataclass
class Result:
    """Whole-ViT figures (Table II rows 8–10) and the per-layer rows of one encoder."""

    vit: ViT
    xbar: Crossbar
    softmax: SoftmaxCost
    energy_pj: float
    delay_us: float
    area_mm2: float
    macs: int
    per_layer: list = field(repr=False, default_factory=list)
    by_block: dict = field(repr=False, default_factory=dict)

    @property
    def energy_mj(self):
        return self.energy_pj * 1e-9

    @property
    def delay_ms(self):
        return self.delay_us * 1e-3

    @property
    def edap(self):
        """Energy (mJ) × delay (ms) × area (mm²), TReX Table IV's EDAP."""
        return self.energy_mj * self.delay_ms * self.area_mm2

    @property
    def tops_per_w(self):
        """MACs per joule, in 10¹² (one MAC = one op, as TReX Table IV)."""
        return self.macs / (self.energy_pj * 1e-12) / 1e12

    @property
    def tops_per_mm2(self):
        return self.macs / (self.delay_us * 1e-6) / 1e12 / self.area_mm2

    def summary(self):
        return {"n_reuse": self.vit.n_reuse, "energy_mj": self.energy_mj,
                "delay_ms": self.delay_ms, "area_mm2": self.area_mm2, "edap": self.edap,
                "tops_per_w": self.tops_per_w, "tops_per_mm2": self.tops_per_mm2}


def simulate(vit, xbar, softmax):
    """Energy, delay, area of ``vit`` on ``xbar`` crossbars with ``softmax`` (TReX Table II).

    Computing encoders run ``attn + proj + mlp``; the ``n_reuse`` reusing ones run
    ``tb + proj + mlp`` (rows 8–10, the transformation block added to the reusing
    encoders, TReX §V-A)."""
    rows = layers(vit, xbar, softmax)
    by_block = {}
    for r in rows:
        b = by_block.setdefault(r.block, {"energy_pj": 0.0, "delay_us": 0.0, "area_mm2": 0.0,
                                          "macs": 0})
        b["energy_pj"] += r.energy_pj
        b["delay_us"] += r.delay_us
        b["area_mm2"] += r.area_mm2
        b["macs"] += r.macs
    n, k = vit.n_encoders, vit.n_reuse
    count = {"proj": n, "mlp": n, "attn": n - k, "tb": k}
    total = {key: sum(count[b] * v[key] for b, v in by_block.items())
             for key in ("energy_pj", "delay_us", "area_mm2", "macs")}
    return Result(vit, xbar, softmax, total["energy_pj"], total["delay_us"],
                  total["area_mm2"], total["macs"], rows, by_block)

