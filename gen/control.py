"""The control block: issues an instruction stream in order to idle units (AccelTran
§III-B, Fig. 4; :mod:`tilewright.isa`).

Each instruction is decoded by slicing the word (:data:`tilewright.isa.FIELDS`) and leaves
the control block in the cycle its unit takes it: a compute instruction goes to PE ``pe``,
whose ``cmd.ready`` says whether the unit named is idle; LOAD and STORE go to the DMA.
Issue adds no cycle: a unit idle in the cycle an instruction arrives takes it at that
cycle's edge. FENCE waits until the unit it names has finished its first ``n``
instructions (each unit counts them; PE ``pe`` compares for its units) and ``FENCE ALL``
until every unit and the DMA are idle; END waits as ``FENCE ALL``, then the control block
raises ``done`` and takes nothing further. An instruction or FENCE for a PE the top
lacks, or with an unknown opcode, is taken and ignored.

The control block knows of the units only what each PE reports (``idle``, ``fenced``),
the DMA's count, and the ``ready`` of the DMA and PE commands.
"""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.gen.instruction import COUNT_BITS, equals, field, is_op
from tilewright.gen.pe import Pe
from tilewright.isa import FENCE_KINDS, WORD_BITS

__all__ = ["Control"]

COMPUTE = ("MATMUL", "ADD", "SOFTMAX", "LAYERNORM", "PRUNE")


class Control(wiring.Component):
    """In-order issue of the instruction stream to ``pes`` PEs and the DMA.

    Members
    -------
    instr : In(stream.Signature(WORD_BITS))
    pe : Out(stream.Signature(WORD_BITS)).array(pes)
    pe_idle : In(Pe.idle_layout(lanes, softmax)).array(pes)
    pe_fenced : In(1).array(pes)
        Each PE's answer to the FENCE on ``pe[k].payload`` (:class:`~tilewright.gen.pe.Pe`).
    dma : Out(stream.Signature(WORD_BITS))
    dma_finished : In(COUNT_BITS)
    done : Out(1)
    """

    def __init__(self, *, pes, lanes, softmax):
        self._pes = pes
        super().__init__({"instr": In(stream.Signature(WORD_BITS)),
                          "pe": Out(stream.Signature(WORD_BITS)).array(pes),
                          "pe_idle": In(Pe.idle_layout(lanes, softmax)).array(pes),
                          "pe_fenced": In(1).array(pes),
                          "dma": Out(stream.Signature(WORD_BITS)),
                          "dma_finished": In(COUNT_BITS),
                          "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        word = self.instr.payload
        valid = Signal()        # an instruction, and the control block still running
        pe, kind = field(word, "pe"), field(word, "unit")

        all_idle = self.dma.ready
        pe_ready = 1            # the PE named takes it (or there is no such PE)
        fenced = 1              # the PE named has finished the unit's first n (or no PE)
        for k, (cmd, idle, done) in enumerate(zip(self.pe, self.pe_idle, self.pe_fenced)):
            all_idle = (all_idle & idle.lane.all() & idle.softmax.all() & idle.layernorm
                        & idle.dynatran)
            here = equals(pe, k)
            m.d.comb += [cmd.payload.eq(word),
                         cmd.valid.eq(valid & is_op(word, *COMPUTE) & here)]
            pe_ready = (here & cmd.ready) | (~here & pe_ready)
            fenced = (here & done) | (~here & fenced)
        quiet = Signal()        # every unit and the DMA idle
        fence_ok = Signal()
        m.d.comb += [
            quiet.eq(all_idle),
            fence_ok.eq(Mux(equals(kind, FENCE_KINDS["ALL"]), quiet,
                            Mux(equals(kind, FENCE_KINDS["DMA"]),
                                self.dma_finished >= field(word, "n"), fenced))),
            self.dma.payload.eq(word),
            self.dma.valid.eq(valid & is_op(word, "LOAD", "STORE")),
        ]

        with m.FSM():
            with m.State("RUN"):
                m.d.comb += valid.eq(self.instr.valid)
                with m.If(is_op(word, "LOAD", "STORE")):
                    m.d.comb += self.instr.ready.eq(self.dma.ready)
                with m.Elif(is_op(word, *COMPUTE)):
                    m.d.comb += self.instr.ready.eq(pe_ready)
                with m.Elif(is_op(word, "FENCE")):
                    m.d.comb += self.instr.ready.eq(fence_ok)
                with m.Elif(is_op(word, "END")):
                    m.d.comb += self.instr.ready.eq(quiet)
                    with m.If(valid & quiet):
                        m.next = "DONE"
                with m.Else():
                    m.d.comb += self.instr.ready.eq(1)
            with m.State("DONE"):
                m.d.comb += self.done.eq(1)
        return m
