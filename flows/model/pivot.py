"""PIVOT-Sim: a ViT effort on PIVOT's input-stationary systolic array (PIVOT §3.4, Fig. 5).

Inputs, ZigZag style: the workload (a :class:`~tilewright.golden.models.shapes.ModelShape`
and the set of encoders whose attention is skipped), the hardware :class:`PivotHardware`
(PIVOT Table 1: a 64×36 input-stationary array at 125 MHz) and ``costs``, a cost source
answering ``costs.lookup(block, params)`` with a cost record or ``None`` (the cost
database's query API, or anything shaped like it).

- Every GEMM (QKV, QKᵀ and S·V per head, projection, MLP) takes
  :meth:`SystolicArray.gemm_cycles <tilewright.gen.systolic.SystolicArray.gemm_cycles>`
  cycles, the closed form the systolic RTL's co-simulation measures exactly
  (``tests/test_cosim_systolic.py``); GEMMs run one after another.
- The other operations (softmax over each head's t×t scores, GeLU over the t×ff hidden
  layer, the layer norms over t vectors of d) run on our characterized units, one unit
  each: an operation's cycles and energy are the record's ``initiation_interval`` and
  ``energy_per_op_pj`` per vector (softmax ``t``, layer-norm ``n``) or per value (GeLU),
  scaled linearly by the number of elements. PIVOT runs them on the ZynQ's ARM
  cores instead (its Fig. 6a: the softmax is 60 % of DeiT-S's delay there).
- Energy of the array: the 64×36 array is not characterized (about a million cells); a
  characterized small array of the same dataflow and widths stands in: energy per MAC from
  its record, times the MACs, plus its leakage scaled by the ratio of PE counts over the
  GEMM time. Stated as such in :attr:`EffortResult.notes`.
- An operation kind without a unit in ``PivotHardware.units`` is left out of the timing
  and named in the notes (PIVOT's Fig. 6a splits the delay into attention MACs, softmax
  and MLP only).
- A skipped attention computes nothing of the attention module (no layer norm, QKV, QKᵀ,
  softmax, S·V or projection; PIVOT §3.1), as the golden model does.
- A low/high effort pair (PIVOT §3.4): ``D = D_L + F_H · D_H``, energy likewise.
"""

from dataclasses import dataclass, field

from tilewright.gen.systolic import SystolicArray

__all__ = ["PivotHardware", "MissingCosts", "EffortResult", "workload", "simulate",
           "combine"]


