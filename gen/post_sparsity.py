"""Post-compute sparsity module (AccelTran §III-B5 3), §III-B6): the inverse of the
pre-compute module.

Each input beat carries a zero-free result vector of ``length`` slots (effectual results
in order at the front; later slots ignored) and the dense mask (bit ``p`` = dense element
``p``, **1 = ineffectual**). The output is the dense vector: element ``p`` is the
``r``-th zero-free slot, ``r`` the number of effectual positions before ``p``, or 0 where
the mask bit is 1 (an expanding shifter: prefix counts and one-hot selection). One
registered stage: latency 1 cycle, one vector per cycle; back-pressure honoured.
"""

import operator
from functools import reduce

from amaranth.hdl import Mux, Signal, signed, unsigned
from amaranth.lib import data

from tilewright.gen.pre_sparsity import equals, prefix_counts
from tilewright.gen.sparsity_stage import SparsityStage, sparsity_block

__all__ = ["PostSparsity"]


class PostSparsity(SparsityStage):
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

    WHAT = "the post-compute sparsity module"

    @staticmethod
    def input_layout(length, width):
        return data.StructLayout({"data": data.ArrayLayout(signed(width), length),
                                  "mask": unsigned(length)})

    @staticmethod
    def output_layout(length, width):
        return data.StructLayout({"data": data.ArrayLayout(signed(width), length)})

    def datapath(self, m):
        n, p = self._length, self.i.payload
        eff = Signal(n)
        m.d.comb += eff.eq(~p.mask)
        rank = prefix_counts(m, [eff[q] for q in range(n)], "rank")
        dense = []
        for q in range(n):
            picks = ([Mux(equals(rank[q], j), p.data[j].as_unsigned(), 0) for j in range(q + 1)]
                     if q else [p.data[0].as_unsigned()])
            value = Signal(self._fmt.width, name=f"dense{q}")
            m.d.comb += value.eq(Mux(eff[q], reduce(operator.or_, picks), 0))
            dense.append(value)
        return [self.o.payload.data[q].eq(v.as_signed()) for q, v in enumerate(dense)]


BLOCK = sparsity_block(
    PostSparsity, "post-sparsity",
    "post-compute sparsity: re-expand zero-free results into the dense layout "
    "(AccelTran §III-B6)",
    rate="vectors_per_cycle")
