"""What every tilewright cocotb testbench needs: parameters, seeded RNG, clock, reset,
and the measurement report."""

import json
import os
import random
from dataclasses import asdict, dataclass

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from tilewright.blocks import OPERATION_UNITS

__all__ = ["PERIOD_NS", "Stimulus", "params", "rng", "start", "record", "stimulus_kind",
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


#: Number of dimensions of each unit's shape.
_UNIT_DIMENSIONS = {"mac": 0, "product": 0, "element": 0, "vector": 1, "tile": None}


@dataclass(frozen=True)
class Stimulus:
    """What a block's stimulus test measured: characterization reads it from the report.

    Attributes
    ----------
    unit : what one operation is, one of :data:`tilewright.blocks.OPERATION_UNITS`.
    unit_shape : ``()`` for ``mac``, ``product`` and ``element``; ``(length,)`` for a
        ``vector``; the tile's dimensions for a ``tile``.
    operations : operations of the run (all of them, as its energy is the whole run's).
    cycles : cycles of the run, first input transfer to last output transfer.
    latency : cycles from the clock edge that accepts an operation's last input to the
        edge where its result is first valid at the output (a registered output = 1);
        equal to the generator's static latency formula.
    initiation_interval : cycles per operation at full rate.
    operation : the operation in words.
    description : the workload in words.
    """

    unit: str
    unit_shape: tuple
    operations: int
    cycles: int
    latency: int
    initiation_interval: float
    operation: str
    description: str

    def __post_init__(self):
        if self.unit not in OPERATION_UNITS:
            raise ValueError(f"unit must be one of {', '.join(map(repr, OPERATION_UNITS))}, "
                             f"not {self.unit!r}")
        dims = _UNIT_DIMENSIONS[self.unit]
        shape = tuple(self.unit_shape)
        if (len(shape) != dims if dims is not None else not shape) or not all(
                isinstance(d, int) and d > 0 for d in shape):
            raise ValueError(f"unit_shape of a {self.unit!r} must be "
                             f"{'()' if dims == 0 else 'positive sizes'}, not {shape!r}")
        object.__setattr__(self, "unit_shape", shape)

    def record(self):
        """Write it as the run's ``stimulus`` report."""
        record("stimulus", asdict(self))


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
