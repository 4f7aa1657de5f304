"""The systolic-array PE generator: parameter checks and its place in the array."""

import re

import pytest

from tilewright.flows.generate import generate
from tilewright.gen.systolic_cell import SystolicCell, row_cell_params


def test_defaults():
    cell = SystolicCell()
    assert (cell.fmt.width, cell.acc_width, cell.overflow, cell.latency) == (8, 32, "wrap", 1)
    assert SystolicCell(il=12, fl=12).acc_width == 48


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(il=12, fl=13), ValueError,
     "il + fl must be from 2 to 24 bits for the systolic cell, not 25"),
    (dict(acc_width=15), ValueError, "acc_width must be an integer from 16 to 56, not 15"),
    (dict(overflow="clip"), ValueError,
     "overflow must be one of 'wrap', 'saturate', not 'clip'"),
    (dict(psum_width=15), ValueError, "psum_width must be an integer from 16 to 32, not 15"),
    (dict(acc_width=24, psum_width=25), ValueError,
     "psum_width must be an integer from 16 to 24, not 25"),
    (dict(accumulate=1), TypeError, "accumulate must be true or false, not 1"),
])
def test_bad_parameters(kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        SystolicCell(**kwargs)


def test_array_instantiates_one_cell_per_pe():
    verilog = generate("systolic", dict(rows=2, cols=3, dataflow="is")).verilog
    names = re.findall(r"^module \\systolic\.(pe_\d+_\d+) ", verilog, re.M)
    assert sorted(names) == sorted(f"pe_{r}_{c}" for r in range(2) for c in range(3))


def test_rows_narrow_their_partial_sums():
    """Row r keeps min(acc_width, 16 + ⌈log2(r+1)⌉) bits (int8); the top row adds none."""
    widths = [row_cell_params(r, il=8, fl=0, acc_width=None, overflow="wrap")["psum_width"]
              for r in range(64)]
    assert [widths.index(w) for w in range(16, 23)] == [0, 1, 2, 4, 8, 16, 32]
    assert widths[63] == 22 and len(set(widths)) == 7
    capped = row_cell_params(5, il=8, fl=0, acc_width=18, overflow="saturate")
    assert capped["psum_width"] == 18
    assert [row_cell_params(r, il=2, fl=0, acc_width=8, overflow="wrap")["accumulate"]
            for r in range(3)] == [False, True, True]
    verilog = generate("systolic", dict(rows=3, cols=1, dataflow="is")).verilog
    outs = re.findall(r"^module \\systolic\.pe_\d_0 .*?output \[(\d+):0\] psum_out;", verilog,
                      re.M | re.S)
    assert outs == ["15", "16", "17"]


def test_top_row_cell_has_no_partial_sum_input():
    assert "psum_in" not in SystolicCell(accumulate=False, psum_width=16).signature.members
    assert SystolicCell(psum_width=20).signature.members["psum_in"].shape.width == 20
