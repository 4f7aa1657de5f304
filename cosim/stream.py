"""Drivers and monitors for ``amaranth.lib.stream`` ports on a Verilog top-level.

Amaranth flattens a stream member ``i`` into ``i__valid``, ``i__ready`` and ``i__payload``.
Both classes act once per clock: right after the rising edge they drive their outputs
(``valid``/``payload`` or ``ready``), then at ``ReadOnly`` they sample the handshake,
which takes effect at the next edge. Transfers are stamped with that edge's cycle number
(simulation time / clock period), so differences between stamps are exact cycle counts.
"""

import random
from collections import deque

from amaranth.hdl import Shape
from amaranth.lib import data
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

__all__ = ["pack", "unpack", "to_signed", "StreamDriver", "StreamMonitor"]


def pack(shape, value):
    """Flatten ``value`` (dict for structs, sequence for arrays, int for leaves) into the
    integer that the Verilog payload port carries, using the Amaranth layout ``shape``."""
    if isinstance(shape, data.Layout):
        word = 0
        for key, fld in shape:
            word |= pack(fld.shape, value[key]) << fld.offset
        return word
    return int(value) & ((1 << Shape.cast(shape).width) - 1)


def unpack(shape, word):
    """Inverse of :func:`pack`: dicts for structs, lists for arrays, ints (signed where the
    shape is) for leaves."""
    if isinstance(shape, data.StructLayout):
        return {key: unpack(fld.shape, word >> fld.offset) for key, fld in shape}
    if isinstance(shape, data.ArrayLayout):
        width = Shape.cast(shape.elem_shape).width
        return [unpack(shape.elem_shape, word >> (k * width)) for k in range(shape.length)]
    shape = Shape.cast(shape)
    word &= (1 << shape.width) - 1
    return to_signed(word, shape.width) if shape.signed else word


def to_signed(word, width):
    """Interpret the low ``width`` bits of ``word`` as two's complement."""
    word &= (1 << width) - 1
    return word - (1 << width) if word >> (width - 1) else word


def _cycle(period_ns):
    return round(get_sim_time("ns") / period_ns) + 1


class StreamDriver:
    """Sends words into a stream sink port of the DUT, with random valid gaps.

    Parameters
    ----------
    dut, prefix : the DUT handle and the port name (``"i"``).
    clk, period_ns : the clock and its period.
    rng : ``random.Random`` for the gaps; ``gap`` is the probability of idling a cycle.
    """

    def __init__(self, dut, prefix, clk, period_ns, rng=None, gap=0.0):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.clk, self.period = clk, period_ns
        self.rng, self.gap = rng or random.Random(0), gap
        self.queue = deque()
        self.sent = []          # cycle of each accepted word, in order
        self.valid.value = 0

    def append(self, word):
        self.queue.append(word)

    def idle(self):
        return not self.queue

    async def run(self):
        presenting = False
        while True:
            await RisingEdge(self.clk)
            if not presenting and self.queue and self.rng.random() >= self.gap:
                self.payload.value = self.queue[0]
                presenting = True
            self.valid.value = int(presenting)
            await ReadOnly()
            if presenting and self.ready.value:
                self.sent.append(_cycle(self.period))
                self.queue.popleft()
                presenting = False


class StreamMonitor:
    """Receives words from a stream source port of the DUT, with random back-pressure.

    ``stall`` is the probability of holding ``ready`` low in a cycle. Each transfer calls
    ``callback(word, cycle)`` and is kept in :attr:`received`.
    """

    def __init__(self, dut, prefix, clk, period_ns, rng=None, stall=0.0, callback=None):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.clk, self.period = clk, period_ns
        self.rng, self.stall = rng or random.Random(0), stall
        self.callback = callback
        self.received = []      # (word, cycle)
        self.ready.value = 0

    async def run(self):
        while True:
            await RisingEdge(self.clk)
            self.ready.value = int(self.rng.random() >= self.stall)
            await ReadOnly()
            if self.valid.value and self.ready.value:
                item = (int(self.payload.value), _cycle(self.period))
                self.received.append(item)
                if self.callback:
                    self.callback(*item)
