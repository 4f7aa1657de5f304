"""The DMA engine: LOAD and STORE between main memory and the buffers, ``W`` words per beat
(AccelTran §III-B, Fig. 4; :mod:`tilewright.isa`'s timing contract: the DMA's bandwidth is
a parameter, so that it can match main memory's).

Main-memory port (served by the testbench's memory model, or a memory controller):

- ``req`` (out): one request per beat, ``addr`` (the word address of the beat's first
  word, 24 bits), ``write``, ``strobe`` (bit ``t``: word ``addr + t`` is part of the
  transfer; the last beat of a transfer may be partial) and ``data`` (``W`` words); one
  request per cycle while ``req.ready``.
- ``resp`` (in): one response per read request, in request order, ``W`` words (words
  outside the strobe are don't-care); the DMA is always ready for it. The memory's
  latency ``L ≥ 1``: the response of a read taken at edge ``E`` may be valid from the
  cycle after edge ``E + L − 1``.

LOAD writes each response's words at ``o + k`` in the edge taking it (not marking mask
bits); STORE reads ``W`` words of the buffer per cycle from ``a`` (read latency 1) and holds
a request while ``req`` is not ready. With the memory always ready, from the edge taking the
instruction to the edge of its last transfer, LOAD takes ``⌈n/W⌉ + L`` cycles and STORE
``⌈n/W⌉ + 1`` (:meth:`Dma.load_cycles`, :meth:`Dma.store_cycles`); the DMA takes its next
instruction at that edge. ``n`` ≥ 1.
"""

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.gen.buffer import ADDRESS_BITS, read_port, write_port
from tilewright.gen.instruction import COUNT_BITS, field, handshake, is_op, latch
from tilewright.isa import FIELDS, WORD_BITS

__all__ = ["Dma", "request_layout", "response_layout"]

MEMORY_BITS = FIELDS["mem"][1]


def request_layout(width, words):
    return data.StructLayout({"addr": MEMORY_BITS, "write": 1, "strobe": words,
                              "data": data.ArrayLayout(unsigned(width), words)})


def response_layout(width, words):
    return data.ArrayLayout(unsigned(width), words)


class Dma(wiring.Component):
    """LOAD/STORE engine moving ``words`` words of ``width`` bits per beat.

    Members
    -------
    cmd : In(stream.Signature(WORD_BITS))
        LOAD and STORE instructions; ``ready`` is the DMA's idle.
    req : Out(stream.Signature(request_layout(width, words)))
    resp : In(stream.Signature(response_layout(width, words)))
    rd : Out(read_port(width)).array(words)
    wr : Out(write_port(width)).array(words)
    finished : Out(COUNT_BITS)
        Instructions finished since reset.
    """

    def __init__(self, *, width, words):
        self._words = words
        super().__init__({"cmd": In(stream.Signature(WORD_BITS)),
                          "req": Out(stream.Signature(request_layout(width, words))),
                          "resp": In(stream.Signature(response_layout(width, words))),
                          "rd": Out(read_port(width)).array(words),
                          "wr": Out(write_port(width)).array(words),
                          "finished": Out(COUNT_BITS)})

    @staticmethod
    def load_cycles(n, words, latency):
        """LOAD of ``n`` words, ``words`` per beat, from a memory of latency ``latency``
        that is always ready."""
        return -(-n // words) + latency

    @staticmethod
    def store_cycles(n, words):
        """STORE of ``n`` words, ``words`` per beat, to a memory always ready."""
        return -(-n // words) + 1

    def elaborate(self, platform):
        m = Module()
        w = self._words
        word = self.cmd.payload
        finishing = Signal()
        start, finished = handshake(m, self.cmd, finishing)
        m.d.comb += self.finished.eq(finished)
        store = Signal()
        sending = Signal()                          # beats left to send
        left, got = Signal(COUNT_BITS + 1), Signal(COUNT_BITS + 1)   # words not yet sent, received
        mem, buf = Signal(MEMORY_BITS), Signal(ADDRESS_BITS)
        (n,) = latch(m, word, start, "n")
        strobe = Signal(w)
        m.d.comb += strobe.eq(Cat(*(left > t for t in range(w))))

        # LOAD: responses written in order
        m.d.comb += self.resp.ready.eq(1)
        for t, port in enumerate(self.wr):
            m.d.comb += [port.addr.eq(buf + t), port.data.eq(self.resp.payload[t]),
                         port.en.eq(self.resp.valid & (got + t < n))]
        with m.If(self.resp.valid):
            m.d.sync += [got.eq(got + w), buf.eq(buf + w)]

        # STORE: the read, then the request held until taken
        held = Signal()
        held_addr, held_strobe, held_last = Signal(MEMORY_BITS), Signal(w), Signal()
        advance = ~held | self.req.ready
        for t, port in enumerate(self.rd):
            m.d.comb += [port.addr.eq(buf + t), port.en.eq(advance)]
        with m.If(store & advance):
            m.d.sync += [held.eq(sending), held_addr.eq(mem), held_strobe.eq(strobe),
                         held_last.eq(left <= w)]

        with m.If(store):
            m.d.comb += [self.req.valid.eq(held), self.req.payload.addr.eq(held_addr),
                         self.req.payload.write.eq(1), self.req.payload.strobe.eq(held_strobe),
                         finishing.eq(held & self.req.ready & held_last)]
            m.d.comb += [self.req.payload.data[t].eq(port.data)
                         for t, port in enumerate(self.rd)]
        with m.Else():
            m.d.comb += [self.req.valid.eq(sending), self.req.payload.addr.eq(mem),
                         self.req.payload.strobe.eq(strobe),
                         finishing.eq(self.resp.valid & (got + w >= n))]
        with m.If(Mux(store, advance, self.req.ready) & sending):
            m.d.sync += [left.eq(left - w), mem.eq(mem + w)]
            with m.If(store):
                m.d.sync += buf.eq(buf + w)
            with m.If(left <= w):
                m.d.sync += sending.eq(0)
        with m.If(start):         # after the steps above: a new instruction restarts them
            m.d.sync += [store.eq(is_op(word, "STORE")), sending.eq(1),
                         left.eq(field(word, "n")), got.eq(0), mem.eq(field(word, "mem")),
                         buf.eq(Mux(is_op(word, "STORE"), field(word, "a"), field(word, "o")))]
        return m
