"""Streaming GeLU unit (AccelTran Table I, C-OP-9/10; GeLU as in AccelTran §III-B4).

``lanes`` copies of the combinational piecewise-linear :class:`tilewright.gen.gelu.GeluPWL`
(the one the MAC lane uses, same table) between an input stream and a registered output
stream: one beat of ``lanes`` values per cycle; the result is registered by the very edge
that accepts its beat (latency 0, counted as :class:`MacLane` counts it: from the
accepting edge to the edge after which the result is valid); back-pressure stalls the
register. The bit-exact model is :func:`tilewright.golden.gelu.gelu_pwl`.
"""

from amaranth.hdl import Module, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Param
from tilewright.fixedpoint import FixedFormat, check_int
from tilewright.gen.gelu import GeluPWL

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

    Latency 0 (:meth:`pipeline_latency`; one output register); throughput ``lanes``
    values per cycle; ``n`` values take ``⌈n/lanes⌉`` cycles at full rate
    (:meth:`stream_cycles`).

    Members
    -------
    i : In(stream.Signature(ArrayLayout(signed(il + fl), lanes)))
    o : Out(stream.Signature(ArrayLayout(signed(il + fl), lanes)))
    """

    def __init__(self, *, lanes=16, il=4, fl=16, gelu_segments=64):
        check_int("lanes", lanes, 1, MAX_LANES)
        fmt = FixedFormat(il, fl)
        if fmt.width > MAX_WIDTH:
            raise ValueError(f"il + fl must be from 2 to {MAX_WIDTH} bits for the GeLU unit, "
                             f"not {fmt.width!r}")
        GeluPWL.check_segments(gelu_segments)
        self._lanes, self._fmt, self._segments = lanes, fmt, gelu_segments
        layout = data.ArrayLayout(signed(fmt.width), lanes)
        super().__init__({"i": In(stream.Signature(layout)),
                          "o": Out(stream.Signature(layout))})

    @staticmethod
    def pipeline_latency():
        """Edges after the one accepting a beat until its result is valid: 0 (the accepting
        edge loads the output register)."""
        return 0

    @staticmethod
    def stream_cycles(n, lanes):
        """Cycles for ``n`` values at full rate: ``⌈n/lanes⌉`` beats plus the latency."""
        return -(-n // lanes) + GeluUnit.pipeline_latency()

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
    from tilewright.golden.gelu import gelu_error
    return {"latency_cycles": unit.latency, "values_per_cycle": unit.throughput,
            "gelu_error_vs_torch": gelu_error(unit.fmt, unit.segments)}


BLOCK = Block(
    name="gelu",
    summary="streaming piecewise-linear GeLU, lanes values per cycle (AccelTran Table I)",
    component=GeluUnit,
    params=(
        Param("lanes", int, 16, "values per beat, from 1 to 64"),
        Param("il", int, 4, "integer bits, sign included"),
        Param("fl", int, 16, "fraction bits"),
        Param("gelu_segments", int, 64, "chords of the approximation, a power of two"),
    ),
    toplevel="gelu_unit",
    testbench="tilewright.cosim.tb_gelu_unit",
    facts=_facts,
    stimulus="stream_throughput",
)
