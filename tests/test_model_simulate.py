"""The accelerator model on measured cost records of a small accelerator: what AccelTran's
simulator double-counts or misses (one test each), the cross-check against the MAC lane's
and the sparse MAC's cycle formulas (which their cosims assert), scheduling, power gating,
dataflows, training, invalid designs and missing records."""

import json
import math
from pathlib import Path

import pytest

from model_costs import SMALL, characterize_small, exported_records, small_db_path
from tilewright.flows.costs import CostDB
from tilewright.flows.costs.store import characterize_command
from tilewright.flows.model import (CostSource, InvalidDesign, Mapping, MissingCosts, ORDERS,
                                    build_workload, requirements, simulate)
from tilewright.flows.model.memory import sram
from tilewright.flows.model.sparsity import DENSE
from tilewright.flows.model.tiling import plan_op
from tilewright.flows.model.workload import Op, Workload
from tilewright.gen.catalogue import get_block
from tilewright.gen.mac_lane import MacLane
from tilewright.gen.sparse_mac import SparseMac

pytestmark = pytest.mark.cosim


@pytest.fixture(scope="module")
def db():
    """The small accelerator's records (measured, exported: :mod:`model_costs`)."""
    database = CostDB(small_db_path())
    yield database
    database.close()


@pytest.mark.full
def test_small_records_are_current(tmp_path):
    """Characterizing the small accelerator again gives the exported records' figures."""
    with CostDB(tmp_path / "costs.sqlite") as fresh:
        measured = {(r.block, json.dumps(r.params, sort_keys=True)): r
                    for r in characterize_small(fresh)}
    for old in exported_records():
        new = measured[(old.block, json.dumps(old.params, sort_keys=True))]
        for name in ("area_um2", "energy_per_op_pj", "idle_pj_per_cycle", "latency_cycles",
                     "initiation_interval", "leakage_mw", "cycles"):
            assert getattr(new, name) == getattr(old, name), (old.block, name)


def test_exported_records_name_no_machine_path():
    for record in exported_records():
        for where in (record.context, record.details):
            assert not Path(where["library_path"]).is_absolute(), record.block


@pytest.fixture
def costs(db):
    return CostSource(db, clock_mhz=SMALL.clock_mhz)


def _matmul(x, y, z, b=1, *, name="mm"):
    """A weight load, an activation load and one W[x×y]·A[b,y×z] product."""
    ops = (Op("w", "load", "w", 0, 0, (0, 0, 1), x=x, y=y, target="weight"),
           Op("in", "load", "in", 0, 0, (0, 0, 2), b=b, x=y, y=z),
           Op(name, "matmul", name, 0, 0, (0, 0, 3), b=b, x=x, y=y, z=z, reads=("in",),
              weights=("w",), w_weight=True))
    return Workload("one", b, z, False, ops)


def _row(result, name):
    return next(r for r in result.ops if r["name"] == name)


ONE_LANE = SMALL.replace(pes=1, lanes_per_pe=1, sparsity_modules=False)


# ---------------------------------------------------------------- cross-checks with the RTL
@pytest.mark.parametrize("k", [4, 8, 16])
def test_matmul_cycles_are_the_mac_lane_formula(costs, k):
    """One output tile on one lane: MacLane.tile_cycles, the count its cosim asserts."""
    result = simulate(ONE_LANE, _matmul(4, k, 4), costs=costs)
    row = _row(result, "mm")
    assert row["tiles"] == 1
    assert row["cycles"] == MacLane.tile_cycles(4, k, 4, SMALL.macs_per_lane)


