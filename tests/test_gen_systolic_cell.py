"""The systolic-array PE generator: parameter checks and its place in the array."""

import re

import pytest

from tilewright.flows.generate import generate
from tilewright.gen.systolic_cell import SystolicCell


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
])
def test_bad_parameters(kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        SystolicCell(**kwargs)


def test_array_instantiates_one_cell_per_pe():
    verilog = generate("systolic", dict(rows=2, cols=3, dataflow="is")).verilog
    names = re.findall(r"^module \\systolic\.(pe_\d+_\d+) ", verilog, re.M)
    assert sorted(names) == sorted(f"pe_{r}_{c}" for r in range(2) for c in range(3))
