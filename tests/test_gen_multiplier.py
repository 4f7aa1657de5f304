"""Multiplier generator: parameter checks, knob ranges, ports, lint-clean Verilog."""

from pathlib import Path

import pytest

from tilewright.gen.catalogue import get_block
from tilewright.cosim.toolchain import lint
from tilewright.flows.generate import generate
from tilewright.gen.multiplier import Multiplier, MultiplierCore
from tilewright.specs.multiplier import KINDS, check_multiplier, default_k, k_range


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"kind": "booth"}, ValueError,
     "kind must be one of 'exact', 'truncated', 'mitchell', 'drum', 'ssm', not 'booth'"),
    ({"bits": 3}, ValueError, "bits must be an integer from 4 to 16, not 3"),
    ({"bits": 17}, ValueError, "bits must be an integer from 4 to 16, not 17"),
    ({"bits": 8.0}, TypeError, "bits must be an integer, not 8.0"),
    ({"kind": "exact", "k": 3}, ValueError, "k is not used by kind 'exact'; leave it unset"),
    ({"kind": "drum", "k": "4"}, TypeError, "k must be an integer, not '4'"),
    ({"kind": "drum", "k": 2}, ValueError,
     "k must be an integer from 3 to 7 for kind 'drum' with bits=8, not 2"),
    ({"kind": "truncated", "k": 8}, ValueError,
     "k must be an integer from 1 to 7 for kind 'truncated' with bits=8, not 8"),
    ({"kind": "ssm", "bits": 9, "k": 4}, ValueError,
     "k must be an integer from 5 to 8 for kind 'ssm' with bits=9, not 4"),
    ({"kind": "mitchell", "bits": 4, "k": 0}, ValueError,
     "k must be an integer from 1 to 3 for kind 'mitchell' with bits=4, not 0"),
])
def test_parameter_errors(kwargs, exc, msg):
    for cls in (Multiplier, MultiplierCore):
        with pytest.raises(exc) as info:
            cls(**kwargs)
        assert str(info.value) == msg


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bits", [4, 5, 8, 16])
def test_default_k_is_in_range(kind, bits):
    k = check_multiplier(kind, bits, None)
    assert k == default_k(kind, bits)
    if kind != "exact":
        lo, hi = k_range(kind, bits)
        assert lo <= k <= hi
        assert check_multiplier(kind, bits, lo) == lo and check_multiplier(kind, bits, hi) == hi


def test_ports_and_properties():
    mul = Multiplier(kind="drum", bits=6, k=3)
    assert (mul.kind, mul.bits, mul.k, mul.latency) == ("drum", 6, 3, 1)
    assert mul.i.payload.shape().size == 12
    assert mul.o.payload.shape().width == 12
    assert Multiplier(kind="ssm", bits=8).k == 4


def test_block_resolves_defaults():
    block = get_block("multiplier")
    assert block.resolve({"kind": "drum"}) == {"kind": "drum", "bits": 8, "k": None}
    assert block.build({"kind": "mitchell", "bits": 6}).k == 5


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bits, k", [(4, "lo"), (16, "hi")])
def test_verilog_is_lint_clean(tmp_path, kind, bits, k):
    knob = None if kind == "exact" else k_range(kind, bits)[0 if k == "lo" else 1]
    item = generate("multiplier", {"kind": kind, "bits": bits, "k": knob})
    path = Path(tmp_path) / "multiplier.v"
    path.write_text(item.verilog)
    assert lint(path, "multiplier") == []
    assert item.facts["latency_cycles"] == 1 and item.facts["product_width"] == 2 * bits
    assert ("error_vs_exact" in item.facts) == (bits <= 8)
