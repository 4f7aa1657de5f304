"""A PE's DynaTran module behind a sequencer: executes PRUNE (AccelTran §III-A, §III-B5,
Fig. 7; :mod:`tilewright.isa`).

The module (:class:`~tilewright.gen.dynatran.DynaTran`, ``threshold="input"``) prunes a
``1×w`` tile per cycle, ``w`` the PE's lane width M: the sequencer reads row ``i`` of the
``x × y`` block in beats of ``w`` words (``a + i·y + kw + t``; words past the row's end are
not read nor written), with ``τ = n``, and writes the kept values at ``o + i·so + kw + t``
and the mask bits (1 = pruned) at ``c + i·y + kw + t``.

Cycles from the edge taking the instruction to the edge of the last write:
``x·⌈y/w⌉ + 2`` (:meth:`PruneSlot.cycles`: address, read; the module's register is
written at the next edge).
"""

import math

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring, stream
from amaranth.lib.wiring import In, Out

from tilewright.gen import hierarchy
from tilewright.gen.buffer import ADDRESS_BITS, read_port, write_port
from tilewright.gen.dynatran import DynaTran
from tilewright.gen.instruction import field, handshake, latch
from tilewright.isa import WORD_BITS

__all__ = ["PruneSlot"]


class PruneSlot(wiring.Component):
    """DynaTran pruning ``width`` words per cycle.

    Parameters
    ----------
    width : int
        Words per beat (the PE's M).
    il, fl : int
        Datapath format.

    Members
    -------
    cmd : In(stream.Signature(WORD_BITS))
    rd : Out(read_port(il + fl)).array(width)
    wr : Out(write_port(il + fl)).array(width)
        The kept values.
    mask : Out(write_port(il + fl)).array(width)
        The mask bits, in bit 0.
    """

    def __init__(self, *, width, il, fl):
        self._width, self._il, self._fl = width, il, fl
        bits = il + fl
        super().__init__({"cmd": In(stream.Signature(WORD_BITS)),
                          "rd": Out(read_port(bits)).array(width),
                          "wr": Out(write_port(bits)).array(width),
                          "mask": Out(write_port(bits)).array(width)})

    @staticmethod
    def cycles(x, y, width):
        """``x·⌈y/width⌉ + 2`` cycles, the edge taking the instruction to the last write."""
        return x * math.ceil(y / width) + 2

    def elaborate(self, platform):
        m = Module()
        w, il, fl = self._width, self._il, self._fl
        word = self.cmd.payload
        unit = hierarchy.instance(m, "dynatran", f"dynatran_c{w}_il{il}_fl{fl}",
                                  DynaTran(batch=1, rows=1, cols=w, il=il, fl=fl))

        finishing = Signal()
        _, start = handshake(m, self.cmd, finishing)
        x, y, so, tau = latch(m, word, start, "x", "y", "so", "n")

        # address stage: beat koff of row i
        issuing = Signal()
        i, koff = Signal(12), Signal(13)
        row_a, row_c, row_o = (Signal(ADDRESS_BITS, name=n) for n in ("row_a", "row_c",
                                                                       "row_o"))
        last_beat = koff + w >= y
        with m.If(start):
            m.d.sync += [issuing.eq(1), i.eq(0), koff.eq(0), row_a.eq(field(word, "a")),
                         row_c.eq(field(word, "c")), row_o.eq(field(word, "o"))]
        with m.Elif(issuing):
            m.d.sync += koff.eq(koff + w)
            with m.If(last_beat):
                m.d.sync += [koff.eq(0), i.eq(i + 1), row_a.eq(row_a + y),
                             row_c.eq(row_c + y), row_o.eq(row_o + so)]
                with m.If(i == x - 1):
                    m.d.sync += issuing.eq(0)

        # read stage: the tile into the module, with where its words go
        inside = [Signal(name=f"inside{t}") for t in range(w)]
        m.d.comb += [inside[t].eq(issuing & (koff + t < y)) for t in range(w)]
        where_o, where_c = Signal(ADDRESS_BITS), Signal(ADDRESS_BITS)
        on = [Signal(name=f"on{t}") for t in range(w)]
        last = Signal()
        m.d.sync += [unit.i.valid.eq(issuing), where_o.eq(row_o + koff),
                     where_c.eq(row_c + koff), last.eq(issuing & last_beat & (i == x - 1))]
        m.d.sync += [q.eq(v) for q, v in zip(on, inside)]
        m.d.comb += unit.i.payload.tau.eq(tau)
        for t in range(w):
            m.d.comb += [self.rd[t].addr.eq(row_a + koff + t), self.rd[t].en.eq(inside[t]),
                         unit.i.payload.tile[t].eq(self.rd[t].data)]

        # write stage: the module's output register, one edge later
        put_o, put_c = Signal(ADDRESS_BITS), Signal(ADDRESS_BITS)
        on_q = [Signal(name=f"on{t}_q") for t in range(w)]
        done = Signal()
        m.d.sync += [put_o.eq(where_o), put_c.eq(where_c), done.eq(last)]
        m.d.sync += [q.eq(v) for q, v in zip(on_q, on)]
        m.d.comb += [unit.o.ready.eq(1), finishing.eq(unit.o.valid & done)]
        for t in range(w):
            m.d.comb += [self.wr[t].addr.eq(put_o + t), self.wr[t].data.eq(unit.o.payload.tile[t]),
                         self.wr[t].en.eq(unit.o.valid & on_q[t]),
                         self.mask[t].addr.eq(put_c + t), self.mask[t].data.eq(unit.o.payload.mask[t]),
                         self.mask[t].en.eq(unit.o.valid & on_q[t])]
        return m
