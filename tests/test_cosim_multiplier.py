"""Multiplier regressions on Verilator, and behaviour extraction: the table simulated from
the generated Verilog equals the golden model's on every input pair.

Default suite: every kind but Mitchell's at n=4 (256 pairs) and Mitchell's at n=8 with its
largest k (65,536 pairs); the other kinds at n=4, n=6 and n=8 and wide operands (random
regression only) are ``full``.
"""

import pytest
import torch

from tilewright.flows.multiplier_table import extract
from tilewright.golden.multiplier import golden_table
from tilewright.specs.multiplier import KINDS, k_range

pytestmark = pytest.mark.cosim

DEFAULT = [(kind, 4, None) for kind in KINDS if kind != "mitchell"] + [("mitchell", 8, 7)]
FULL = [("mitchell", 4, None), ("drum", 8, 4), ("exact", 8, None), ("truncated", 8, 5),
        ("ssm", 8, 5), ("drum", 8, 3), ("mitchell", 8, 3), ("truncated", 6, 1), ("ssm", 6, 3),
        ("mitchell", 6, 5)]
WIDE = [("drum", 12, 6), ("mitchell", 16, 15), ("truncated", 16, 15), ("ssm", 11, 6),
        ("exact", 16, None)]


def _id(p):
    return f"{p[0]}-n{p[1]}-k{p[2]}"


def check_regression(regress, kind, bits, k):
    # the table test is skipped without TILEWRIGHT_TABLE
    result = regress("multiplier", {"kind": kind, "bits": bits, "k": k}, tests=4)
    stream = result.report["random_stream"]
    assert stream["compared"] == 1000 and stream["mismatches"] == 0
    assert result.report["throughput"] == {"products": 256, "cycles": 256, "latency": 1}
    return result


def check_table(kind, bits, k):
    extraction = extract(kind, bits, k)
    assert torch.equal(extraction.table, golden_table(kind, bits, k))
    print(f"{kind} n={bits} k={k}: {extraction.table.numel()} products, "
          f"{extraction.seconds:.1f} s (simulation {extraction.simulation_seconds}), "
          f"cached={extraction.cached}")
    again = extract(kind, bits, k)
    assert again.cached and torch.equal(again.table, extraction.table)


@pytest.mark.parametrize("params", DEFAULT, ids=_id)
def test_regression_and_table(params, regress):
    check_regression(regress, *params)
    check_table(*params)


@pytest.mark.full
@pytest.mark.parametrize("params", FULL, ids=_id)
def test_regression_and_table_full(params, regress):
    check_regression(regress, *params)
    check_table(*params)


@pytest.mark.full
@pytest.mark.parametrize("params", WIDE, ids=_id)
def test_wide_regression(params, regress):
    assert params[2] is None or k_range(params[0], params[1])[0] <= params[2]
    check_regression(regress, *params)


def test_cli_report_from_the_rtl(run_cli):
    code, out, _ = run_cli("multiplier", "report", "--kind", "drum", "--bits", "4", "--rtl")
    assert code == 0
    assert out.startswith("drum, bits=4, k=3 (from the RTL on Verilator, ")
    assert "; equals the golden model): 256 operand pairs\n" in out
