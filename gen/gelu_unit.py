"""Streaming GeLU unit (AccelTran Table I, C-OP-9/10; GeLU as in AccelTran §III-B4).

``lanes`` copies of the combinational piecewise-linear :class:`tilewright.gen.gelu.GeluPWL`
(the one the MAC lane uses, same table) between an input stream and a registered output
stream: one beat of ``lanes`` values per cycle; the result is registered by the very edge
that accepts its beat, so it is first valid at the output at the next edge (latency 1,
counted as every block counts it: from the edge accepting the input to the edge where the
result is first valid at the output); back-pressure stalls the register. The bit-exact
model is :func:`tilewright.golden.gelu.gelu_pwl`.
"""

from amaranth.hdl import Module, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Param, format_params, format_width
from tilewright.fixedpoint import FixedFormat
from tilewright.gen.gelu import MAX_SEGMENTS, GeluPWL

__all__ = ["GeluUnit"]

MAX_LANES = 64
MAX_WIDTH = 24


class GeluUnit(wiring.Component):
    """``lanes`` piecewise-linear GeLUs on a stream.

    Parameters
    ----------
    lanes : int
        Values per beat, from 1 to 64.
    il, fl : int
        Format of inputs and outputs; ``il + fl`` from 2 to 24.
    gelu_segments : int
        Chords of the approximation, a power of two from 2 to 256 (see :class:`GeluPWL`).

    Latency 1 (:meth:`pipeline_latency`; one output register); throughput ``lanes``
    values per cycle; ``n`` values take ``⌈n/lanes⌉`` cycles at full rate, first input
    transfer to last output transfer (:meth:`stream_cycles`).

    Members
    -------
    i : In(stream.Signature(ArrayLayout(signed(il + fl), lanes)))
    o : Out(stream.Signature(ArrayLayout(signed(il + fl), lanes)))
    """

    def __init__(self, *, lanes=16, il=4, fl=16, gelu_segments=64):
        BLOCK.check(locals())
        fmt = FixedFormat(il, fl)
        self._lanes, self._fmt, self._segments = lanes, fmt, gelu_segments
        layout = data.ArrayLayout(signed(fmt.width), lanes)
        super().__init__({"i": In(stream.Signature(layout)),
                          "o": Out(stream.Signature(layout))})

    @staticmethod
    def pipeline_latency():
        """Cycles from the edge accepting a beat to the edge where its result is first
        valid at the output: 1 (the accepting edge loads the output register)."""
        return 1

    @staticmethod
    def stream_cycles(n, lanes):
        """Cycles for ``n`` values at full rate, from the first input transfer to the last
        output transfer: ``⌈n/lanes⌉ - 1`` beats after the first, plus the latency."""
        return -(-n // lanes) - 1 + GeluUnit.pipeline_latency()

    @property
    def lanes(self):
        return self._lanes

    @property
    def fmt(self):
        return self._fmt

    @property
    def segments(self):
        return self._segments

    @property
    def latency(self):
        return self.pipeline_latency()

    @property
    def throughput(self):
        """Values per cycle at full rate."""
        return self._lanes

    def elaborate(self, platform):
        m = Module()
        advance = ~self.o.valid | self.o.ready
        m.d.comb += self.i.ready.eq(advance)
        with m.If(advance):
            m.d.sync += self.o.valid.eq(self.i.valid)
        for k in range(self._lanes):
            m.submodules[f"gelu{k}"] = gelu = GeluPWL(self._fmt, self._segments)
            m.d.comb += gelu.x.eq(self.i.payload[k])
            with m.If(advance & self.i.valid):
                m.d.sync += self.o.payload[k].eq(gelu.y)
        return m


def _facts(unit):
    return {"latency_cycles": unit.latency, "values_per_cycle": unit.throughput}


BLOCK = Block(
    name="gelu",
    summary="streaming piecewise-linear GeLU, lanes values per cycle (AccelTran Table I)",
    component=GeluUnit,
    params=(
        Param("lanes", int, 16, "values per beat, from 1 to 64", low=1, high=MAX_LANES),
        *format_params(4, 16),
        Param("gelu_segments", int, 64, "chords of the approximation, a power of two",
              low=2, high=MAX_SEGMENTS, power_of_two=True),
    ),
    constraints=(format_width(MAX_WIDTH, "the GeLU unit"),),
    toplevel="gelu_unit",
    testbench="tilewright.cosim.tb_gelu_unit",
    facts=_facts,
    stimulus="stream_throughput",
)
