"""Benchmark: :meth:`CostDB.lookup` and :meth:`CostDB.missing` in process, on a SQLite
cost database of many records (target: a lookup within 10 ms, so that a searcher can ask
thousands of times)::

    python benchmarks/bench_cost_lookup.py [--records 2000] [--lookups 2000]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from tilewright.flows.costs.store import (DEFAULT_CLOCK_MHZ, DEFAULT_LIBRARY, METHOD_VERSION,
                                          CostDB, CostRecord, cost_key)
from tilewright.gen.catalogue import get_block


def _record(i):
    """Mac-lane records over multipliers, fl and the clock: distinct (params, context)."""
    block = get_block("mac-lane")
    params = block.resolve({"multipliers": 1 << (i % 7), "fl": 4 + i // 7 % 13})
    clock = DEFAULT_CLOCK_MHZ + 10 * (i // 91)
    context = {"method": METHOD_VERSION, "technology": DEFAULT_LIBRARY, "clock_mhz": clock,
               "stimulus": "random", "wire_load_model": "default"}
    return CostRecord(key=cost_key("mac-lane", params, "bench", {}, context), block="mac-lane",
                      params=params, generator_version="bench", area_um2=1.0 + i,
                      leakage_mw=0.0, energy_per_op_pj=1.0, operation="multiply-accumulate",
                      operations=1, cycles=1, latency_cycles=3, initiation_interval=1.0,
                      clock_mhz=clock, technology=DEFAULT_LIBRARY, node_nm=130, tools={},
                      stimulus={}, unit="mac", unit_shape=(), context=context,
                      created=float(i))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args(argv)
    records = [_record(i) for i in range(args.records)]
    with tempfile.TemporaryDirectory() as folder, CostDB(Path(folder) / "c.sqlite") as db:
        for r in records:
            db.put(r)
        db.lookup("mac-lane")                       # the catalogue's import, once
        start = time.perf_counter()
        for i in range(args.lookups):
            r = records[i % len(records)]
            found = db.lookup("mac-lane", r.params, clock_mhz=r.clock_mhz)
            assert found is not None and found.params == r.params
        per_lookup = (time.perf_counter() - start) / args.lookups
        requests = [("mac-lane", {"multipliers": m, "fl": fl}) for m in (1, 2, 4, 8, 16, 32, 64)
                    for fl in range(4, 20)]
        start = time.perf_counter()
        missing = db.missing(requests, clock_mhz=DEFAULT_CLOCK_MHZ)
        missing_seconds = time.perf_counter() - start
    summary = {"records": args.records, "lookups": args.lookups,
               "ms_per_lookup": round(per_lookup * 1e3, 3),
               "missing_requests": len(requests), "missing_commands": len(missing),
               "ms_for_missing": round(missing_seconds * 1e3, 1)}
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
