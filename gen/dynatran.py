"""DynaTran / DynaProp pruning module with its threshold calculator (AccelTran §III-A,
§III-B5, Fig. 7; TransCODE §III-A, Fig. 4).

A tile ``M`` of ``b×x×y`` fixed-point values in ``(il, fl)`` arrives in one stream beat.
``b·x·y`` parallel comparators test ``|v| ≥ τ``; the module outputs the pruned tile
(``v`` where kept, 0 elsewhere) and one mask bit per element, **1 = ineffectual** (the
papers' convention: "if the output of the comparator is zero, we set the corresponding
mask bit to one"). Pruning takes one clock cycle: a tile accepted at a clock edge is valid
on the output right after that edge (latency 1, one tile per cycle).

``|v|`` is computed one bit wider than the data, so the most negative value
``-2**(il+fl-1)`` has its true magnitude and is never mistaken for a small one. ``τ`` is an
unsigned integer of ``il+fl`` bits on the same scale as the data (``τ_real = τ / 2**fl``):
``τ = 0`` keeps everything (zeros included, mask bit 0), ``|v| = τ`` is kept, and
``τ ≥ 2**(il+fl-1) + 1`` prunes the whole tile.

Threshold source (``threshold``):

- ``"input"``: ``τ`` travels with each tile in the payload;
- ``"calculator"``: each tile carries the desired sparsity ``ρ`` as a ``rho_bits``-bit code
  (``ρ = code / (2**rho_bits − 1)``, so the largest code is 100 %); the threshold
  calculator looks ``τ`` up in a register file of ``curve_points`` pre-profiled
  transfer-curve points ``(ρ_k, τ_k)``, loaded at run time through the ``load`` stream
  (always ready; one point per cycle; a point written at an edge is used from the next
  tile on). **Look-up rule:** among the loaded points with ``ρ_k ≥ ρ``, the one with the
  smallest ``ρ_k`` (the nearest point at or above the request, which on a monotone curve
  gives at least the requested sparsity); when no loaded point reaches ``ρ``, the one with
  the largest ``ρ_k``; ties go to the lowest index; with no point loaded, ``τ = 0``.

The ``τ`` used is returned with every output tile.

DynaProp (``transpose=True``, TransCODE Fig. 4): each input beat carries a ``transpose``
bit; when set, the tile is read as ``b×x×y`` and leaves as ``M^T`` (``b×y×x``) before the
comparators. Element order is row-major in both cases: input index ``(β·x + i)·y + j``,
transposed output index ``(β·y + j)·x + i``; mask bit ``k`` belongs to output element ``k``.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from tilewright.blocks import Block, Constraint, Param, format_params, format_width
from tilewright.fixedpoint import FixedFormat

__all__ = ["DynaTran", "THRESHOLD_SOURCES", "comparator"]

THRESHOLD_SOURCES = ("input", "calculator")
MAX_ELEMENTS = 1024
MAX_DIM = 64
MAX_WIDTH = 24
MAX_POINTS = 64
MAX_RHO_BITS = 16


class DynaTran(wiring.Component):
    """One-cycle magnitude pruning of a ``b×x×y`` tile, with mask bits.

    Parameters
    ----------
    batch, rows, cols : int
        Tile shape ``b×x×y``, each from 1 to 64, at most 1024 elements in all.
    il, fl : int
        Data format; ``il + fl`` from 2 to 24 bits.
    threshold : str
        ``"input"`` (τ in each beat) or ``"calculator"`` (ρ in each beat, τ looked up).
    curve_points : int
        Transfer-curve points of the threshold calculator, 1 to 64.
    rho_bits : int
        Bits of a sparsity code ρ, 1 to 16.
    transpose : bool
        DynaProp: accept a per-tile ``transpose`` bit and transpose before pruning.

    Latency 1 cycle (accepting edge → output valid), throughput one tile (``b·x·y``
    comparisons) per cycle; back-pressure on ``o`` holds the tile and stalls ``i``.

    Members
    -------
    i : In(stream.Signature(input_layout))
        ``tile`` (``b·x·y`` signed values), ``tau`` or ``rho``, and ``transpose`` if enabled.
    o : Out(stream.Signature(output_layout))
        ``tile`` (pruned), ``mask`` (bit k = element k, 1 = ineffectual), ``tau`` used.
    load : In(stream.Signature(load_layout))
        Only with ``threshold="calculator"``: ``index``, ``rho``, ``tau`` of one curve point.
    """

    def __init__(self, *, batch=1, rows=16, cols=16, il=4, fl=16, threshold="input",
                 curve_points=8, rho_bits=8, transpose=False):
        BLOCK.check(locals())
        fmt = FixedFormat(il, fl)
        self._shape = (batch, rows, cols)
        self._fmt = fmt
        self._threshold = threshold
        self._curve_points = curve_points
        self._rho_bits = rho_bits
        self._transpose = transpose
        members = {
            "i": In(stream.Signature(self.input_layout())),
            "o": Out(stream.Signature(self.output_layout())),
        }
        if threshold == "calculator":
            members["load"] = In(stream.Signature(self.load_layout()))
        super().__init__(members)

    @property
    def shape(self):
        return self._shape

    @property
    def elements(self):
        b, x, y = self._shape
        return b * x * y

    @property
    def fmt(self):
        return self._fmt

    @property
    def threshold(self):
        return self._threshold

    @property
    def curve_points(self):
        return self._curve_points

    @property
    def rho_bits(self):
        return self._rho_bits

    @property
    def transpose(self):
        return self._transpose

    @property
    def latency(self):
        """Cycles from the edge accepting a tile to the edge after which it is on ``o``."""
        return 1

    def input_layout(self):
        fields = {"tile": data.ArrayLayout(signed(self._fmt.width), self.elements)}
        if self._threshold == "input":
            fields["tau"] = unsigned(self._fmt.width)
        else:
            fields["rho"] = unsigned(self._rho_bits)
        if self._transpose:
            fields["transpose"] = 1
        return data.StructLayout(fields)

    def output_layout(self):
        return data.StructLayout({
            "tile": data.ArrayLayout(signed(self._fmt.width), self.elements),
            "mask": unsigned(self.elements),
            "tau": unsigned(self._fmt.width),
        })

    def load_layout(self):
        return data.StructLayout({
            "index": unsigned(max(1, ceil_log2(self._curve_points))),
            "rho": unsigned(self._rho_bits),
            "tau": unsigned(self._fmt.width),
        })

    def transposed_order(self):
        """``order[k]``: input index of transposed output element ``k``."""
        b, x, y = self._shape
        return [(beta * x + i) * y + j
                for beta in range(b) for j in range(y) for i in range(x)]

    def _calculator(self, m, rho):
        """Threshold calculator: curve register file and the look-up rule; returns τ."""
        width = self._fmt.width
        points = [(Signal(unsigned(self._rho_bits), name=f"curve{k}_rho"),
                   Signal(unsigned(width), name=f"curve{k}_tau"),
                   Signal(name=f"curve{k}_valid")) for k in range(self._curve_points)]
        m.d.comb += self.load.ready.eq(1)
        with m.If(self.load.valid):
            with m.Switch(self.load.payload.index):
                for k, (p_rho, p_tau, p_valid) in enumerate(points):
                    with m.Case(k):
                        m.d.sync += [p_rho.eq(self.load.payload.rho),
                                     p_tau.eq(self.load.payload.tau), p_valid.eq(1)]
        # Priority chain over the points: best so far, and whether it is at or above rho.
        found = above = best_rho = best_tau = None
        for k, (p_rho, p_tau, p_valid) in enumerate(points):
            p_above = p_rho >= rho
            if k == 0:
                better = p_valid
                found, above = Const(0, 1), Const(0, 1)
                best_rho, best_tau = Const(0, self._rho_bits), Const(0, width)
            else:
                better = p_valid & (~found
                                    | (p_above & (~above | (p_rho < best_rho)))
                                    | (~p_above & ~above & (p_rho > best_rho)))
            n_found, n_above = Signal(name=f"pick{k}_found"), Signal(name=f"pick{k}_above")
            n_rho = Signal(unsigned(self._rho_bits), name=f"pick{k}_rho")
            n_tau = Signal(unsigned(width), name=f"pick{k}_tau")
            m.d.comb += [n_found.eq(found | p_valid),
                         n_above.eq(Mux(better, p_above, above)),
                         n_rho.eq(Mux(better, p_rho, best_rho)),
                         n_tau.eq(Mux(better, p_tau, best_tau))]
            found, above, best_rho, best_tau = n_found, n_above, n_rho, n_tau
        return best_tau

    def elaborate(self, platform):
        m = Module()
        width, n = self._fmt.width, self.elements
        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]

        payload = self.i.payload
        tau = Signal(unsigned(width))
        if self._threshold == "input":
            m.d.comb += tau.eq(payload.tau)
        else:
            m.d.comb += tau.eq(self._calculator(m, payload.rho))

        values = [payload.tile[k] for k in range(n)]
        if self._transpose:
            order = self.transposed_order()
            values = [Mux(payload.transpose, payload.tile[order[k]], values[k])
                      for k in range(n)]

        pruned, mask = [], []
        for k, v in enumerate(values):
            keep = comparator(m, v, tau, width, k)
            pruned.append(Mux(keep, v, 0))
            mask.append(~keep)

        with m.If(advance):
            m.d.sync += self.o.valid.eq(self.i.valid)
            with m.If(self.i.valid):
                m.d.sync += [self.o.payload.tile[k].eq(p) for k, p in enumerate(pruned)]
                m.d.sync += [self.o.payload.mask.eq(Cat(*mask)), self.o.payload.tau.eq(tau)]
        return m


def comparator(m, v, tau, width, suffix):
    """One DynaTran comparator in ``m``: the signal ``keep{suffix}``, ``|v| ≥ τ`` for the
    signed ``width``-bit value ``v`` (its magnitude is exact: ``|min| = 2**(width-1)``
    fits ``width`` unsigned bits) and the unsigned threshold ``tau``."""
    mag = Signal(unsigned(width), name=f"mag{suffix}")
    m.d.comb += mag.eq(Mux(v < 0, -v, v))
    keep = Signal(name=f"keep{suffix}")
    m.d.comb += keep.eq(mag >= tau)
    return keep


def _check_elements(values):
    elements = values["batch"] * values["rows"] * values["cols"]
    if elements > MAX_ELEMENTS:
        raise ValueError(f"batch·rows·cols must be at most {MAX_ELEMENTS} elements, "
                         f"not {elements!r}")


def _facts(unit):
    return {"latency_cycles": unit.latency, "comparators": unit.elements,
            "comparisons_per_cycle": unit.elements,
            "input_payload_bits": unit.input_layout().size,
            "output_payload_bits": unit.output_layout().size}


BLOCK = Block(
    name="dynatran",
    summary="DynaTran/DynaProp one-cycle magnitude pruning of a b×x×y tile with mask bits "
            "and threshold calculator (AccelTran §III-B5)",
    component=DynaTran,
    params=(
        Param("batch", int, 1, "tile batch b", low=1, high=MAX_DIM),
        Param("rows", int, 16, "tile rows x", low=1, high=MAX_DIM),
        Param("cols", int, 16, "tile columns y", low=1, high=MAX_DIM),
        *format_params(4, 16, " of the data"),
        Param("threshold", str, "input", "source of the threshold τ", THRESHOLD_SOURCES),
        Param("curve_points", int, 8, "(ρ, τ) points of the threshold calculator",
              low=1, high=MAX_POINTS),
        Param("rho_bits", int, 8, "bits of a sparsity code ρ", low=1, high=MAX_RHO_BITS),
        Param("transpose", bool, False, "DynaProp: optional per-tile transpose"),
    ),
    toplevel="dynatran",
    testbench="tilewright.cosim.tb_dynatran",
    constraints=(
        Constraint(("batch", "rows", "cols"), f"batch·rows·cols at most {MAX_ELEMENTS}",
                   _check_elements),
        format_width(MAX_WIDTH, "DynaTran"),
    ),
    facts=_facts,
    stimulus="tile_throughput",
)
