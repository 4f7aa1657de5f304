"""Composed against flat characterization of the smallest accelerator top (issue 16;
AccelTran §III-B: one PE of one 2-multiplier lane, a softmax unit, the layer norm and
DynaTran, (4, 4) format), and the AccelTran-Edge PE's area and leakage composed from its
parts::

    python benchmarks/compose_top.py [--db costs.sqlite] [--json docs/compose-top.json]
        [--plot docs/compose-top.png] [--edge-db edge.sqlite [--edge-energy]]

Both records of the top leave out its buffer (a black box: an SRAM macro, costed by a
memory model). Records are stored in (and reused from) ``--db``; the Edge PE's parts in
``--edge-db``; with ``--edge-energy`` also a 1-PE Edge top composed whole, its energy
included (about 15 min on a 2-core machine).
"""

import argparse
import json

from compose_vs_flat import FIGURES, plot

from tilewright.flows.characterize import characterize
from tilewright.flows.compose import compose, composed_area
from tilewright.flows.costs.store import open_db
from tilewright.flows.generate import accelerator_params
from tilewright.flows.model.hardware import load_accelerator

#: The smallest top: every unit once, buffers as small as its stimulus allows.
SMALL_TOP = dict(pes=1, lanes=1, macs=2, softmax=1, seq=4, features=4, il=4, fl=4,
                 activation_words=256, weight_words=64, dma_words=2)


def compare(db, params):
    flat = characterize("top", params, db=db)
    composed = compose("top", params, db=db)
    return {"shape": "1 PE x 1 lane x 2 MACs", "params": params,
            "flat": {k: getattr(flat, k) for k, _ in FIGURES},
            "composed": {k: getattr(composed, k) for k, _ in FIGURES},
            "ratio": {k: getattr(composed, k) / getattr(flat, k) for k, _ in FIGURES},
            "glue": composed.details["glue"], "parts": composed.details["parts"],
            "flat_fmax_mhz": flat.fmax_mhz, "cycles": flat.cycles,
            "operations": flat.operations}


def edge_pe(db):
    """The AccelTran-Edge PE's area and leakage, composed (``composed_area``)."""
    params = accelerator_params(load_accelerator("acceltran-edge"))["pe"]
    return {"params": params, **composed_area("pe", params, db=db)}


def edge_top(db):
    """A top of one AccelTran-Edge PE composed with its energy, buffers cut to what the
    stimulus uses (two rounds)."""
    params = {**accelerator_params(load_accelerator("acceltran-edge"))["top"], "pes": 1,
              "activation_words": 16384, "weight_words": 1024}
    record = compose("top", params, db=db)
    return {"params": params, **{k: getattr(record, k) for k, _ in FIGURES},
            "operations": record.operations, "cycles": record.cycles, **record.details}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="the top's records (none: no top)")
    parser.add_argument("--json", default=None)
    parser.add_argument("--plot", default=None)
    parser.add_argument("--edge-db", default=None)
    parser.add_argument("--edge-energy", action="store_true")
    args = parser.parse_args(argv)
    results = {}
    if args.db:
        with open_db(args.db) as db:
            results["top"] = compare(db, SMALL_TOP)
        print(" ".join(f"{k}={v:.4f}" for k, v in results["top"]["ratio"].items()))
    if args.edge_db:
        with open_db(args.edge_db) as db:
            results["edge_pe"] = edge_pe(db)
            if args.edge_energy:
                results["edge_top"] = edge_top(db)
        print(f"edge PE: {results['edge_pe']['area_um2']:.0f} um2, "
              f"{results['edge_pe']['leakage_mw'] * 1e3:.3f} uW")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    if args.plot and args.db:
        plot([results["top"]], args.plot,
             title="Accelerator top (1 PE, (4, 4)): composed vs flat characterization")


if __name__ == "__main__":
    main()
