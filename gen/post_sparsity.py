"""Post-compute sparsity module (AccelTran §III-B5 3), §III-B6): the inverse of the
pre-compute module.

Each input beat carries a zero-free result vector of ``length`` slots (effectual results
in order at the front; later slots ignored) and the dense mask (bit ``p`` = dense element
``p``, **1 = ineffectual**). The output is the dense vector: element ``p`` is the
``r``-th zero-free slot, ``r`` the number of effectual positions before ``p``, or 0 where
the mask bit is 1 (an expanding shifter: prefix counts and one-hot selection). One
registered stage: latency 1 cycle, one vector per cycle; back-pressure honoured.
"""

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from tilewright.blocks import Block, Param
from tilewright.gen.pre_sparsity import check_format, check_length, equals

__all__ = ["PostSparsity"]


class PostSparsity(wiring.Component):
    """Re-expands zero-free results into the dense layout given by the mask.

    Parameters
    ----------
    length : int
        Vector length n, 1 to 64.
    il, fl : int
        Data format; ``il + fl`` from 2 to 24 bits.

    Latency 1 cycle, throughput one vector per cycle.

    Members
    -------
    i : In(stream.Signature(input_layout))
        ``data``: zero-free vector; ``mask``: dense mask.
    o : Out(stream.Signature(output_layout))
        ``data``: dense vector.
    """

    def __init__(self, *, length=16, il=4, fl=16):
        check_length(length)
        self._length = length
        self._fmt = check_format(il, fl, "the post-compute sparsity module")
        super().__init__({
            "i": In(stream.Signature(self.input_layout(length, self._fmt.width))),
            "o": Out(stream.Signature(self.output_layout(length, self._fmt.width))),
        })

    @staticmethod
    def input_layout(length, width):
        return data.StructLayout({"data": data.ArrayLayout(signed(width), length),
                                  "mask": unsigned(length)})

    @staticmethod
    def output_layout(length, width):
        return data.StructLayout({"data": data.ArrayLayout(signed(width), length)})

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
        n, p = self._length, self.i.payload
        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]
        eff = Signal(n)
        m.d.comb += eff.eq(~p.mask)
        rank = [Const(0, bits_for(n))]
        for q in range(n - 1):
            r = Signal(bits_for(n), name=f"rank{q + 1}")
            m.d.comb += r.eq(rank[q] + eff[q])
            rank.append(r)
        dense = []
        for q in range(n):
            picks = ([Mux(equals(rank[q], j), p.data[j].as_unsigned(), 0) for j in range(q + 1)]
                     if q else [p.data[0].as_unsigned()])
            acc = picks[0]
            for pick in picks[1:]:
                acc = acc | pick
            value = Signal(self._fmt.width, name=f"dense{q}")
            m.d.comb += value.eq(Mux(eff[q], acc, 0))
            dense.append(value)
        with m.If(advance):
            m.d.sync += self.o.valid.eq(self.i.valid)
            with m.If(self.i.valid):
                m.d.sync += [self.o.payload.data[q].eq(v.as_signed())
                             for q, v in enumerate(dense)]
        return m


def _facts(unit):
    return {"latency_cycles": unit.latency, "vectors_per_cycle": 1,
            "input_payload_bits": PostSparsity.input_layout(unit.length, unit.fmt.width).size}


BLOCK = Block(
    name="post-sparsity",
    summary="post-compute sparsity: re-expand zero-free results into the dense layout "
            "(AccelTran §III-B6)",
    component=PostSparsity,
    params=(
        Param("length", int, 16, "vector length n"),
        Param("il", int, 4, "integer bits of the data, sign included"),
        Param("fl", int, 16, "fraction bits of the data"),
    ),
    toplevel="post_sparsity",
    testbench="tilewright.cosim.tb_post_sparsity",
    facts=_facts,
    stimulus="vector_throughput",
)
