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

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from tilewright.blocks import Block, Param
from tilewright.fixedpoint import FixedFormat, check_int

__all__ = ["PreSparsity", "compact", "equals", "check_length", "check_format"]

MAX_LENGTH = 64
MAX_WIDTH = 24


def check_length(length):
    return check_int("length", length, 1, MAX_LENGTH)


def check_format(il, fl, what):
    fmt = FixedFormat(il, fl)
    if fmt.width > MAX_WIDTH:
        raise ValueError(f"il + fl must be from 2 to {MAX_WIDTH} bits for {what}, "
                         f"not {fmt.width!r}")
    return fmt


def equals(value, k):
    """``value == k``; for ``k = 0`` spelt ``~value.any()``, because Amaranth writes
    ``value == 0`` as a logical not that Verilator's -Wall flags (WIDTHTRUNC)."""
    return ~value.any() if k == 0 else value == k


def compact(m, values, keep, name):
    """Zero-collapsing shifter: ``values[j]`` with ``keep[j]`` set move, in order, to the
    front; the other outputs are 0. Returns the list of outputs (same length)."""
    n = len(values)
    prefix = [Const(0, bits_for(n))]
    for j in range(n - 1):
        count = Signal(bits_for(n), name=f"{name}_prefix{j + 1}")
        m.d.comb += count.eq(prefix[j] + keep[j])
        prefix.append(count)
    outputs = []
    for i in range(n):
        picks = [Mux(keep[j] & equals(prefix[j], i) if j else keep[0], values[j], 0)
                 for j in range(i, n)]
        out = Signal(len(values[0]), name=f"{name}{i}")
        acc = picks[0]
        for pick in picks[1:]:
            acc = acc | pick
        m.d.comb += out.eq(acc)
        outputs.append(out)
    return outputs


class PreSparsity(wiring.Component):
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

    def __init__(self, *, length=16, il=4, fl=16):
        check_length(length)
        self._length = length
        self._fmt = check_format(il, fl, "the pre-compute sparsity module")
        super().__init__({
            "i": In(stream.Signature(self.input_layout(length, self._fmt.width))),
            "o": Out(stream.Signature(self.output_layout(length, self._fmt.width))),
        })

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

        with m.If(advance):
            m.d.sync += self.o.valid.eq(self.i.valid)
            with m.If(self.i.valid):
                for side in ("a", "b"):
                    m.d.sync += [self.o.payload[side][j].eq(v.as_signed())
                                 for j, v in enumerate(results[side])]
                m.d.sync += [self.o.payload.mask.eq(~common), self.o.payload.count.eq(count)]
        return m


def _facts(unit):
    return {"latency_cycles": unit.latency, "vector_pairs_per_cycle": 1,
            "input_payload_bits": PreSparsity.input_layout(unit.length, unit.fmt.width).size}


BLOCK = Block(
    name="pre-sparsity",
    summary="pre-compute sparsity: mask AND, XOR filters, filter, zero-collapsing shifter "
            "(AccelTran §III-B6)",
    component=PreSparsity,
    params=(
        Param("length", int, 16, "vector length n"),
        Param("il", int, 4, "integer bits of the data, sign included"),
        Param("fl", int, 16, "fraction bits of the data"),
    ),
    toplevel="pre_sparsity",
    testbench="tilewright.cosim.tb_pre_sparsity",
    facts=_facts,
    stimulus="vector_throughput",
)
