"""The workload graph: AccelTran Table I's operations, corrected where BERT differs, and
DynaProp training (TransCODE Table I)."""

import pytest

from tilewright.flows.model import Encoder, InvalidDesign, Layer, build_workload


def _by_kind(workload, kind):
    return [op for op in workload.ops if op.kind == kind]


def test_bert_tiny_ops():
    wl = build_workload("bert-tiny", batch=4, seq=128)
    matmuls = _by_kind(wl, "matmul")
    # per layer: 2 heads × (q, k, v, s, pv) + o + ff1 + ff2
    assert len(matmuls) == 2 * (2 * 5 + 3)
    assert len(_by_kind(wl, "softmax")) == 2 * 2
    assert len(_by_kind(wl, "layernorm")) == 1 + 2 * 2          # embedding + ln1, ln2
    q = wl.op("layers.0.h1.q")
    assert (q.b, q.x, q.y, q.z) == (4, 64, 128, 128) and q.w_weight
    s = wl.op("layers.1.h0.s")
    assert (s.b, s.x, s.y, s.z) == (4, 128, 64, 128) and not s.w_weight
    assert s.reads == ("layers.1.h0.q", "layers.1.h0.k")
    # the output projection reads every head's P·V: K = hidden is counted once
    o = wl.op("layers.0.o")
    assert o.reads == ("layers.0.h0.pv", "layers.0.h1.pv") and o.y == 128


def test_residual_adds_present():
    wl = build_workload("bert-tiny", batch=4, seq=128)
    for i in range(2):
        r1, r2 = wl.op(f"layers.{i}.res1"), wl.op(f"layers.{i}.res2")
        assert r1.kind == r2.kind == "eltwise" and r1.products == r2.products == 2
        assert r1.reads[0] == f"layers.{i}.o" and r2.reads == (f"layers.{i}.ff2",
                                                              f"layers.{i}.ln1")
        assert wl.op(f"layers.{i}.ln1").reads == (r1.name,)
        assert wl.op(f"layers.{i}.ln2").reads == (r2.name,)


def test_activation_only_after_first_ff_matmul():
    wl = build_workload("bert-tiny", batch=4, seq=128)
    activated = {op.name for op in wl.ops if op.activation != "none"}
    assert activated == {"layers.0.ff1", "layers.1.ff1"}
    stacked = Encoder("stack", (Layer(128, 2, (256, 512)),))
    activated = {op.name for op in build_workload(stacked, batch=1, seq=32).ops
                 if op.activation != "none"}
    assert activated == {"layers.0.ff1", "layers.0.ff1_1"}


def test_embedding_fetches_the_batch_rows_only():
    for batch in (1, 4):
        tokens = build_workload("bert-tiny", batch=batch, seq=128).op("embed.tokens")
        assert tokens.kind == "load" and tokens.elements == batch * 128 * 128   # not 30522 rows
    position = build_workload("bert-tiny", batch=4, seq=64).op("embed.position")
    assert position.elements == 64 * 128 and position.target == "weight"


def test_weights_loaded_once_whatever_the_batch():
    one, many = (build_workload("bert-base", batch=b, seq=128) for b in (1, 32))
    loads = {op.name: op.elements for op in one.ops if op.kind == "load"
             and op.target == "weight"}
    assert loads == {op.name: op.elements for op in many.ops if op.kind == "load"
                     and op.target == "weight"}
    weights = 4 * 768 * 768 + 2 * 768 * 3072
    biases = 4 * 768 + 3072 + 768
    norms = 2 * 2 * 768                     # γ and β of ln1 and ln2
    assert sum(loads.values()) == 12 * (weights + biases + norms) + 128 * 768 + 2 * 768


def test_heterogeneous_layers_and_attention_types():
    enc = Encoder("flexi", (Layer(128, 2, (512,)), Layer(256, 4, (1024,), "wma"),
                            Layer(256, 1, (512,), "dct"), Layer(256, 1, (512,), "dsc", 5)))
    wl = build_workload(enc, batch=2, seq=32)
    assert wl.op("layers.1.proj").x == 256 and wl.op("layers.1.proj").y == 128
    assert wl.op("layers.1.h3.wma").a_weight
    assert wl.op("layers.2.a").w_weight and wl.op("layers.2.a").density == 1.0
    assert wl.op("layers.3.a").density == pytest.approx(5 / 32)
    assert not [op for op in wl.ops if op.layer >= 2 and op.kind == "softmax"]


def test_training_adds_backward_and_update():
    inference = build_workload("bert-tiny", batch=2, seq=32)
    training = build_workload("bert-tiny", batch=2, seq=32, train=True)
    phases = {op.phase for op in training.ops}
    assert phases == {"forward", "backward", "update"}
    stores = [op for op in training.ops if op.kind == "store"]
    weights = [op for op in inference.ops if op.kind == "load" and op.target == "weight"
               and op.name != "embed.position" and not op.name.endswith("ln.weight")
               and not op.name.endswith(("ln1.weight", "ln2.weight"))]
    assert len(stores) == len(weights)       # the matrices; γ and β are not trained
    # the weight gradient of a projection sums over the batch: K = batch × seq
    grad = training.op("layers.0.o.weight.grad")
    assert (grad.b, grad.x, grad.y, grad.z) == (1, 128, 2 * 32, 128)
    macs = lambda wl: sum(o.b * o.x * o.y * o.z for o in wl.ops if o.kind == "matmul")
    assert macs(training) == pytest.approx(3 * macs(inference), rel=0.01)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch": 0}, "batch must be a positive integer, not 0"),
    ({"batch": 2, "seq": -1}, "seq must be a positive integer, not -1"),
])
def test_bad_workload(kwargs, message):
    with pytest.raises(InvalidDesign) as info:
        build_workload("bert-tiny", **kwargs)
    assert str(info.value) == message
    with pytest.raises(InvalidDesign, match="^heads must divide hidden"):
        Layer(100, 3, (64,))
    with pytest.raises(InvalidDesign, match="^model must be one of"):
        build_workload("bert-huge", batch=1)
