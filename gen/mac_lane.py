"""MAC lane: M multipliers, a pipelined adder tree and an accumulator (AccelTran §III-B4, Fig. 6).

Each input beat carries two vectors ``a`` and ``b`` of M fixed-point operands in
``(il, fl)`` and a ``last`` flag. The lane multiplies them element-wise into products of
``2·(il+fl)`` bits, sums the products in an adder tree of depth ``log2 M`` (one register per
level, widths grow so the tree is exact), and adds the sum to the accumulator of
``acc_width`` bits (default ``2·(il+fl)``, as the paper), wrapping or saturating on every
beat. On the ``last`` beat of a dot product the accumulated value (``2·fl`` fraction bits)
is rounded to the output format ``(il, fl)``, wrapped or saturated, optionally passed
through ReLU or a piecewise-linear GeLU, and emitted on the output stream.

A tile product ``W[x×y] · A[y×z]`` (``n_o = x·y·z`` multiplications) is streamed as
``x·z`` dot products of ``⌈y/M⌉`` beats each, so at full throughput it takes
``n_o/M - 1`` cycles plus :attr:`MacLane.latency` from its first beat to its last result
(the paper's ``n_o/M`` minimum).

The M multipliers are exact (``a * b``) by default, or any approximate kind of
:mod:`tilewright.gen.multiplier` (TransAxx §III) with its knob ``multiplier_k``, for
operands of 4 to 16 bits; the adder tree and the accumulator stay exact.
"""

import math

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import (Block, Constraint, Param, accumulator_width, format_params,
                               format_width)
from tilewright.fixedpoint import OVERFLOWS, ROUNDINGS, FixedFormat, check_choice
from tilewright.gen.fixed_ops import fit, shift_right
from tilewright.gen.gelu import MAX_SEGMENTS, GeluPWL
from tilewright.gen.multiplier import MultiplierCore
from tilewright.specs.multiplier import (KINDS, MAX_BITS, MIN_BITS, check_multiplier,
                                         default_k)

__all__ = ["MacLane", "ACTIVATIONS"]

ACTIVATIONS = ("none", "relu", "gelu")
MAX_MULTIPLIERS = 64
MAX_OPERAND_WIDTH = 24
MAX_ACC_WIDTH = 56


