"""Sparsity-aware MAC path: pre-compute sparsity module → MAC lane (AccelTran §III-B3,
§III-B6, Figs. 5, 6, 8).

Each input beat is one dot product: zero-free activation and weight vectors of ``length``
slots with their dense masks (1 = ineffectual), as :class:`PreSparsity` takes them. The
pre-compute sparsity module collapses the ``c`` effectual pairs to the front; a beat
sequencer then feeds them to a :class:`MacLane` of M multipliers in ``max(1, ⌈c/M⌉)``
beats (one beat of zeros when ``c = 0``, so that every dot product still yields its
result), the last one flagged ``last``. The cycle count of a dot product therefore scales
with the number of effectual pairs, not with the vector length: at full rate a stream of
dot products takes ``Σ max(1, ⌈c_k/M⌉) - 1`` cycles plus :attr:`SparseMac.latency`, first
input transfer to last output transfer.
"""

import math
from dataclasses import replace

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from tilewright.blocks import Block, Param, accumulator_width, format_params, format_width
from tilewright.fixedpoint import OVERFLOWS, ROUNDINGS
from tilewright.gen.mac_lane import MAX_ACC_WIDTH, MAX_MULTIPLIERS, MAX_OPERAND_WIDTH, MacLane
from tilewright.gen.pre_sparsity import PreSparsity
from tilewright.gen.sparsity_stage import LENGTH

__all__ = ["SparseMac"]


class SparseMac(wiring.Component):
    """Pre-compute sparsity followed by a MAC lane.

    Parameters
    ----------
    length : int
        Vector length n of a dot product, 1 to 64.
    multipliers : int
        Multipliers M of the MAC lane (a power of two from 1 to 64).
    il, fl, rounding, overflow, acc_width
        As for :class:`MacLane` (whose checks and messages apply).

    Latency ``1 + MacLane.pipeline_latency(M)`` from the edge accepting a dot product with
    at most M effectual pairs to the edge where its result is first valid; a dot product
    with ``c`` effectual pairs occupies the lane for ``max(1, ⌈c/M⌉)`` cycles, each beat
    after the first adding one.

    Members
    -------
    i : In(stream.Signature(PreSparsity.input_layout))
        ``a``, ``a_mask``, ``b``, ``b_mask``: one dot product per beat.
    o : Out(stream.Signature(signed(il + fl)))
        One result per dot product.
    """

    def __init__(self, *, length=16, multipliers=4, il=4, fl=16, rounding="half-even",
                 overflow="saturate", acc_width=None):
        BLOCK.check(locals())
        self._lane = MacLane(multipliers=multipliers, il=il, fl=fl, rounding=rounding,
                             overflow=overflow, acc_width=acc_width)
        self._pre = PreSparsity(length=length, il=il, fl=fl)
        self._length = length
        width = self._lane.fmt.width
        super().__init__({
            "i": In(stream.Signature(PreSparsity.input_layout(length, width))),
            "o": Out(stream.Signature(signed(width))),
        })

    @property
    def length(self):
        return self._length

    @property
    def lane(self):
        """The :class:`MacLane` instance (its parameters drive the golden model)."""
        return self._lane

    @property
    def fmt(self):
        return self._lane.fmt

    @property
    def multipliers(self):
        return self._lane.multipliers

    @staticmethod
    def beats(count, multipliers):
        """Lane beats of a dot product with ``count`` effectual pairs."""
        return max(1, math.ceil(count / multipliers))

    @property
    def latency(self):
        """Cycles from accepting a dot product of at most M effectual pairs to its result:
        the pre-sparsity stage plus the lane pipeline."""
        return self._pre.latency + self._lane.latency

    def elaborate(self, platform):
        m = Module()
        m.submodules.pre = pre = self._pre
        m.submodules.lane = lane = self._lane
        wiring.connect(m, wiring.flipped(self.i), pre.i)
        wiring.connect(m, lane.o, wiring.flipped(self.o))

        n, mults = self._length, self._lane.multipliers
        width = self._lane.fmt.width
        total = math.ceil(n / mults)
        beat = Signal(max(1, bits_for(total - 1)))
        last = Signal()
        count = pre.o.payload.count
        m.d.comb += last.eq((beat + 1) * mults >= count)

        def beat_words(side):
            words = []
            for k in range(total):
                elems = [pre.o.payload[side][k * mults + j] if k * mults + j < n
                         else Const(0, width)
                         for j in range(mults)]
                words.append(Cat(*elems))
            return Array(words)

        m.d.comb += [
            lane.i.valid.eq(pre.o.valid),
            lane.i.payload.a.eq(beat_words("a")[beat]),
            lane.i.payload.b.eq(beat_words("b")[beat]),
            lane.i.payload.last.eq(last),
            pre.o.ready.eq(lane.i.ready & last),
        ]
        with m.If(lane.i.valid & lane.i.ready):
            m.d.sync += beat.eq(Mux(last, 0, beat + 1))
        return m


def _facts(unit):
    return {"latency_cycles": unit.latency, "multipliers": unit.multipliers,
            "dense_beats_per_dot_product": math.ceil(unit.length / unit.multipliers),
            "beats_per_dot_product": "max(1, ceil(effectual pairs / multipliers))"}


BLOCK = Block(
    name="sparse-mac",
    summary="pre-compute sparsity → MAC lane; cycles scale with effectual pairs "
            "(AccelTran §III-B6)",
    component=SparseMac,
    params=(
        replace(LENGTH, help="vector length n of a dot product"),
        Param("multipliers", int, 4, "multipliers M of the MAC lane, a power of two",
              low=1, high=MAX_MULTIPLIERS, power_of_two=True),
        *format_params(4, 16, " of the operands"),
        Param("rounding", str, "half-even", "rounding of the accumulator to the output",
              ROUNDINGS),
        Param("overflow", str, "saturate", "overflow at the accumulator and the output",
              OVERFLOWS),
        Param("acc_width", int, None, "accumulator bits (default 2·(il+fl))", optional=True),
    ),
    constraints=(format_width(MAX_OPERAND_WIDTH, "the MAC lane"),
                 accumulator_width(MAX_ACC_WIDTH)),
    toplevel="sparse_mac",
    testbench="tilewright.cosim.tb_sparse_mac",
    facts=_facts,
    stimulus="sparsity_cycles",
)
