"""PIVOT's 64×36 input-stationary int8 array (PIVOT §3.4) composed from its cells
(issue 16): area and leakage first (the parts and the glue's synthesis), then, with
``--energy``, the whole composed record (the glue's netlist at gate level with the 2,304
cells in RTL, on Verilator) into ``--db``; every stage's start is printed with its time::

    python benchmarks/compose_pivot.py --db tilewright-costs.sqlite \\
        [--json docs/compose-pivot.json] [--energy]
"""

import argparse
import json
import time

from tilewright.flows.compose import compose, composed_area
from tilewright.flows.costs.store import open_db

PARAMS = dict(rows=64, cols=36, dataflow="is", il=8, fl=0, acc_width=32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--json", default=None)
    parser.add_argument("--energy", action="store_true")
    args = parser.parse_args(argv)
    start = time.time()

    def stage(name):
        print(f"[{time.time() - start:8.1f} s] {name}", flush=True)
    with open_db(args.db) as db:
        found = {"params": PARAMS, **composed_area("systolic", PARAMS, db=db, on_stage=stage)}
        stage("area and leakage done")
        print(f"area {found['area_um2']:.0f} um2, leakage {found['leakage_mw'] * 1e3:.3f} uW",
              flush=True)
        if args.energy:
            record = compose("systolic", PARAMS, db=db, on_stage=stage)
            stage("composed record stored")
            found["record"] = record.to_dict()
            print(f"record {record.key}: {record.energy_per_op_pj:.3f} pJ/MAC, "
                  f"{record.idle_pj_per_cycle:.1f} pJ idle/cycle", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(found, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
