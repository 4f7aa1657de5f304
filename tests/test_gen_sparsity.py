"""Pre-/post-compute sparsity and sparse MAC generators: parameter checks, layouts."""

import pytest

from tilewright.flows.generate import generate
from tilewright.gen.post_sparsity import PostSparsity
from tilewright.gen.pre_sparsity import PreSparsity
from tilewright.gen.sparse_mac import SparseMac


@pytest.mark.parametrize("cls, what", [(PreSparsity, "the pre-compute sparsity module"),
                                       (PostSparsity, "the post-compute sparsity module")])
@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"length": 0}, ValueError, "length must be an integer from 1 to 64, not 0"),
    ({"length": 65}, ValueError, "length must be an integer from 1 to 64, not 65"),
    ({"length": 2.0}, TypeError, "length must be an integer, not 2.0"),
    ({"il": 0, "fl": 4}, ValueError, "il must be an integer from 1 to 32, not 0"),
    ({"il": 20, "fl": 8}, ValueError, "il + fl must be from 2 to 24 bits for {what}, not 28"),
])
def test_parameter_errors(cls, what, kwargs, exc, msg):
    with pytest.raises(exc) as info:
        cls(**kwargs)
    assert str(info.value) == msg.format(what=what)


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"length": 0}, ValueError, "length must be an integer from 1 to 64, not 0"),
    ({"multipliers": 3}, ValueError, "multipliers must be a power of two from 1 to 64, not 3"),
    ({"overflow": "clip"}, ValueError, "overflow must be one of 'wrap', 'saturate', not 'clip'"),
])
def test_sparse_mac_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        SparseMac(**kwargs)
    assert str(info.value) == msg


def test_layouts_and_latency():
    assert PreSparsity.input_layout(5, 8).size == 2 * 5 * 8 + 2 * 5
    assert PreSparsity.output_layout(5, 8).size == 2 * 5 * 8 + 5 + 3
    assert PostSparsity.input_layout(5, 8).size == 5 * 8 + 5
    unit = SparseMac(length=10, multipliers=4)
    assert unit.latency == 1 + unit.lane.latency
    assert [SparseMac.beats(c, 4) for c in (0, 1, 4, 5, 10)] == [1, 1, 1, 2, 3]


@pytest.mark.parametrize("block, top", [("pre-sparsity", "pre_sparsity"),
                                        ("post-sparsity", "post_sparsity"),
                                        ("sparse-mac", "sparse_mac")])
def test_generate(block, top):
    item = generate(block, {"length": 3})
    assert f"module {top}" in item.verilog and item.facts["latency_cycles"] >= 1


def test_sparsity_facts():
    params = {"length": 3, "il": 4, "fl": 4}
    assert generate("pre-sparsity", params).facts == {
        "latency_cycles": 1, "vector_pairs_per_cycle": 1, "input_payload_bits": 2 * 3 * 8 + 2 * 3}
    assert generate("post-sparsity", params).facts == {
        "latency_cycles": 1, "vectors_per_cycle": 1, "input_payload_bits": 3 * 8 + 3}
