"""What every tilewright cocotb testbench needs: parameters, seeded RNG, clock, reset,
and the measurement report."""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

__all__ = ["PERIOD_NS", "params", "rng", "start", "record", "stimulus_kind",
           "stimulus_repeats", "positive_env"]

PERIOD_NS = 10


def params():
    """The generator parameters the runner passed (``TILEWRIGHT_PARAMS``)."""
    return json.loads(os.environ["TILEWRIGHT_PARAMS"])


def rng(salt):
    """A ``random.Random`` from the run's seed (logged by cocotb) and ``salt``, so each
    test's stimulus replays independently of which other tests ran."""
    return random.Random(f"{cocotb.RANDOM_SEED}:{salt}")


async def start(dut, reset_cycles=2):
    """Start the clock, hold reset for ``reset_cycles``, return after the first edge."""
    Clock(dut.clk, PERIOD_NS, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, reset_cycles)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


def record(name, value):
    """Add ``{name: value}`` to the run's JSON report (``TILEWRIGHT_REPORT``)."""
    path = os.environ.get("TILEWRIGHT_REPORT")
    if not path:
        return
    report = json.loads(open(path).read()) if os.path.exists(path) else {}
    report[name] = value
    with open(path, "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)


def stimulus_kind():
    """``"random"`` (default) or ``"zeros"``: the data of a block's stimulus test
    (``TILEWRIGHT_STIMULUS``), so that energy can be compared across activity levels."""
    kind = os.environ.get("TILEWRIGHT_STIMULUS", "random")
    if kind not in ("random", "zeros"):
        raise ValueError(f"TILEWRIGHT_STIMULUS must be one of 'random', 'zeros', not {kind!r}")
    return kind


def stimulus_repeats():
    """How many times over a block's stimulus test runs its workload
    (``TILEWRIGHT_STIMULUS_REPEATS``, default 1). Characterization runs it once and twice
    and charges the difference in energy to the difference in operations, so that reset,
    pipeline fill and drain cancel out."""
    return positive_env("TILEWRIGHT_STIMULUS_REPEATS", "1")


def positive_env(name, default=""):
    """The positive integer in environment variable ``name`` (``default`` when unset);
    ``ValueError`` naming it otherwise."""
    raw = os.environ.get(name, default)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive integer, not {raw!r}")
    return int(raw)