@dataclass(frozen=True)
class PivotHardware:
    """PIVOT Table 1's array (``rows`` × ``cols``, ``dataflow``, ``clock_mhz``), and the
    blocks whose cost records price the array (``pe_block``, ``pe_params``: a small
    characterized array of the same dataflow and widths) and the other operations
    (``units``: operation → ``(block, params)``)."""

    rows: int = 64
    cols: int = 36
    dataflow: str = "is"
    clock_mhz: float = 125.0
    pe_block: str = "systolic"
    pe_params: dict = field(default_factory=lambda: dict(
        rows=4, cols=4, dataflow="is", il=8, fl=0, acc_width=32))
    units: dict = field(default_factory=lambda: {
        "softmax": ("softmax", {"t": 64, "heads": 1}),
        "gelu": ("gelu", {"lanes": 1}),
        "layer_norm": ("layer-norm", {"n": 4}),
    })

    def __post_init__(self):
        SystolicArray.mapping(1, 1, 1, self.dataflow)          # checks the dataflow
        for name in ("rows", "cols"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if not self.clock_mhz > 0:
            raise ValueError(f"clock_mhz must be positive, not {self.clock_mhz!r}")


class MissingCosts(LookupError):
    """Cost records the simulation needs and the cost source does not have:
    ``requests`` lists ``(block, params)``."""

    def __init__(self, requests):
        self.requests = requests
        super().__init__("no cost record for " + "; ".join(
            f"{b} {' '.join(f'{k}={v}' for k, v in p.items())}" for b, p in requests))


#: The parameter naming the vector length of the units whose record's operation is one
#: vector (softmax: one vector of ``t`` for one head; layer-norm: one vector of ``n``); a
#: GeLU unit's operation is one value.
_LENGTH = {"softmax": "t", "layer-norm": "n"}


def workload(shape, skip=()):
    """Operations of one inference of ``shape`` with the attention of ``skip`` skipped:
    ``(encoder, name, kind, size)`` with ``kind`` ``"gemm"`` (size ``(m, k, n)``) or a unit
    name (size = elements)."""
    t, d, h, f, dh = shape.tokens, shape.hidden, shape.heads, shape.ff, shape.head_dim
    skip = set(skip)
    ops = []
    for e in range(shape.layers):
        if e not in skip:
            ops += [(e, "LN1", "layer_norm", t * d), (e, "QKV", "gemm", (t, d, 3 * d))]
            ops += [(e, f"QK^T.{i}", "gemm", (t, dh, t)) for i in range(h)]
            ops += [(e, "softmax", "softmax", h * t * t)]
            ops += [(e, f"SV.{i}", "gemm", (t, t, dh)) for i in range(h)]
            ops += [(e, "Proj", "gemm", (t, d, d))]
        ops += [(e, "LN2", "layer_norm", t * d), (e, "MLP1", "gemm", (t, d, f)),
                (e, "GeLU", "gelu", t * f), (e, "MLP2", "gemm", (t, f, d))]
    return ops


@dataclass
class EffortResult:
    """One effort: ``cycles`` at ``clock_mhz``, ``energy_pj``, per-operation ``rows``
    (encoder, op, kind, cycles, energy_pj) and ``notes`` on where the figures come from."""

    cycles: int
    clock_mhz: float
    energy_pj: float
    rows: list = field(repr=False)
    notes: list = field(default_factory=list)

    @property
    def delay_ms(self):
        return self.cycles / self.clock_mhz * 1e-3

    def cycles_by(self, group):
        """Cycles summed by ``group(row)`` (e.g. ``lambda r: r["kind"]``)."""
        out = {}
        for r in self.rows:
            out[group(r)] = out.get(group(r), 0) + r["cycles"]
        return out


def _records(hw, costs):
    from tilewright.gen.catalogue import get_block
    wanted = {k: (b, get_block(b).resolve(p))
              for k, (b, p) in {"pe": (hw.pe_block, hw.pe_params), **hw.units}.items()}
    found = {k: costs.lookup(b, p) for k, (b, p) in wanted.items()}
    missing = [wanted[k] for k, r in found.items() if r is None]
    if missing:
        raise MissingCosts(missing)
    return found


def simulate(shape, skip, hw, costs):
    """Cycles and energy of ``shape`` with attention skipped in ``skip`` on ``hw``;
    raises :class:`MissingCosts` (before computing anything) when a record is missing."""
    rec = _records(hw, costs)
    pe = rec["pe"]
    pe_count = pe.params["rows"] * pe.params["cols"]
    pe_ratio = hw.rows * hw.cols / pe_count
    rows = []
    untimed = sorted({kind for _, _, kind, _ in workload(shape, skip)}
                     - {"gemm", *hw.units})
    for e, name, kind, size in workload(shape, skip):
        if kind in untimed:
            continue
        if kind == "gemm":
            m, k, n = size
            cycles = SystolicArray.gemm_cycles(hw.rows, hw.cols, m, k, n, hw.dataflow)
            seconds = cycles / (hw.clock_mhz * 1e6)
            energy = m * k * n * pe.energy_per_op_pj + pe_ratio * pe.leakage_mw * seconds * 1e9
        else:
            r = rec[kind]
            ops = size / (r.params[_LENGTH[r.block]] if r.block in _LENGTH else 1)
            cycles = round(ops * r.initiation_interval)
            energy = ops * r.energy_per_op_pj
        rows.append({"encoder": e, "op": name, "kind": kind, "cycles": cycles,
                     "energy_pj": energy})
    notes = [f"GEMM cycles: SystolicArray.gemm_cycles on {hw.rows}x{hw.cols} {hw.dataflow}",
             *(f"{k}: not timed (no unit in the hardware)" for k in untimed),
             f"array energy: {pe.block} {pe.params['rows']}x{pe.params['cols']} record "
             f"{pe.key[:12]} ({pe.energy_per_op_pj:.3g} pJ/MAC), leakage scaled by "
             f"{pe_ratio:g} = PE count ratio",
             *(f"{k}: {r.block} record {r.key[:12]}, per element = per operation / length"
               for k, r in rec.items() if k != "pe"),
             *(f"{r.block} record {r.key[:12]}: fmax {r.fmax_mhz:.4g} MHz is below the "
               f"array clock {hw.clock_mhz:g} MHz" for r in rec.values()
               if r.fmax_mhz is not None and r.fmax_mhz < hw.clock_mhz)]
    return EffortResult(sum(r["cycles"] for r in rows), hw.clock_mhz,
                        sum(r["energy_pj"] for r in rows), rows, notes)


def combine(low, high, f_high):
    """The low/high effort pair (PIVOT §3.4, Fig. 5): every input runs the low effort, the
    fraction ``f_high`` runs the high one too: ``(delay_ms, energy_pj)`` =
    ``D_L + F_H · D_H``, ``E_L + F_H · E_H``."""
    if not 0.0 <= f_high <= 1.0:
        raise ValueError(f"f_high must be from 0 to 1, not {f_high!r}")
    return (low.delay_ms + f_high * high.delay_ms, low.energy_pj + f_high * high.energy_pj)
