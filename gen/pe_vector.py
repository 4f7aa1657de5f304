"""A PE's softmax or layer-norm unit behind a row sequencer: executes SOFTMAX or LAYERNORM
(AccelTran §III-B, Fig. 5; TReX §VI-A; :mod:`tilewright.isa`).

The sequencer streams each of the ``x`` rows of ``n`` words (``n`` the unit's length; the
instruction's ``y`` must equal it and is not read) from the buffer into the unit, row
``i`` word ``k`` at ``a + i·r + k`` (row stride ``r = z``, or ``n`` when ``z`` is 0;
LAYERNORM: with ``γ`` at ``b + k`` and ``β`` at ``c + k``), and writes the unit's outputs
at ``o + i·so + k`` (through a DynaTran comparator with the PRUNE flag,
:func:`~tilewright.gen.instruction.write_result`). Reads run one word per cycle
while the unit takes input; a read waits in place (the buffer's read enable) while the
unit is busy with a row, so the next row enters on the first cycle it can.

Cycles from the edge taking the instruction to the edge of its last write:
``x·V + 2`` with ``V`` the unit's cycles per vector (:meth:`VectorSlot.cycles`): the
first word enters the unit two edges after the instruction is taken (address, read);
rows follow each other every ``V`` cycles, and the last row's outputs end ``V - 2``
cycles after its first word entered.
"""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import wiring, stream
from amaranth.lib.wiring import In, Out

from tilewright.gen import hierarchy
from tilewright.gen.buffer import ADDRESS_BITS, read_port, write_port
from tilewright.gen.instruction import (COUNT_BITS, equals, field, flag, handshake, latch,
                                        write_result)
from tilewright.gen.layer_norm import LayerNorm
from tilewright.gen.softmax import Softmax
from tilewright.isa import WORD_BITS

__all__ = ["VectorSlot", "KINDS"]

KINDS = ("softmax", "layernorm")


class VectorSlot(wiring.Component):
    """A softmax unit (``out_fl = fl``) or a layer-norm unit over ``length`` words.

    Parameters
    ----------
    kind : str
        ``"softmax"`` or ``"layernorm"``.
    length : int
        The unit's vector length (softmax ``t``, layer-norm ``n``).
    il, fl : int
        Datapath format.

    Members
    -------
    cmd : In(stream.Signature(WORD_BITS))
    rd : Out(read_port(il + fl)).array(1 for softmax, 3 for layer norm)
    wr : Out(write_port(il + fl))
    finished : Out(COUNT_BITS)
        Instructions finished since reset.
    """

    def __init__(self, *, kind, length, il, fl):
        self._kind, self._length, self._il, self._fl = kind, length, il, fl
        width = il + fl
        super().__init__({"cmd": In(stream.Signature(WORD_BITS)),
                          "rd": Out(read_port(width)).array(1 if kind == "softmax" else 3),
                          "wr": Out(write_port(width)),
                          "finished": Out(COUNT_BITS)})

    @staticmethod
    def cycles(kind, x, length, il, fl):
        """Cycles of ``x`` rows from the edge taking the instruction to the edge of the last
        write: ``x·V + 2``."""
        if kind == "softmax":
            per_vector = Softmax.vector_cycles(length, fl)
        else:
            per_vector = LayerNorm.vector_cycles(length, il, fl)
        return x * per_vector + 2

    @staticmethod
    def parts(kind, length, il, fl):
        """The slot's block: ``{submodule: (block, parameters, module)}`` as
        :meth:`tilewright.gen.pe_lane.LaneSlot.parts`."""
        fmt = f"il{il}_fl{fl}"
        if kind == "softmax":
            return {"softmax": ("softmax", {"t": length, "il": il, "fl": fl, "out_fl": fl},
                                f"softmax_t{length}_{fmt}")}
        return {"layer_norm": ("layer-norm", {"n": length, "il": il, "fl": fl},
                               f"layer_norm_n{length}_{fmt}")}

    def _unit(self, m):
        ((submodule, (_, params, module)),) = self.parts(self._kind, self._length, self._il,
                                                         self._fl).items()
        component = Softmax if self._kind == "softmax" else LayerNorm
        return hierarchy.instance(m, submodule, module, component(**params))

    def elaborate(self, platform):
        m = Module()
        n = self._length
        word = self.cmd.payload
        unit = self._unit(m)

        finishing = Signal()
        start, finished = handshake(m, self.cmd, finishing)
        m.d.comb += self.finished.eq(finished)
        b, c, x, z, so, flags, tau = latch(m, word, start, "b", "c", "x", "z", "so", "flags",
                                           "n")

        # reads: address stage, then the latency-1 read held while the unit waits
        issuing, in_valid = Signal(), Signal()
        i, k = Signal(12), Signal(range(n))
        row = Signal(ADDRESS_BITS)
        advance = ~in_valid | unit.i.ready
        offsets = (row, b, c)
        for port, base in zip(self.rd, offsets):
            m.d.comb += [port.addr.eq(base + k), port.en.eq(advance)]
        with m.If(advance):
            m.d.sync += in_valid.eq(issuing)
        with m.If(start):
            m.d.sync += [issuing.eq(1), i.eq(0), k.eq(0), row.eq(field(word, "a"))]
        with m.Elif(advance & issuing):
            m.d.sync += k.eq(k + 1)
            with m.If(k == n - 1):
                m.d.sync += [k.eq(0), i.eq(i + 1), row.eq(row + Mux(equals(z, 0), n, z))]
                with m.If(i == x - 1):
                    m.d.sync += issuing.eq(0)
        result = Signal(signed(self._il + self._fl))
        m.d.comb += unit.i.valid.eq(in_valid)
        if self._kind == "softmax":
            m.d.comb += [unit.i.payload[0].eq(self.rd[0].data),
                         result.eq(unit.o.payload[0])]
        else:
            m.d.comb += [unit.i.payload.x.eq(self.rd[0].data),
                         unit.i.payload.gamma.eq(self.rd[1].data),
                         unit.i.payload.beta.eq(self.rd[2].data),
                         result.eq(unit.o.payload)]

        # writes
        oi, ok = Signal(12), Signal(range(n))
        obase = Signal(ADDRESS_BITS)
        m.d.comb += [unit.o.ready.eq(1),
                     finishing.eq(unit.o.valid & (oi == x - 1) & (ok == n - 1))]
        write_result(m, self.wr, obase + ok, result, unit.o.valid, flag(flags, "PRUNE"), tau,
                     self._il + self._fl)
        with m.If(start):
            m.d.sync += [oi.eq(0), ok.eq(0), obase.eq(field(word, "o"))]
        with m.Elif(unit.o.valid):
            m.d.sync += ok.eq(ok + 1)
            with m.If(ok == n - 1):
                m.d.sync += [ok.eq(0), oi.eq(oi + 1), obase.eq(obase + so)]
        return m
