"""What the pre- and post-compute sparsity modules (AccelTran §III-B6) share: the checks of
their parameters (vector length, data format), one registered stream stage with
back-pressure, and their catalogue entry.
"""

from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Param, check_params, format_params, format_width
from tilewright.fixedpoint import FixedFormat

__all__ = ["SparsityStage", "sparsity_block", "LENGTH"]

MAX_LENGTH = 64
MAX_WIDTH = 24
#: The vector length parameter (the sparse MAC's too).
LENGTH = Param("length", int, 16, "vector length n", low=1, high=MAX_LENGTH)
PARAMS = (LENGTH, *format_params(4, 16, " of the data"))


class SparsityStage(wiring.Component):
    """One registered stage from a stream ``i`` to a stream ``o`` over vectors of ``length``
    slots in an ``(il, fl)`` format: latency 1 cycle, one beat per cycle; back-pressure on
    ``o`` stalls ``i``.

    Subclasses give ``WHAT``, their name in error messages; the static methods
    ``input_layout(length, width)`` and ``output_layout(length, width)``; and
    ``datapath(m)``, which adds the combinational logic from ``self.i.payload`` to ``m`` and
    returns the assignments of ``self.o.payload`` that the stage registers.
    """

    def __init__(self, *, length=16, il=4, fl=16):
        check_params(PARAMS, locals(), self.constraints())
        self._length = length
        self._fmt = FixedFormat(il, fl)
        super().__init__({
            "i": In(stream.Signature(self.input_layout(length, self._fmt.width))),
            "o": Out(stream.Signature(self.output_layout(length, self._fmt.width))),
        })

    @classmethod
    def constraints(cls):
        return (format_width(MAX_WIDTH, cls.WHAT),)

    @property
    def length(self):
        return self._length

    @property
    def fmt(self):
        return self._fmt

    @property
    def latency(self):
        return 1

    def elaborate(self, platform):
        m = Module()
        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]
        outputs = self.datapath(m)
        with m.If(advance):
            m.d.sync += self.o.valid.eq(self.i.valid)
            with m.If(self.i.valid):
                m.d.sync += outputs
        return m


def sparsity_block(component, name, summary, rate):
    """The catalogue entry of a :class:`SparsityStage` ``component``; its facts give
    ``{rate: 1}`` (what it takes per cycle) besides latency and input width."""
    def facts(unit):
        return {"latency_cycles": unit.latency, rate: 1,
                "input_payload_bits": component.input_layout(unit.length,
                                                             unit.fmt.width).size}

    module = name.replace("-", "_")
    return Block(
        name=name,
        summary=summary,
        component=component,
        params=PARAMS,
        constraints=component.constraints(),
        toplevel=module,
        testbench=f"tilewright.cosim.tb_{module}",
        facts=facts,
        stimulus="vector_throughput",
    )
