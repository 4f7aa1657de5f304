"""The PE generator: parameter errors, cycle formulas, ports, and hierarchical Verilog."""

import re

import pytest

from tilewright.gen import hierarchy
from tilewright.gen.layer_norm import LayerNorm
from tilewright.gen.mac_lane import MacLane
from tilewright.gen.pe import Pe
from tilewright.gen.softmax import Softmax


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"lanes": 0}, ValueError, "lanes must be an integer from 1 to 64, not 0"),
    ({"lanes": "2"}, TypeError, "lanes must be an integer, not '2'"),
    ({"macs": 3}, ValueError, "macs must be a power of two from 1 to 64, not 3"),
    ({"softmax": 65}, ValueError, "softmax must be an integer from 1 to 64, not 65"),
    ({"seq": 1}, ValueError, "seq must be an integer from 2 to 512, not 1"),
    ({"features": 12}, ValueError, "features must be a power of two from 2 to 1024, not 12"),
    ({"il": 1}, ValueError, "il must be an integer from 2 to 19, not 1"),
    ({"fl": 0}, ValueError, "fl must be an integer from 1 to 16, not 0"),
    ({"il": 8, "fl": 16}, ValueError, "il + fl must be from 2 to 20 bits for the PE, not 24"),
])
def test_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        Pe(**kwargs)
    assert str(info.value) == msg


def test_cycle_formulas():
    latency = MacLane.pipeline_latency(4)
    assert Pe.matmul_cycles(8, 16, 8, 4) == 8 * 8 * 4 + latency + 2 == 263
    assert Pe.matmul_cycles(8, 16, 8, 4, bias=True) == 8 * 8 * 5 + latency + 2
    assert Pe.matmul_cycles(2, 17, 3, 4) == 2 * 3 * 5 + latency + 2     # a partial beat
    assert Pe.add_cycles(8, 8, 4) == 64 + latency + 2
    assert Pe.add_cycles(8, 8, 1) == 128 + MacLane.pipeline_latency(1) + 2
    assert Pe.softmax_cycles(3, 8, 8) == 3 * Softmax.vector_cycles(8, 8) + 2
    assert Pe.layernorm_cycles(3, 16, 4, 8) == 3 * LayerNorm.vector_cycles(16, 4, 8) + 2
    assert Pe.prune_cycles(8, 7, 4) == 8 * 2 + 2


def test_ports_and_signature():
    pe = Pe(lanes=3, macs=4, softmax=2, seq=8, features=16, il=4, fl=8)
    assert Pe.read_ports(3, 4, 2) == 3 * 8 + 2 + 3 + 4 == len(pe.rd)
    assert Pe.write_ports(3, 4, 2) == 3 + 2 + 1 + 4 == len(pe.wr)
    assert len(pe.rd[0].data) == 12
    assert pe.idle.shape().size == 3 + 2 + 1 + 1


def _modules(text):
    return re.findall(r"^module \\?(\S+?)\s*\(", text, re.MULTILINE)


def test_one_module_per_distinct_block():
    """Lanes share one lane-slot and one MAC-lane module: the text grows by instances."""
    small = hierarchy.convert(Pe(lanes=1, macs=2, seq=2, features=2, il=4, fl=4), "pe")
    large = hierarchy.convert(Pe(lanes=4, macs=2, seq=2, features=2, il=4, fl=4), "pe")
    assert _modules(small) == _modules(large)
    assert sum(name.startswith("pe__pe_lane_") for name in _modules(large)) == 1
    assert sum(name.startswith("pe__mac_lane_") for name in _modules(large)) == 1
    assert len(large.splitlines()) < 1.2 * len(small.splitlines())
