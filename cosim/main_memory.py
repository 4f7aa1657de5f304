"""Main-memory model for the top's DMA port (:mod:`tilewright.gen.dma`'s protocol), in
cocotb: takes requests on ``mem_req`` (holding ``ready`` low with probability ``stall``),
applies writes at the edge that takes them, and answers reads in order on ``mem_resp``
``latency`` cycles later (a read taken at edge ``E`` is valid from the cycle after edge
``E + latency − 1``); with ``rate`` below 1 it takes at most ``rate`` requests per cycle on
average (a credit of ``rate`` a cycle, kept up to ``1 + rate``, one spent per request: a
memory whose bandwidth is ``rate × beat`` words per cycle, deterministic). Words are held as signed values of the datapath's width, so that
the image compares directly with :class:`tilewright.golden.top.TopModel`'s.
"""

import random
from collections import deque

from cocotb.triggers import ReadOnly, RisingEdge

from tilewright.cosim.stream import pack, to_signed, unpack
from tilewright.gen.dma import request_layout, response_layout

__all__ = ["MainMemory"]


class MainMemory:
    """Main memory of ``len(words)`` words of ``width`` bits, ``beat`` words per transfer.

    Attributes
    ----------
    words : list of int
        The image (signed values); read it after the run.
    requests : list of (cycle, dict)
        Every request taken, with the number of the edge that took it.
    """

    def __init__(self, dut, clk, words, width, beat, *, latency=1, stall=0.0, rate=1.0,
                 rng=None):
        if latency < 1:
            raise ValueError(f"latency must be at least 1 cycle, not {latency!r}")
        if not 0 < rate <= 1:
            raise ValueError(f"rate must be a number in (0, 1], not {rate!r}")
        self.req_valid, self.req_ready = dut.mem_req__valid, dut.mem_req__ready
        self.req_payload = dut.mem_req__payload
        self.resp_valid, self.resp_ready = dut.mem_resp__valid, dut.mem_resp__ready
        self.resp_payload = dut.mem_resp__payload
        self.clk, self.width, self.beat = clk, width, beat
        self.request, self.response = request_layout(width, beat), response_layout(width, beat)
        self.words = [int(w) for w in words]
        self.latency, self.stall, self.rng = latency, stall, rng or random.Random(0)
        self.rate, self.credit = rate, 1.0
        self.requests = []
        self.resp_valid.value = 0
        self.req_ready.value = 0

    def _read(self, addr, strobe):
        mask = (1 << self.width) - 1
        return [self.words[addr + t] & mask if strobe >> t & 1 else 0 for t in range(self.beat)]

    def _write(self, addr, strobe, data):
        for t in range(self.beat):
            if strobe >> t & 1:
                self.words[addr + t] = to_signed(data[t], self.width)

    async def run(self):
        edge = 0
        pending = deque()           # (edge after which the response is valid, words)
        while True:
            await RisingEdge(self.clk)
            edge += 1
            presenting = bool(pending) and pending[0][0] <= edge
            if presenting:
                self.resp_payload.value = pack(self.response, pending[0][1])
            self.resp_valid.value = int(presenting)
            self.credit = min(1.0 + self.rate, self.credit + self.rate)
            self.req_ready.value = int(self.credit >= 1.0
                                       and self.rng.random() >= self.stall)
            await ReadOnly()
            if presenting and self.resp_ready.value:
                pending.popleft()
            if self.req_valid.value and self.req_ready.value:
                self.credit -= 1.0
                req = unpack(self.request, int(self.req_payload.value))
                self.requests.append((edge + 1, req))
                if req["write"]:
                    self._write(req["addr"], req["strobe"], req["data"])
                else:
                    pending.append((edge + self.latency, self._read(req["addr"],
                                                                    req["strobe"])))
