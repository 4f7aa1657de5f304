"""A PE's DynaTran module behind a sequencer: executes PRUNE (AccelTran §III-A, §III-B5,
Fig. 7; :mod:`tilewright.isa`).

The module (:class:`~tilewright.gen.dynatran.DynaTran`, ``threshold="input"``) prunes a
``1×w`` tile per cycle, ``w`` the PE's lane width M: the sequencer reads row ``i`` of the
``x × y`` block in beats of ``w`` words (``a + i·r + kw + t``, row stride ``r = z``, or
``y`` when ``z`` is 0; words past the row's end are neither read nor written), with
``τ = n`` (saturated to the module's ``il + fl`` bits, which prunes every value alike),
and writes the kept values at ``o + i·so + kw + t`` marking their mask bits.

Cycles from the edge taking the instruction to the edge of the last write:
``x·⌈y/w⌉ + 2`` (:meth:`PruneSlot.cycles`: address, read; the module's register is
written at the next edge).
"""

import math

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring, stream
from amaranth.lib.wiring import In, Out

from tilewright.gen import hierarchy
from tilewright.gen.buffer import ADDRESS_BITS, read_port, write_port
from tilewright.gen.dynatran import DynaTran
from tilewright.gen.instruction import COUNT_BITS, equals, field, handshake, latch
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
        The kept values, with their mask bits.
    finished : Out(COUNT_BITS)
        Instructions finished since reset.
    """

    def __init__(self, *, width, il, fl):
        self._width, self._il, self._fl = width, il, fl
        bits = il + fl
        super().__init__({"cmd": In(stream.Signature(WORD_BITS)),
                          "rd": Out(read_port(bits)).array(width),
                          "wr": Out(write_port(bits)).array(width),
                          "finished": Out(COUNT_BITS)})

    @staticmethod
    def cycles(x, y, width):
        """``x·⌈y/width⌉ + 2`` cycles, the edge taking the instruction to the last write."""
        return x * math.ceil(y / width) + 2

    @staticmethod
    def parts(width, il, fl):
        """The slot's block: ``{submodule: (block, parameters, module)}`` as
        :meth:`tilewright.gen.pe_lane.LaneSlot.parts`."""
        return {"dynatran": ("dynatran", {"batch": 1, "rows": 1, "cols": width, "il": il,
                                          "fl": fl}, f"dynatran_c{width}_il{il}_fl{fl}")}

    def elaborate(self, platform):
        m = Module()
        w, il, fl = self._width, self._il, self._fl
        word = self.cmd.payload
        _, params, module = self.parts(w, il, fl)["dynatran"]
        unit = hierarchy.instance(m, "dynatran", module, DynaTran(**params))

        finishing = Signal()
        start, finished = handshake(m, self.cmd, finishing)
        m.d.comb += self.finished.eq(finished)
        x, y, z, so, tau = latch(m, word, start, "x", "y", "z", "so", "n")

        # address stage: beat koff of row i
        issuing = Signal()
        i, koff = Signal(12), Signal(13)
        row_a, row_o = Signal(ADDRESS_BITS), Signal(ADDRESS_BITS)
        last_beat = koff + w >= y
        with m.If(start):
            m.d.sync += [issuing.eq(1), i.eq(0), koff.eq(0), row_a.eq(field(word, "a")),
                         row_o.eq(field(word, "o"))]
        with m.Elif(issuing):
            m.d.sync += koff.eq(koff + w)
            with m.If(last_beat):
                m.d.sync += [koff.eq(0), i.eq(i + 1), row_a.eq(row_a + Mux(equals(z, 0), y, z)),
                             row_o.eq(row_o + so)]
                with m.If(i == x - 1):
                    m.d.sync += issuing.eq(0)

        # read stage: the tile into the module, with where its words go
        inside = [Signal(name=f"inside{t}") for t in range(w)]
        m.d.comb += [inside[t].eq(issuing & (koff + t < y)) for t in range(w)]
        where = Signal(ADDRESS_BITS)
        on = [Signal(name=f"on{t}") for t in range(w)]
        last = Signal()
        m.d.sync += [unit.i.valid.eq(issuing), where.eq(row_o + koff),
                     last.eq(issuing & last_beat & (i == x - 1))]
        m.d.sync += [q.eq(v) for q, v in zip(on, inside)]
        top = (1 << (il + fl)) - 1
        m.d.comb += unit.i.payload.tau.eq(Mux(tau > top, top, tau) if top < (1 << len(tau)) - 1
                                          else tau)
        for t in range(w):
            m.d.comb += [self.rd[t].addr.eq(row_a + koff + t), self.rd[t].en.eq(inside[t]),
                         unit.i.payload.tile[t].eq(self.rd[t].data)]

        # write stage: the module's output register, one edge later
        put = Signal(ADDRESS_BITS)
        on_q = [Signal(name=f"on{t}_q") for t in range(w)]
        done = Signal()
        m.d.sync += [put.eq(where), done.eq(last)]
        m.d.sync += [q.eq(v) for q, v in zip(on_q, on)]
        m.d.comb += [unit.o.ready.eq(1), finishing.eq(unit.o.valid & done)]
        for t, port in enumerate(self.wr):
            m.d.comb += [port.addr.eq(put + t), port.data.eq(unit.o.payload.tile[t]),
                         port.en.eq(unit.o.valid & on_q[t]), port.mark.eq(1),
                         port.mask.eq(unit.o.payload.mask[t])]
        return m
