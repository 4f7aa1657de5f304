"""Behaviour extraction: a multiplier's full product table, simulated from its Verilog.

TransAxx (§III-A) builds each multiplier's look-up table from a high-level model; here
the table is read off the generated RTL itself: the ``table`` test of
:mod:`tilewright.cosim.tb_multiplier` drives all ``2**(2n)`` operand pairs through the
Verilator build at one product per cycle. The result is a table in the order of
:mod:`tilewright.golden.multiplier`, cached as ``.npy`` under
``cache_root().parent / "tables"``, keyed by a hash of the parameters, the Verilog text
and the tool versions, so a given multiplier is simulated once per machine.

Measured cost (2 cores shared with other jobs, load average ≈ 12): for n = 8 (DRUM,
65,536 products) the simulation loop took 5.1 s (≈ 78 µs per product) and the whole first
call 66 s, most of it the one-off Verilator build (reused by later regressions of the
same parameters); n = 4 (256 products) simulates in 0.01 s. A cached table loads in
milliseconds. :attr:`Extraction.simulation_seconds` reports the loop's time.
"""

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tilewright.cosim.runner import cache_root, run
from tilewright.cosim.toolchain import tool_versions
from tilewright.flows.generate import generate
from tilewright.golden.multiplier import MAX_TABLE_BITS, check_table

__all__ = ["Extraction", "extract", "rtl_table"]


@dataclass(frozen=True)
class Extraction:
    """A table taken from the RTL: ``table`` (``torch.int64``), where it is cached,
    whether it came from the cache, and the wall time of this call and of the simulation
    loop alone (``None`` when cached)."""

    table: torch.Tensor
    path: Path
    cached: bool
    seconds: float
    simulation_seconds: float = None


def extract(kind="exact", bits=8, k=None, *, seed=1):
    """Simulate the multiplier's Verilog on all operand pairs (or load the cached table)."""
    t0 = time.perf_counter()
    if not isinstance(bits, int) or bits > MAX_TABLE_BITS:
        raise ValueError(f"bits must be at most {MAX_TABLE_BITS} to extract a whole table, "
                         f"not {bits!r}")
    item = generate("multiplier", {"kind": kind, "bits": bits, "k": k})
    blob = json.dumps([item.params, item.verilog, tool_versions()], sort_keys=True)
    key = hashlib.sha256(blob.encode()).hexdigest()[:20]
    name = f"multiplier-{kind}-{bits}-{item.params['k']}-{key}.npy"
    path = cache_root().parent / "tables" / name
    if path.exists():
        table = torch.from_numpy(np.load(path))
        check_table(table, bits, str(path))
        return Extraction(table, path, True, time.perf_counter() - t0)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.stem}-{os.getpid()}.npy")
    result = run("multiplier", item.params, item.verilog, item.instance,
                 "tilewright.cosim.tb_multiplier", seed=seed, testcase="table",
                 extra_env={"TILEWRIGHT_TABLE": str(scratch)})
    table = torch.from_numpy(np.load(scratch))
    check_table(table, bits, "simulated table")
    os.replace(scratch, path)
    return Extraction(table, path, False, time.perf_counter() - t0,
                      result.report["table"]["seconds"])


def rtl_table(kind="exact", bits=8, k=None):
    """The product table of a multiplier, taken from its RTL (cached)."""
    return extract(kind, bits, k).table