def test_k_counted_once_per_output_tile(costs):
    """Doubling K doubles the beats of each output tile; it does not multiply them by the
    number of K tiles (AccelTran's simulator counts K twice)."""
    lat = MacLane.pipeline_latency(SMALL.macs_per_lane)
    beats = {k: _row(simulate(ONE_LANE, _matmul(4, k, 4), costs=costs), "mm")["cycles"] + 1 - lat
             for k in (8, 16, 32)}                # cycles = beats - 1 + latency
    assert beats == {k: 16 * k // SMALL.macs_per_lane for k in (8, 16, 32)}
    assert costs.record(*requirements(SMALL)["mac"]).latency_cycles == lat


@pytest.mark.parametrize("rho", [0.0, 1.0])
def test_sparse_path_takes_the_sparse_mac_beats(costs, rho):
    """With the sparsity modules a dot product takes max(1, ⌈c/M⌉) beats per vector of the
    tile width (SparseMac.beats, as the sparse-MAC cosim measures)."""
    hw = ONE_LANE.replace(sparsity_modules=True)
    result = simulate(hw, _matmul(4, 16, 4), costs=costs, sparsity={"mm": (rho, 0.0)})
    t, m = SMALL.spatial_tile, SMALL.macs_per_lane
    effectual = round(t * (1 - rho))
    latency = (costs.record(*requirements(hw)["mac"]).latency_cycles
               + costs.record(*requirements(hw)["pre_sparsity"]).latency_cycles)
    assert _row(result, "mm")["cycles"] == 16 * (16 // t) * SparseMac.beats(effectual, m) \
        - 1 + latency


# ---------------------------------------------------------------- AccelTran's miscounts
def test_memory_energy_once_per_transfer(costs):
    """Main memory is charged once per transferred bit (values and masks); the mask buffer
    charges its own accesses, not main memory again."""
    hw = SMALL
    result = simulate(hw, _matmul(8, 8, 8, b=2), costs=costs, sparsity={"w": (0.0, 0.5)})
    memory = hw.main_memory()
    w_bits = 8 * 8 * 0.5 * hw.width + 8 * 8          # compressed values + their masks
    in_bits = 2 * 8 * 8 * hw.width + 2 * 8 * 8
    expected = (w_bits + in_bits) * memory.energy_pj_per_bit
    assert result.dynamic_by_component_pj["main_memory"] == pytest.approx(expected)
    # the loads' mask bits are written once into the mask buffer, at its own energy
    mask = sram(hw.buffer_bytes("mask"), 130).pj_per_bit
    assert _row(result, "w")["energy_pj"] == pytest.approx(
        w_bits * memory.energy_pj_per_bit + 8 * 8 * 0.5 * hw.width
        * sram(hw.buffer_bytes("weight"), 130).pj_per_bit + 8 * 8 * mask
        + 8 * 8 * result.records["dynatran"].energy_per_op_pj)


def test_fifo_sparsity_and_dma_energy_counted(costs):
    result = simulate(SMALL, _matmul(8, 8, 8, b=2), costs=costs)
    dyn, recs = result.dynamic_by_component_pj, result.records
    for component in ("fifo", "pre_sparsity", "post_sparsity", "dynatran", "main_memory",
                      "weight_buffer", "activation_buffer", "mask_buffer"):
        assert dyn[component] > 0, component
    t = SMALL.spatial_tile
    # one vector pair per dot product and K tile; one output vector per t outputs
    assert dyn["pre_sparsity"] == pytest.approx(2 * 8 * 8 * (8 // t)
                                                * recs["pre_sparsity"].energy_per_op_pj)
    assert dyn["post_sparsity"] == pytest.approx(2 * 8 * 8 / t
                                                 * recs["post_sparsity"].energy_per_op_pj)
    # DynaTran compares every value loaded (weight, input) and produced (output) once
    assert dyn["dynatran"] == pytest.approx((8 * 8 + 2 * 8 * 8 + 2 * 8 * 8)
                                            * recs["dynatran"].energy_per_op_pj)


def test_one_tile_per_softmax_unit_at_a_time(costs):
    hw = SMALL.replace(softmax_per_pe=1)
    t = hw.spatial_tile
    ops = (Op("in", "load", "in", 0, 0, (0, 0, 1), b=2, x=16, y=16),
           Op("p", "softmax", "p", 0, 0, (0, 0, 2), b=2, x=16, y=16, reads=("in",)))
    result = simulate(hw, Workload("smx", 2, 16, False, ops), costs=costs)
    record = result.records["softmax"]
    tiles, units = 2 * (16 // t), hw.softmax_units
    vectors = t * (16 // t)     # rows of the tile × vectors of t per row
    tile_cycles = math.ceil((vectors - 1) * record.initiation_interval) \
        + (t - 1) + record.latency_cycles + t
    row = _row(result, "p")
    assert row["tiles"] == tiles
    assert row["cycles"] == math.ceil(tiles / units) * tile_cycles
    events = sorted([(s, n) for s, e, n in result.busy["softmax"]]
                    + [(e, -n) for s, e, n in result.busy["softmax"]])
    running = peak = 0
    for _, n in events:
        running += n
        peak = max(peak, running)
    assert peak == units


def test_embedding_fetches_only_the_batch_rows(costs):
    wl = build_workload("bert-tiny", batch=2, seq=32)
    result = simulate(SMALL.replace(sparsity_modules=False), wl, costs=costs)
    row = _row(result, "embed.tokens")
    memory = SMALL.main_memory()
    bits = 2 * 32 * 128 * SMALL.width
    assert row["energy_pj"] == pytest.approx(
        bits * memory.energy_pj_per_bit
        + bits * sram(SMALL.buffer_bytes("activation"), 130).pj_per_bit
        + 2 * 32 * 128 * result.records["dynatran"].energy_per_op_pj)


def test_weights_not_replicated_per_batch_element(costs):
    one, four = (simulate(SMALL, _matmul(8, 8, 8, b=b), costs=costs) for b in (1, 4))
    assert _row(one, "w")["energy_pj"] == _row(four, "w")["energy_pj"]
    assert one.peak_buffer_bytes["weight"] == four.peak_buffer_bytes["weight"]
    assert four.peak_buffer_bytes["activation"] > one.peak_buffer_bytes["activation"]


def test_residual_adds_present(costs):
    result = simulate(SMALL, build_workload("bert-tiny", batch=2, seq=32), costs=costs)
    for i in range(2):
        for r in ("res1", "res2"):
            row = _row(result, f"layers.{i}.{r}")
            assert row["unit"] == "mac" and row["macs"] == 2 * 2 * 32 * 128


def test_activation_only_after_first_ff_matmul(costs):
    wl = build_workload("bert-tiny", batch=2, seq=32)
    records = costs.check(requirements(SMALL))
    mapping = Mapping().resolve(SMALL)
    roles = {op.name: plan_op(op, SMALL, mapping, records, DENSE).mac_role
             for op in wl.ops if op.kind == "matmul"}
    assert {n for n, role in roles.items() if role == "mac_act"} == {"layers.0.ff1",
                                                                      "layers.1.ff1"}
    assert records["mac_act"].params["activation"] == "gelu"
    assert records["mac"].params["activation"] == "none"


def _union(intervals):
    total, end = 0.0, -1.0
    for s, e in sorted((s, e) for s, e, _ in intervals):
        if e > end:
            total += e - max(s, end)
            end = e
    return total


def test_memory_and_compute_overlap(costs):
    result = simulate(SMALL, build_workload("bert-tiny", batch=2, seq=32), costs=costs)
    compute = [iv for pool in ("mac", "softmax", "layernorm") for iv in result.busy[pool]]
    memory = result.busy["dma"]
    both = _union(compute) + _union(memory) - _union(compute + memory)
    assert both > 0
    assert result.cycles < _union(compute) + _union(memory)


# ---------------------------------------------------------------- scheduling and power
def test_staggered_heads_overlap_lanes_and_softmax(costs):
    """Staggered: head 0 runs ahead, so the lanes serve head 1 while head 0's softmax runs
    (AccelTran Fig. 10b); equal priority: the heads advance in lock step (Fig. 10a)."""
    wl = build_workload("bert-tiny", batch=2, seq=32)
    stag = simulate(SMALL, wl, costs=costs)
    equal = simulate(SMALL, wl, costs=costs, mapping=Mapping(staggered=False))
    overlap = (_union(stag.busy["mac"]) + _union(stag.busy["softmax"])
               - _union(stag.busy["mac"] + stag.busy["softmax"]))
    assert overlap > 0
    end = lambda r, name: _row(r, name)["end"]
    assert end(stag, "layers.0.h0.pv") < end(stag, "layers.0.h1.q")
    assert end(equal, "layers.0.h0.q") < end(equal, "layers.0.h1.k")
    assert end(equal, "layers.0.h1.q") < end(equal, "layers.0.h0.k")


def test_power_gating_variants(costs):
    wl = build_workload("bert-tiny", batch=2, seq=32)
    gated = simulate(SMALL, wl, costs=costs)
    clocked = simulate(SMALL.replace(power_gating=False), wl, costs=costs)
    assert gated.idle_energy_pj == 0 and clocked.idle_energy_pj > 0
    assert gated.leakage_energy_pj < clocked.leakage_energy_pj
    assert gated.gating == clocked.gating
    assert clocked.total_energy_pj == pytest.approx(clocked.gating["ungated"]["total_pj"])
    assert gated.total_energy_pj == pytest.approx(gated.gating["gated"]["total_pj"])
    assert gated.dynamic_energy_pj == pytest.approx(clocked.dynamic_energy_pj)


def test_every_dataflow_runs_and_partial_sums_cost(costs):
    wl = _matmul(16, 16, 16, b=2)
    results = {order: simulate(SMALL, wl, costs=costs, mapping=Mapping(order=order))
               for order in ORDERS}
    k_inner = results[("b", "i", "j", "k")]
    k_outer = results[("k", "b", "i", "j")]
    assert k_outer.dynamic_by_component_pj["activation_buffer"] > \
        k_inner.dynamic_by_component_pj["activation_buffer"]
    macs = {r.ops[-1]["macs"] for o, r in results.items() if o[-1] == "k"}
    assert len(macs) == 1                          # K once per output whenever k is innermost


def test_measured_sparsity_speeds_up(costs):
    wl = build_workload("bert-tiny", batch=2, seq=32)
    dense = simulate(SMALL, wl, costs=costs)
    table = {f"layers.{i}.{m}": (0.5, 0.5) for i in range(2)
             for m in ("q", "k", "v", "s", "pv", "o", "ff1", "ff2")}
    sparse = simulate(SMALL, wl, costs=costs, sparsity=table)
    assert sparse.cycles < dense.cycles
    assert sparse.dynamic_by_component_pj["mac_lanes"] < dense.dynamic_by_component_pj[
        "mac_lanes"]


def test_training_runs_longer_than_inference(costs):
    inference = simulate(SMALL, build_workload("bert-tiny", batch=2, seq=32), costs=costs)
    training = simulate(SMALL, build_workload("bert-tiny", batch=2, seq=32, train=True),
                        costs=costs)
    assert training.cycles > 2 * inference.cycles
    assert {r["phase"] for r in training.ops} == {"forward", "backward", "update"}


# ---------------------------------------------------------------- invalid and missing
def test_invalid_designs(costs):
    wl = build_workload("bert-tiny", batch=2, seq=32)
    with pytest.raises(InvalidDesign, match=r"^activation_buffer_mb must hold one tile "
                                            r"\(24 bytes\), not 0 bytes$"):
        simulate(SMALL.replace(activation_buffer_mb=1e-7), wl, costs=costs)
    with pytest.raises(InvalidDesign, match=r"^spatial_tile must be at most the smallest "
                                            r"matrix dimension"):
        simulate(SMALL, wl, costs=costs, mapping=Mapping(spatial_tile=64))


def test_missing_records_list_the_commands(db, tmp_path):
    empty = CostDB(tmp_path / "empty.sqlite")
    with pytest.raises(MissingCosts) as info:
        simulate(SMALL, _matmul(8, 8, 8), costs=CostSource(empty))
    assert len(info.value.commands) == len(requirements(SMALL))
    assert (characterize_command(get_block("mac-lane"), dict(
        multipliers=2, il=3, fl=3, activation="gelu")) + " --db "
        + str(tmp_path / "empty.sqlite")) in info.value.commands
    asked = []

    def measure(block, params):            # stands in for `tilewright characterize`
        asked.append(block)
        record = CostSource(db).record(block, params)
        empty.put(record)
    result = simulate(SMALL, _matmul(8, 8, 8), costs=CostSource(empty, characterize=measure))
    assert sorted(asked) == sorted(b for b, _ in requirements(SMALL).values())
    assert result.cycles > 0


def test_records_scaled_to_another_node(db):
    from tilewright.flows.costs.scaling import area_factor, energy_factor, power_factor
    plain, scaled = CostSource(db), CostSource(db, node_nm=14)
    block, params = requirements(SMALL)["mac"]
    a, b = plain.record(block, params), scaled.record(block, params)
    assert b.node_nm == 14 and a.node_nm == 130
    assert b.energy_per_op_pj == pytest.approx(a.energy_per_op_pj * energy_factor(130, 14))
    assert b.area_um2 == pytest.approx(a.area_um2 * area_factor(130, 14))
    assert b.leakage_mw == pytest.approx(a.leakage_mw * power_factor(130, 14))
    assert (b.latency_cycles, b.initiation_interval) == (a.latency_cycles,
                                                         a.initiation_interval)
    wl = _matmul(8, 8, 8)
    small, big = (simulate(SMALL, wl, costs=c) for c in (scaled, plain))
    assert small.cycles == big.cycles and small.area_um2 < big.area_um2