class MacLane(wiring.Component):
    """Pipelined multiply-accumulate lane with stream interfaces.

    Parameters
    ----------
    multipliers : int
        Number of multipliers M, a power of two from 1 to 64.
    il, fl : int
        Operand and output format (integer bits including sign, fraction bits);
        ``il + fl`` from 2 to 24.
    activation : str
        ``"none"``, ``"relu"`` or ``"gelu"`` (piecewise linear, see :class:`GeluPWL`).
    rounding : str
        ``"truncate"`` or ``"half-even"``, when the accumulator is rounded to the output.
    overflow : str
        ``"wrap"`` or ``"saturate"``, at the accumulator and at the output.
    acc_width : int or None
        Accumulator bits, from ``2·(il+fl)`` to 56; ``None`` means ``2·(il+fl)``.
    gelu_segments : int
        Chords of the GeLU approximation, a power of two from 2 to 256.
    multiplier : str
        Kind of the M multipliers, one of :data:`tilewright.gen.multiplier.KINDS`;
        approximate kinds need ``il + fl`` from 4 to 16.
    multiplier_k : int or None
        The approximate kind's knob (``None``: its default); unset for ``"exact"``.

    Latency is ``log2(M) + 3`` cycles from the clock edge that accepts the last beat of a
    dot product to the edge where its result is first valid on ``o`` (product, adder-tree,
    accumulator and output registers); throughput is one
    beat (M multiplications) per cycle. Back-pressure on ``o`` stalls the whole pipeline.

    Members
    -------
    i : In(stream.Signature(input_layout))
        ``a``, ``b``: arrays of M signed operands; ``last``: final beat of a dot product.
    o : Out(stream.Signature(signed(il + fl)))
        One result per dot product.
    """

    def __init__(self, *, multipliers=16, il=4, fl=16, activation="none",
                 rounding="half-even", overflow="saturate", acc_width=None, gelu_segments=64,
                 multiplier="exact", multiplier_k=None):
        BLOCK.check(locals())
        fmt = FixedFormat(il, fl)
        if acc_width is None:
            acc_width = 2 * fmt.width
        if multiplier != "exact" and multiplier_k is None:
            multiplier_k = default_k(multiplier, fmt.width)

        self._multipliers = multipliers
        self._fmt = fmt
        self._activation = activation
        self._rounding = rounding
        self._overflow = overflow
        self._acc_width = acc_width
        self._gelu_segments = gelu_segments
        self._multiplier, self._multiplier_k = multiplier, multiplier_k
        super().__init__({
            "i": In(stream.Signature(self.input_layout(multipliers, fmt.width))),
            "o": Out(stream.Signature(signed(fmt.width))),
        })

    @staticmethod
    def check_multiplier(multiplier, multiplier_k, width):
        """Check the multiplier kind and knob for operands of ``width`` bits; returns the
        knob resolved."""
        check_choice("multiplier", multiplier, KINDS)
        if multiplier != "exact" and not MIN_BITS <= width <= MAX_BITS:
            raise ValueError(f"multiplier {multiplier!r} needs il + fl from {MIN_BITS} to "
                             f"{MAX_BITS} bits, not {width!r}")
        if multiplier == "exact":
            if multiplier_k is not None:
                raise ValueError("multiplier_k is not used by multiplier 'exact'; "
                                 "leave it unset")
            return None
        return check_multiplier(multiplier, width, multiplier_k, "multiplier", "multiplier_k")

    @staticmethod
    def input_layout(multipliers, width):
        return data.StructLayout({
            "a": data.ArrayLayout(signed(width), multipliers),
            "b": data.ArrayLayout(signed(width), multipliers),
            "last": 1,
        })

    @staticmethod
    def pipeline_latency(multipliers):
        """Cycles from the edge accepting a dot product's last beat to the edge where its
        result is first valid: ``log2(M) + 3``."""
        return int(math.log2(multipliers)) + 3

    @staticmethod
    def tile_cycles(x, y, z, multipliers):
        """Cycles for a ``W[x×y]·A[y×z]`` tile product at full throughput, from the first
        beat's transfer to the last result's: ``x·z·⌈y/M⌉ - 1`` beats after the first, plus
        the pipeline latency."""
        return x * z * math.ceil(y / multipliers) - 1 + MacLane.pipeline_latency(multipliers)

    @property
    def multipliers(self):
        return self._multipliers

    @property
    def fmt(self):
        return self._fmt

    @property
    def activation(self):
        return self._activation

    @property
    def rounding(self):
        return self._rounding

    @property
    def overflow(self):
        return self._overflow

    @property
    def acc_width(self):
        return self._acc_width

    @property
    def gelu_segments(self):
        return self._gelu_segments

    @property
    def multiplier(self):
        return self._multiplier

    @property
    def multiplier_k(self):
        """The multipliers' knob, resolved (``None`` for exact)."""
        return self._multiplier_k

    @property
    def latency(self):
        return self.pipeline_latency(self._multipliers)

    @property
    def throughput(self):
        """Multiplications per cycle at full rate."""
        return self._multipliers

    def elaborate(self, platform):
        m = Module()
        fmt = self._fmt
        width = fmt.width
        advance = Signal()
        m.d.comb += [
            advance.eq(~self.o.valid | self.o.ready),
            self.i.ready.eq(advance),
        ]

        # Stage 1: multipliers.
        valid, last = Signal(), Signal()
        terms = [Signal(signed(2 * width), name=f"prod{k}") for k in range(self._multipliers)]
        with m.If(advance):
            m.d.sync += [valid.eq(self.i.valid), last.eq(self.i.payload.last)]
            with m.If(self.i.valid):
                m.d.sync += [t.eq(self._product(m, k)) for k, t in enumerate(terms)]

        # Adder tree: one registered level per halving.
        level = 0
        while len(terms) > 1:
            level += 1
            n_valid, n_last = Signal(name=f"tree{level}_valid"), Signal(name=f"tree{level}_last")
            sums = [Signal(signed(len(terms[0]) + 1), name=f"tree{level}_{k}")
                    for k in range(len(terms) // 2)]
            with m.If(advance):
                m.d.sync += [n_valid.eq(valid), n_last.eq(last)]
                with m.If(valid):
                    m.d.sync += [s.eq(terms[2 * k] + terms[2 * k + 1])
                                 for k, s in enumerate(sums)]
            terms, valid, last = sums, n_valid, n_last

        # Accumulator: restarts after a last beat; wraps or saturates every beat.
        acc = Signal(signed(self._acc_width))
        fresh = Signal(init=1)
        done = Signal()
        with m.If(advance):
            m.d.sync += done.eq(valid & last)
            with m.If(valid):
                total = Mux(fresh, 0, acc) + terms[0]
                m.d.sync += [acc.eq(fit(total, self._acc_width, self._overflow)),
                             fresh.eq(last)]

        # Output: round to (il, fl), fit, activation.
        scaled = Signal(signed(width))
        m.d.comb += scaled.eq(fit(shift_right(acc, fmt.fl, self._rounding), width,
                                  self._overflow))
        result = Signal(signed(width))
        if self._activation == "relu":
            m.d.comb += result.eq(Mux(scaled < 0, 0, scaled))
        elif self._activation == "gelu":
            m.submodules.gelu = gelu = GeluPWL(fmt, self._gelu_segments)
            m.d.comb += [gelu.x.eq(scaled), result.eq(gelu.y)]
        else:
            m.d.comb += result.eq(scaled)
        with m.If(advance):
            m.d.sync += self.o.valid.eq(done)
            with m.If(done):
                m.d.sync += self.o.payload.eq(result)
        return m

    def _product(self, m, k):
        a, b = self.i.payload.a[k], self.i.payload.b[k]
        if self._multiplier == "exact":
            return a * b
        core = MultiplierCore(self._multiplier, self._fmt.width, self._multiplier_k)
        m.submodules[f"mul{k}"] = core
        m.d.comb += [core.a.eq(a), core.b.eq(b)]
        return core.p


def _facts(lane):
    facts = {"latency_cycles": lane.latency, "multiplications_per_cycle": lane.throughput,
             "acc_width": lane.acc_width, "product_width": 2 * lane.fmt.width,
             "input_payload_bits": MacLane.input_layout(lane.multipliers, lane.fmt.width).size}
    if lane.multiplier != "exact":
        facts["multiplier_k"] = lane.multiplier_k
    return facts


BLOCK = Block(
    name="mac-lane",
    summary="M multipliers, pipelined adder tree, accumulator, optional ReLU/GeLU "
            "(AccelTran §III-B4)",
    component=MacLane,
    params=(
        Param("multipliers", int, 16, "multipliers M, a power of two from 1 to 64",
              low=1, high=MAX_MULTIPLIERS, power_of_two=True),
        *format_params(4, 16, " of the operands"),
        Param("activation", str, "none", "output activation", ACTIVATIONS),
        Param("rounding", str, "half-even", "rounding of the accumulator to the output",
              ROUNDINGS),
        Param("overflow", str, "saturate", "overflow at the accumulator and the output",
              OVERFLOWS),
        Param("acc_width", int, None, "accumulator bits (default 2·(il+fl))", optional=True),
        Param("gelu_segments", int, 64, "chords of the GeLU approximation, a power of two",
              low=2, high=MAX_SEGMENTS, power_of_two=True),
        Param("multiplier", str, "exact", "kind of the multipliers (approximate kinds need "
              "il + fl from 4 to 16)", KINDS),
        Param("multiplier_k", int, None, "knob of an approximate multiplier kind "
              "(default depends on kind)", optional=True),
    ),
    toplevel="mac_lane",
    testbench="tilewright.cosim.tb_mac_lane",
    constraints=(
        format_width(MAX_OPERAND_WIDTH, "the MAC lane"),
        accumulator_width(MAX_ACC_WIDTH),
        Constraint(("multiplier", "multiplier_k", "il", "fl"),
                   f"an approximate multiplier needs il + fl from {MIN_BITS} to {MAX_BITS} "
                   f"and multiplier_k in its kind's range; exact takes no multiplier_k",
                   lambda v: MacLane.check_multiplier(v["multiplier"], v["multiplier_k"],
                                                      v["il"] + v["fl"])),
    ),
    facts=_facts,
    stimulus="tile_throughput",
)
