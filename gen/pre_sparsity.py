"""Pre-compute sparsity module (AccelTran §III-B6, Fig. 8).

Each input beat carries a zero-free activation vector ``a`` and weight vector ``b`` of
``length`` slots (the effectual elements of a dense vector, in order, at the front; slots
after them are ignored) with their dense binary masks (bit ``p`` = dense element ``p``,
**1 = ineffectual**). In Fig. 8's order the module

1. ANDs the effectual bits, ``common = ~a_mask & ~b_mask`` (the output mask is
   ``~common``: 1 where either operand is ineffectual);
2. forms the two XOR filter masks ``~a_mask ^ common`` and ``~b_mask ^ common`` (elements
   effectual in one vector only);
3. filters: each zero-free slot whose dense position is set in its filter mask is dropped
   (the filter mask is first collapsed onto the zero-free slots of its vector);
4. zero-collapses the surviving elements to the front with a shifter (prefix counts and
   one-hot selection), zeros after them,

and outputs the effectual operand pairs, the output mask and their ``count``. One
registered stage: latency 1 cycle, one vector pair per cycle; back-pressure on ``o``
stalls ``i``.
"""

import operator
from functools import reduce

from amaranth.hdl import Cat, Const, Mux, Signal, signed, unsigned
from amaranth.lib import data
from amaranth.utils import bits_for

from tilewright.gen.sparsity_stage import SparsityStage, sparsity_block

__all__ = ["PreSparsity", "compact", "equals", "prefix_counts"]


def equals(value, k):
    """``value == k``; for ``k = 0`` spelt ``~value.any()``, because Amaranth writes
    ``value == 0`` as a logical not that Verilator's -Wall flags (WIDTHTRUNC)."""
    return ~value.any() if k == 0 else value == k


def prefix_counts(m, bits, name):
    """Running counts of ``bits``: entry ``j`` is how many of ``bits[:j]`` are set (entry 0
    the constant 0, entry ``j ≥ 1`` a signal ``{name}{j}``)."""
    n = len(bits)
    counts = [Const(0, bits_for(n))]
    for j in range(n - 1):
        count = Signal(bits_for(n), name=f"{name}{j + 1}")
        m.d.comb += count.eq(counts[j] + bits[j])
        counts.append(count)
    return counts


def compact(m, values, keep, name):
    """Zero-collapsing shifter: ``values[j]`` with ``keep[j]`` set move, in order, to the
    front; the other outputs are 0. Returns the list of outputs (same length)."""
    n = len(values)
    prefix = prefix_counts(m, keep, f"{name}_prefix")
    outputs = []
    for i in range(n):
        picks = [Mux(keep[j] & equals(prefix[j], i) if j else keep[0], values[j], 0)
                 for j in range(i, n)]
        out = Signal(len(values[0]), name=f"{name}{i}")
        m.d.comb += out.eq(reduce(operator.or_, picks))    # one-hot: the OR selects
        outputs.append(out)
    return outputs


class PreSparsity(SparsityStage):
    """Mask AND, XOR filter masks, filter and zero-collapsing shifter (Fig. 8).

    Parameters
    ----------
    length : int
        Vector length n, 1 to 64.
    il, fl : int
        Data format; ``il + fl`` from 2 to 24 bits.

    Latency 1 cycle, throughput one vector pair per cycle.

    Members
    -------
    i : In(stream.Signature(input_layout))
        ``a``, ``b``: zero-free vectors; ``a_mask``, ``b_mask``: dense masks.
    o : Out(stream.Signature(output_layout))
        ``a``, ``b``: effectual pairs at the front; ``mask``: output mask; ``count``.
    """

    WHAT = "the pre-compute sparsity module"

    @staticmethod
    def input_layout(length, width):
        return data.StructLayout({
            "a": data.ArrayLayout(signed(width), length), "a_mask": unsigned(length),
            "b": data.ArrayLayout(signed(width), length), "b_mask": unsigned(length),
        })

    @staticmethod
    def output_layout(length, width):
        return data.StructLayout({
            "a": data.ArrayLayout(signed(width), length),
            "b": data.ArrayLayout(signed(width), length),
            "mask": unsigned(length), "count": unsigned(bits_for(length)),
        })

    def datapath(self, m):
        n, p = self._length, self.i.payload
        eff_a, eff_b, common = Signal(n), Signal(n), Signal(n)
        filt_a, filt_b = Signal(n), Signal(n)
        m.d.comb += [eff_a.eq(~p.a_mask), eff_b.eq(~p.b_mask),
                     common.eq(eff_a & eff_b),                      # AND
                     filt_a.eq(eff_a ^ common), filt_b.eq(eff_b ^ common)]   # XOR filters
        results = {}
        for side, eff, filt in (("a", eff_a, filt_a), ("b", eff_b, filt_b)):
            # collapse (filter bit, slot used) onto the zero-free slots of this vector
            slots = compact(m, [Cat(filt[j], Const(1, 1)) for j in range(n)],
                            [eff[j] for j in range(n)], f"{side}_slot")
            keep = [s[1] & ~s[0] for s in slots]                       # filter
            values = [p[side][j] for j in range(n)]
            results[side] = compact(m, values, keep, f"{side}_eff")   # shifter
        count = Signal(bits_for(n))
        m.d.comb += count.eq(sum(common[j] for j in range(n)))

        return ([self.o.payload[side][j].eq(v.as_signed())
                 for side in ("a", "b") for j, v in enumerate(results[side])]
                + [self.o.payload.mask.eq(~common), self.o.payload.count.eq(count)])


BLOCK = sparsity_block(
    PreSparsity, "pre-sparsity",
    "pre-compute sparsity: mask AND, XOR filters, filter, zero-collapsing shifter "
    "(AccelTran §III-B6)",
    rate="vector_pairs_per_cycle")
