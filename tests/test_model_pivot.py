"""PIVOT-Sim: GEMM timing from the systolic block's closed form, other ops from records."""

import pytest

from tilewright.flows.costs import CostRecord
from tilewright.flows.model.pivot import (MissingCosts, PivotHardware, combine, simulate,
                                          workload)
from tilewright.gen.systolic import SystolicArray
from tilewright.golden.models.shapes import shape


def _record(block, params, pj, ii):
    return CostRecord(key=block * 4, block=block, params=params, generator_version="1",
                      area_um2=1.0, leakage_mw=0.0, energy_per_op_pj=pj, operation="op",
                      operations=1, cycles=1, latency_cycles=1, initiation_interval=ii,
                      clock_mhz=125.0, technology="lib", node_nm=130, tools={},
                      stimulus={})


class Costs:
    """A cost source answering from a dict of blocks (the CostDB query API's shape)."""

    def __init__(self, **records):
        self.records, self.asked = records, []

    def lookup(self, block, params):
        self.asked.append((block, params))
        return self.records.get(block)


COSTS = Costs(systolic=_record("systolic", {"rows": 4, "cols": 4}, 2.0, 1),
              softmax=_record("softmax", {"t": 64}, 64.0, 128),
              gelu=_record("gelu", {}, 1.0, 1),
              **{"layer-norm": _record("layer-norm", {"n": 16}, 16.0, 20)})
DEIT = shape("deit-s")


def test_gemm_cycles_are_the_systolic_blocks():
    res = simulate(DEIT, (), PivotHardware(), COSTS)
    gemms = [(r, size) for r, (_, _, kind, size) in zip(res.rows, workload(DEIT))
             if kind == "gemm"]
    assert len(gemms) == 12 * (1 + 6 + 6 + 1 + 2)
    for row, (m, k, n) in gemms:
        assert row["cycles"] == SystolicArray.gemm_cycles(64, 36, m, k, n, "is")
    qkv = next(r for r in res.rows if r["op"] == "QKV")
    assert qkv["cycles"] == SystolicArray.gemm_cycles(64, 36, 197, 384, 1152, "is")
    assert res.cycles == sum(r["cycles"] for r in res.rows)
    assert res.delay_ms == pytest.approx(res.cycles / 125e3)


def test_other_ops_scale_per_element():
    res = simulate(DEIT, (), PivotHardware(), COSTS)
    sm = next(r for r in res.rows if r["op"] == "softmax")
    assert sm["cycles"] == round(6 * 197 * 197 / 64 * 128)       # vectors of 64 at II 128
    assert sm["energy_pj"] == pytest.approx(6 * 197 * 197)        # 1 pJ per element
    ln = next(r for r in res.rows if r["op"] == "LN2")
    assert ln["cycles"] == round(197 * 384 / 16 * 20)
    mlp = next(r for r in res.rows if r["op"] == "MLP1")
    assert mlp["energy_pj"] == pytest.approx(197 * 384 * 1536 * 2.0)   # no leakage


def test_skipped_attention_and_pair():
    full = simulate(DEIT, (), PivotHardware(), COSTS)
    low = simulate(DEIT, (3, 4, 5), PivotHardware(), COSTS)
    assert {r["op"] for r in low.rows if r["encoder"] == 3} == {"LN2", "MLP1", "GeLU", "MLP2"}
    assert low.cycles < full.cycles
    delay, energy = combine(low, full, 0.25)
    assert delay == pytest.approx(low.delay_ms + 0.25 * full.delay_ms)
    assert energy == pytest.approx(low.energy_pj + 0.25 * full.energy_pj)
    with pytest.raises(ValueError, match="f_high must be from 0 to 1, not 1.5"):
        combine(low, full, 1.5)


def test_missing_records_named():
    with pytest.raises(MissingCosts, match="no cost record for softmax t=64") as err:
        simulate(DEIT, (), PivotHardware(), Costs(systolic=COSTS.records["systolic"]))
    assert [b for b, _ in err.value.requests] == ["softmax", "gelu", "layer-norm"]


def test_an_op_without_a_unit_is_left_out_and_named():
    units = {k: v for k, v in PivotHardware().units.items() if k != "layer_norm"}
    res = simulate(DEIT, (), PivotHardware(units=units), COSTS)
    assert not any(r["kind"] == "layer_norm" for r in res.rows)
    assert "layer_norm: not timed (no unit in the hardware)" in res.notes


def test_lookup_params_have_defaults_filled():
    costs = Costs(**COSTS.records)
    simulate(DEIT, (), PivotHardware(), costs)
    block, params = costs.asked[0]
    assert block == "systolic" and params["overflow"] == "wrap" and params["rows"] == 4


@pytest.mark.cosim
@pytest.mark.full
def test_gemm_cycles_equal_a_cosim_measurement():
    """PIVOT-Sim's QKV row of a scaled-down shape on an 8x4 input-stationary array equals
    the cycles the systolic RTL takes for that GEMM on Verilator (the build of
    test_cosim_systolic's scaled-down PIVOT test is reused)."""
    from tilewright.cosim.runner import run
    from tilewright.flows.generate import generate
    from tilewright.flows.regress import new_seed
    from tilewright.golden.models.shapes import ModelShape
    params = dict(rows=8, cols=4, dataflow="is", il=8, fl=0, acc_width=32)
    small = ModelShape("small", "vit", 1, 16, 2, 32, 25)        # QKV: 25 x 16 x 48
    hw = PivotHardware(rows=8, cols=4)
    qkv = next(r for r in simulate(small, (), hw, COSTS).rows if r["op"] == "QKV")
    item = generate("systolic", params, "systolic")
    result = run("systolic", item.params, item.verilog, item.instance,
                 "tilewright.cosim.tb_systolic", seed=new_seed(),
                 extra_env={"TILEWRIGHT_GEMM": "25,16,48"})
    assert result.report["gemm_throughput"]["cycles"] == qkv["cycles"]
