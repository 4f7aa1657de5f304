"""The wiring of a stream-in, stream-out testbench (as in cocotb's examples): a driver on
``i`` and a monitor on ``o`` that feeds a scoreboard. Each testbench subclasses
:class:`StreamBench` with its reference model (what it tells the scoreboard to expect)
and its stimulus. The bench also reads cycle counts off the transfer stamps.
"""

import cocotb
from cocotb.triggers import RisingEdge

from tilewright.cosim.bench import PERIOD_NS, record, start
from tilewright.cosim.scoreboard import Scoreboard
from tilewright.cosim.stream import StreamDriver, StreamMonitor

__all__ = ["StreamBench", "random_gaps", "GAPS", "CORNER_GAPS"]

#: Probabilities of an idle input cycle (gap) and of back-pressure (stall) that a
#: random-stream test draws from.
GAPS = (0.0, 0.3, 0.6)
#: ``(gap, stall)`` of the corner-case tests.
CORNER_GAPS = (0.2, 0.2)


def random_gaps(rand):
    """``(gap, stall)`` of a random-stream test: each 0, 30 or 60 %, drawn from ``rand``."""
    return rand.choice(GAPS), rand.choice(GAPS)


class StreamBench:
    """A driver on ``i``, a monitor on ``o`` and a scoreboard.

    Parameters
    ----------
    dut : the DUT handle.
    name : the scoreboard's name in its messages.
    rand : ``random.Random`` of the test, for the gaps, the back-pressure and the stimulus.
    gap, stall : probabilities of idling ``i`` and of holding ``o``'s ready low in a cycle.

    Subclasses give ``decode(word)`` (an output word to the value the scoreboard compares)
    and may add drivers to :attr:`drivers` and raise ``timeout_cycles`` (how long
    :meth:`drain` waits).
    """

    timeout_cycles = 100_000

    def __init__(self, dut, name, rand, gap=0.0, stall=0.0):
        self.dut, self.rand, self.gap, self.stall = dut, rand, gap, stall
        self.board = Scoreboard(name, dut._log)
        self.driver = StreamDriver(dut, "i", dut.clk, PERIOD_NS, rand, gap)
        self.monitor = StreamMonitor(dut, "o", dut.clk, PERIOD_NS, rand, stall,
                                     callback=self.observe)
        self.drivers = [self.driver]

    @classmethod
    async def started(cls, dut, rand, gap=0.0, stall=0.0):
        """A bench, its clock running and its reset done."""
        bench = cls(dut, rand, gap, stall)
        await bench.start()
        return bench

    def observe(self, word, cycle):
        """The monitor's callback: hands the decoded word to the scoreboard."""
        self.board.observe(self.decode(word), cycle)

    async def start(self):
        await start(self.dut)
        for part in (*self.drivers, self.monitor):
            cocotb.start_soon(part.run())

    async def drain(self):
        """Wait until every driver is idle and every expected output was observed."""
        for _ in range(self.timeout_cycles):
            if all(d.idle() for d in self.drivers) and not self.board.expected:
                return
            await RisingEdge(self.dut.clk)
        raise AssertionError("timed out waiting for outputs")

    async def finish(self):
        """:meth:`drain`, then raise if any output differed from the reference model."""
        await self.drain()
        self.board.check()

    def span(self, first=0):
        """Cycles from the acceptance of input word ``first`` to the last output."""
        return self.monitor.received[-1][1] - self.driver.sent[first]

    def latencies(self):
        """The set of cycles from each input word's acceptance to its output (one output
        per input word)."""
        return {out - acc for acc, (_, out) in zip(self.driver.sent, self.monitor.received)}

    def check_vectors(self, length, count, cycles_per_vector, latency):
        """Check the timing of ``count`` vectors of ``length`` words sent back to back:
        consecutive vectors start ``cycles_per_vector`` apart, all of them take ``count``
        times that, and the first output comes ``latency`` cycles after the first vector's
        last word (transfer to transfer, docs/characterization.md). Returns the measured
        cycles."""
        sent = self.driver.sent
        starts = [sent[k * length] - sent[(k - 1) * length] for k in range(1, count)]
        assert starts == [cycles_per_vector] * (count - 1), (
            f"vectors started {starts} cycles apart, expected {cycles_per_vector}")
        measured = self.span()
        assert measured == count * cycles_per_vector, (
            f"{count} vectors took {measured} cycles, expected {count}·{cycles_per_vector}")
        first = self.monitor.received[0][1] - sent[length - 1]
        assert first == latency, f"latency {first} cycles, expected {latency}"
        return measured

    def record_random_stream(self, **counts):
        """Record ``random_stream``: ``counts`` of the stimulus, what the scoreboard
        compared and found different, and the gap and stall probabilities."""
        record("random_stream", {**counts, "compared": self.board.compared,
                                 "mismatches": len(self.board.mismatches), "gap": self.gap,
                                 "stall": self.stall})
