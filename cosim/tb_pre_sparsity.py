"""cocotb testbench of the pre-compute sparsity module (AccelTran Fig. 8).

Tests
-----
- ``random_stream``: random dense vectors and masks at sparsities 0 %, 50 %, 90 %, 100 %
  and random, compressed to zero-free form with junk in the unused slots (which the
  module must ignore); random valid gaps and ready back-pressure.
- ``corners``: all-zero and all-one masks on either side, disjoint masks, extremes.
- ``vector_throughput``: vector pairs at full rate; asserts one pair per cycle and the
  latency from the simulation stamps.
"""

import cocotb
import torch

from tilewright.cosim.bench import PERIOD_NS, params, record, rng, start, stimulus_kind
from tilewright.cosim.scoreboard import Scoreboard
from tilewright.cosim.stream import StreamDriver, StreamMonitor, pack
from tilewright.cosim.tb_dynatran import drain, unpack
from tilewright.gen.pre_sparsity import PreSparsity
from tilewright.golden.dynatran import mask_bits
from tilewright.golden.sparsity import compress, pre_sparsity

SPARSITIES = (0.0, 0.5, 0.9, 1.0, None)


def random_vector(rand, fmt, n):
    extremes = [fmt.min_int, fmt.max_int, -1, 1]
    return torch.tensor([rand.choice(extremes) if rand.random() < 0.2
                         else rand.randint(fmt.min_int, fmt.max_int) for _ in range(n)],
                        dtype=torch.int64)


def random_mask(rand, n, rho):
    """A mask (True = ineffectual) with ``round(rho·n)`` bits set, or random if ``None``."""
    if rho is None:
        return torch.tensor([rand.random() < 0.5 for _ in range(n)])
    ones = set(rand.sample(range(n), round(rho * n)))
    return torch.tensor([k in ones for k in range(n)])


def zero_free(rand, fmt, dense, mask):
    """Compressed vector with random junk in the slots after the effectual elements."""
    zf = compress(dense, mask)
    count = int((~mask).sum())
    zf[count:] = random_vector(rand, fmt, len(mask))[count:]
    return zf


class PreSparsityBench:
    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        self.unit = PreSparsity(**params())
        n, width = self.unit.length, self.unit.fmt.width
        self.in_layout = PreSparsity.input_layout(n, width)
        out_layout = PreSparsity.output_layout(n, width)
        self.board = Scoreboard("pre_sparsity", dut._log)
        self.driver = StreamDriver(dut, "i", dut.clk, PERIOD_NS, rand, gap)
        self.monitor = StreamMonitor(
            dut, "o", dut.clk, PERIOD_NS, rand, stall,
            callback=lambda word, cycle: self.board.observe(unpack(out_layout, word), cycle))
        self.dut, self.rand = dut, rand

    async def start(self):
        await start(self.dut)
        cocotb.start_soon(self.driver.run())
        cocotb.start_soon(self.monitor.run())

    def send(self, a_dense, a_mask, b_dense, b_mask, context=""):
        fmt = self.unit.fmt
        a = zero_free(self.rand, fmt, a_dense, a_mask)
        b = zero_free(self.rand, fmt, b_dense, b_mask)
        self.driver.append(pack(self.in_layout, {
            "a": a.tolist(), "a_mask": mask_bits(a_mask),
            "b": b.tolist(), "b_mask": mask_bits(b_mask)}))
        a_eff, b_eff, mask, count = pre_sparsity(a, a_mask, b, b_mask)
        self.board.expect({"a": a_eff.tolist(), "b": b_eff.tolist(),
                           "mask": mask_bits(mask), "count": count}, context)

    def send_random(self, rho_a, rho_b, context=""):
        n, fmt = self.unit.length, self.unit.fmt
        self.send(random_vector(self.rand, fmt, n), random_mask(self.rand, n, rho_a),
                  random_vector(self.rand, fmt, n), random_mask(self.rand, n, rho_b), context)

    async def drain(self):
        await drain(self.dut, [self.driver], self.board)


@cocotb.test()
async def random_stream(dut):
    """Random vectors and masks at several sparsities, gaps and back-pressure."""
    rand = rng("random_stream")
    gap, stall = rand.choice([0.0, 0.3, 0.6]), rand.choice([0.0, 0.3, 0.6])
    tb = PreSparsityBench(dut, rand, gap=gap, stall=stall)
    await tb.start()
    count = 200
    for k in range(count):
        rho_a, rho_b = rand.choice(SPARSITIES), rand.choice(SPARSITIES)
        tb.send_random(rho_a, rho_b, f"(pair #{k}, ρ_a {rho_a}, ρ_b {rho_b})")
    await tb.drain()
    tb.board.check()
    record("random_stream", {"vector_pairs": count, "compared": tb.board.compared,
                             "mismatches": len(tb.board.mismatches), "gap": gap,
                             "stall": stall})


@cocotb.test()
async def corners(dut):
    """All-zero and all-one masks, disjoint masks, extreme values."""
    rand = rng("corners")
    tb = PreSparsityBench(dut, rand, gap=0.2, stall=0.2)
    await tb.start()
    n, fmt = tb.unit.length, tb.unit.fmt
    none, every = torch.zeros(n, dtype=torch.bool), torch.ones(n, dtype=torch.bool)
    low = torch.full((n,), fmt.min_int, dtype=torch.int64)
    high = torch.full((n,), fmt.max_int, dtype=torch.int64)
    odd = torch.tensor([k % 2 == 1 for k in range(n)])
    for a_mask, b_mask, name in ((none, none, "all effectual"), (every, every, "all masked"),
                                 (none, every, "b masked"), (every, none, "a masked"),
                                 (odd, ~odd, "disjoint"), (odd, odd, "same")):
        tb.send(low, a_mask, high, b_mask, f"({name})")
    await tb.drain()
    tb.board.check()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def vector_throughput(dut):
    """Vector pairs at full rate: one per cycle, each valid one cycle after acceptance."""
    rand = rng("vector_throughput")
    tb = PreSparsityBench(dut, rand)
    await tb.start()
    n, fmt = tb.unit.length, tb.unit.fmt
    pairs = 32
    for k in range(pairs):
        a, b = random_vector(rand, fmt, n), random_vector(rand, fmt, n)
        if stimulus_kind() == "zeros":
            a, b = torch.zeros_like(a), torch.zeros_like(b)
        tb.send(a, random_mask(rand, n, 0.5), b, random_mask(rand, n, 0.5), f"(pair #{k})")
    await tb.drain()
    tb.board.check()
    latencies = {out - acc for acc, (_, out) in zip(tb.driver.sent, tb.monitor.received)}
    measured = tb.monitor.received[-1][1] - tb.driver.sent[0]
    assert latencies == {tb.unit.latency}, f"latencies {sorted(latencies)}"
    assert measured == pairs, f"{pairs} pairs took {measured} cycles, not one per cycle"
    record("vector_throughput", {"vector_pairs": pairs, "cycles": measured,
                                 "latency": tb.unit.latency})
    record("stimulus", {"operations": pairs, "operation": f"vector pair of {n}",
                        "cycles": measured, "latency": tb.unit.latency,
                        "initiation_interval": 1,
                        "description": f"{stimulus_kind()} vector pairs, 50 % masks, "
                                       f"at full rate"})
