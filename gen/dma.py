"""The DMA engine: LOAD and STORE between main memory and the buffers (AccelTran §III-B,
Fig. 4; :mod:`tilewright.isa`).

Main-memory port (served by the testbench's memory model, or a memory controller):

- ``req`` (out): one request per transfer, ``addr`` (a word address, 24 bits),
  ``write`` and ``data`` (one word); LOAD sends ``n`` reads, STORE ``n`` writes, one per
  cycle while ``req.ready``.
- ``resp`` (in): one response per read, in request order, ``data`` one word; the DMA is
  always ready for it. The memory's latency ``L ≥ 1``: the response of a read taken at
  edge ``E`` may be valid from the cycle after edge ``E + L − 1``.

LOAD writes each response at ``o + k`` in the edge taking it; STORE reads the buffer at
``a + k`` (read latency 1) and holds the request while ``req`` is not ready. With the
memory always ready, from the edge taking the instruction to the edge of its last
transfer, LOAD takes ``n + L`` cycles and STORE ``n + 1`` (:meth:`Dma.load_cycles`,
:meth:`Dma.store_cycles`); the DMA takes its next instruction at that edge. ``n`` ≥ 1.
"""

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.gen.buffer import ADDRESS_BITS, read_port, write_port
from tilewright.gen.instruction import field, handshake, is_op, latch
from tilewright.isa import FIELDS, WORD_BITS

__all__ = ["Dma", "request_layout"]

MEMORY_BITS = FIELDS["mem"][1]


def request_layout(width):
    return data.StructLayout({"addr": MEMORY_BITS, "write": 1, "data": width})


class Dma(wiring.Component):
    """LOAD/STORE engine for words of ``width`` bits.

    Members
    -------
    cmd : In(stream.Signature(WORD_BITS))
        LOAD and STORE instructions; ``ready`` is the DMA's idle.
    req : Out(stream.Signature(request_layout(width)))
    resp : In(stream.Signature(unsigned(width)))
    rd : Out(read_port(width))
    wr : Out(write_port(width))
    """

    def __init__(self, *, width):
        super().__init__({"cmd": In(stream.Signature(WORD_BITS)),
                          "req": Out(stream.Signature(request_layout(width))),
                          "resp": In(stream.Signature(unsigned(width))),
                          "rd": Out(read_port(width)),
                          "wr": Out(write_port(width))})

    @staticmethod
    def load_cycles(n, latency):
        """LOAD of ``n`` words with a memory of latency ``latency``, always ready."""
        return n + latency

    @staticmethod
    def store_cycles(n):
        """STORE of ``n`` words to a memory always ready."""
        return n + 1

    def elaborate(self, platform):
        m = Module()
        word = self.cmd.payload
        finishing = Signal()
        _, start = handshake(m, self.cmd, finishing)
        (n,) = latch(m, word, start, "n")
        store = Signal()
        sending = Signal()              # requests left to send (LOAD) or read (STORE)
        sent = Signal(FIELDS["n"][1])
        mem = Signal(MEMORY_BITS)
        buf = Signal(ADDRESS_BITS)
        with m.If(start):
            m.d.sync += [store.eq(is_op(word, "STORE")), sending.eq(1), sent.eq(0),
                         mem.eq(field(word, "mem")),
                         buf.eq(Mux(is_op(word, "STORE"), field(word, "a"),
                                    field(word, "o")))]
        last_sent = sent == n - 1

        # LOAD: reads sent while ready; responses written in order at o + k
        received = Signal(FIELDS["n"][1])
        m.d.comb += [self.resp.ready.eq(1), self.wr.en.eq(self.resp.valid),
                     self.wr.addr.eq(buf + received), self.wr.data.eq(self.resp.payload)]
        with m.If(start):
            m.d.sync += received.eq(0)
        with m.Elif(self.resp.valid):
            m.d.sync += received.eq(received + 1)

        # STORE: the read, then the request held until taken
        held = Signal()
        held_addr, held_last = Signal(MEMORY_BITS), Signal()
        advance = ~held | self.req.ready
        m.d.comb += [self.rd.addr.eq(buf + sent), self.rd.en.eq(advance)]
        with m.If(store & advance):
            m.d.sync += [held.eq(sending), held_addr.eq(mem), held_last.eq(last_sent)]

        with m.If(store):
            m.d.comb += [self.req.valid.eq(held), self.req.payload.addr.eq(held_addr),
                         self.req.payload.write.eq(1), self.req.payload.data.eq(self.rd.data),
                         finishing.eq(held & self.req.ready & held_last)]
        with m.Else():
            m.d.comb += [self.req.valid.eq(sending), self.req.payload.addr.eq(mem),
                         finishing.eq(self.resp.valid & (received == n - 1))]
        stepping = Mux(store, advance, self.req.ready) & sending
        with m.If(~start & stepping):
            m.d.sync += [sent.eq(sent + 1), mem.eq(mem + 1)]
            with m.If(last_sent):
                m.d.sync += sending.eq(0)
        return m
