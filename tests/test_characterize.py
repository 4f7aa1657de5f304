"""Characterization end to end on a small MAC lane: synthesis, RTL and gate-level runs of
the stimulus test, energy rising with activity, records reused by key, the CLI."""

import json

import pytest
from click.testing import CliRunner

from tilewright.cli import cli
from tilewright.flows import characterize as ch
from tilewright.flows.costs.store import CostDB

pytestmark = pytest.mark.cosim

PARAMS = {"multipliers": 1, "il": 4, "fl": 4}


def test_characterize_end_to_end(tmp_path, monkeypatch):
    """One test (one xdist worker) so that the two Verilator builds happen once."""
    db = CostDB(tmp_path / "c.sqlite")
    rand = ch.characterize("mac-lane", PARAMS, db=db)
    zeros = ch.characterize("mac-lane", PARAMS, db=db, stimulus="zeros")
    measured = db, rand, zeros
    check_record_contents(measured)
    check_same_figures_on_verilator(rand)
    check_wire_load(rand, ch.characterize("mac-lane", PARAMS, wire_load="none"))
    check_energy_rises_with_activity(measured)
    check_cli(measured)
    check_cli_config(measured, tmp_path)
    check_reused_by_key_and_deterministic(measured, monkeypatch)


def check_record_contents(measured):
    db, rand, _ = measured
    assert rand.details["gate_checked"]
    assert rand.technology == "sky130_fd_sc_hd__tt_025C_1v80" and rand.node_nm == 130
    assert rand.area_um2 > 0 and rand.leakage_mw > 0 and rand.energy_per_op_pj > 0
    # cycles come from the testbench's measurement of its tile product
    assert rand.stimulus["test"] == "tile_throughput"
    assert rand.operation == "multiply-accumulate"
    assert (rand.unit, rand.unit_shape) == ("mac", ())
    assert db.lookup("mac-lane", PARAMS).key == rand.key      # the random stimulus's
    assert db.missing([("mac-lane", PARAMS)]) == []
    assert rand.latency_cycles == 3 and rand.initiation_interval == 1
    assert rand.cycles == rand.operations - 1 + rand.latency_cycles
    # energy per operation: a run with the workload twice over less a run with it once
    e, runs = rand.details["energy_pj"], rand.details["run_energy_pj"]
    assert rand.details["marginal_operations"] == rand.operations
    assert runs["operations"] == [rand.operations, 2 * rand.operations]
    assert e["total"] == pytest.approx(runs["total"][1] - runs["total"][0])
    assert e["total"] == pytest.approx(rand.energy_per_op_pj * rand.operations)
    assert rand.details["marginal_cycles"] == runs["clock_cycles"][1] - runs["clock_cycles"][0]
    # reset, fill and drain cost energy that the difference leaves out
    assert runs["total"][0] / rand.operations > rand.energy_per_op_pj
    assert rand.dynamic_mw == pytest.approx(rand.energy_per_op_pj * 0.7)
    # at rest (inputs 0, clock running) nothing but the clock switches; busy, the clock is
    # charged the same per cycle and the data on top
    idle = rand.details["idle"]
    assert idle["cycles"] == ch.IDLE_CYCLES[1] - ch.IDLE_CYCLES[0] and idle["toggles"] == 0
    assert idle["energy_pj"]["total"] == idle["energy_pj"]["clock"] > 0
    assert rand.idle_pj_per_cycle == pytest.approx(idle["energy_pj"]["total"] / idle["cycles"])
    assert rand.idle_pj_per_cycle == pytest.approx(e["clock"] / rand.details["marginal_cycles"])
    assert 0 < rand.idle_mw < rand.dynamic_mw
    assert set(rand.details["rtl_port_toggles"]) >= {"i__payload", "o__payload", "clk"}
    assert rand.tools["yosys"].startswith("Yosys 0.70") and len(db) == 2
    # static timing of the mapped netlist: a register-to-register path, far below 700 MHz
    timing = rand.details["timing"]
    assert rand.fmax_mhz == pytest.approx(1e3 / timing["period_ns"])
    assert 50 < rand.fmax_mhz < 700 and rand.clock_reachable is False
    assert timing["end"].endswith(".D") and timing["logic_depth"] > 5


def check_same_figures_on_verilator(rand):
    """The netlist simulated by Verilator running the testbenches gives the figures the
    native replay of the RTL runs gave (tests/test_gate_replay.py: net for net)."""
    assert rand.details["gate_sim"] == "native"
    old = ch.characterize("mac-lane", PARAMS, gate_sim="verilator")
    assert old.key == rand.key and old.details["gate_sim"] == "verilator"
    for name in ("area_um2", "leakage_mw", "energy_per_op_pj", "idle_pj_per_cycle",
                 "fmax_mhz", "cycles", "latency_cycles", "operations"):
        assert getattr(old, name) == getattr(rand, name), name
    for name in ("energy_pj", "idle", "run_energy_pj", "gate_toggles", "clock_cycles",
                 "rtl_port_toggles", "energy_by_cell_type_pj"):
        assert old.details[name] == rand.details[name], name
    with pytest.raises(ValueError, match="gate_sim must be one of 'native', 'verilator', "
                                         "not 'iverilog'"):
        ch.characterize("mac-lane", PARAMS, gate_sim="iverilog")


def check_wire_load(rand, bare):
    """The library's default wire-load model adds capacitance (energy) and wire delay."""
    wires = rand.details["wire_load"]
    assert wires["name"] == "Small" and bare.details["wire_load"] is None
    assert bare.key != rand.key and bare.area_um2 == rand.area_um2
    assert bare.energy_per_op_pj < rand.energy_per_op_pj < 1.5 * bare.energy_per_op_pj
    assert bare.idle_pj_per_cycle < rand.idle_pj_per_cycle
    assert rand.fmax_mhz < bare.fmax_mhz < 1.5 * rand.fmax_mhz


def check_energy_rises_with_activity(measured):
    _, rand, zeros = measured
    assert zeros.energy_per_op_pj < rand.energy_per_op_pj
    assert zeros.details["gate_toggles"] < rand.details["gate_toggles"]
    assert zeros.details["rtl_port_toggles"]["i__payload"] < \
        rand.details["rtl_port_toggles"]["i__payload"]
    assert zeros.area_um2 == rand.area_um2 and zeros.key != rand.key


def check_reused_by_key_and_deterministic(measured, monkeypatch):
    db, rand, _ = measured
    again = ch.characterize("mac-lane", PARAMS, db=db, force=True)
    for field in ("area_um2", "leakage_mw", "energy_per_op_pj", "cycles", "cells", "key"):
        assert getattr(again, field) == getattr(rand, field)

    def no_simulation(*args, **kwargs):
        raise AssertionError("a stored record must be reused")
    monkeypatch.setattr(ch, "simulate", no_simulation)
    monkeypatch.setattr(ch, "synthesize", no_simulation)
    assert ch.characterize("mac-lane", PARAMS, db=db).key == rand.key


def check_cli(measured):
    db, rand, _ = measured
    runner = CliRunner()
    args = ["characterize", "mac-lane", "--param", "multipliers=1", "--param", "il=4",
            "--param", "fl=4", "--db", db.url]
    out = runner.invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert rand.key[:12] in out.output and f"{rand.area_um2:.1f}" in out.output
    assert f"{rand.fmax_mhz:.1f}! " in out.output
    assert out.stdout.splitlines()[-1] == ("! fmax below the assumed clock (700 MHz): dyn mW "
                                           "is the power at a clock the netlist cannot reach")
    listed = runner.invoke(cli, ["costs", "list", "--db", db.url])
    assert listed.output.count("mac-lane") == 2
    shown = json.loads(runner.invoke(cli, ["costs", "show", rand.key[:10], "--db", db.url])
                       .output)
    assert shown[0]["area_um2"] == rand.area_um2
    csv_text = runner.invoke(cli, ["costs", "export", "--format", "csv", "--db", db.url]).output
    assert csv_text.splitlines()[0].startswith("key,block,params,area_um2")
    assert len(csv_text.splitlines()) == 3
    ert = runner.invoke(cli, ["costs", "export", "--format", "accelergy", "--db",
                              db.url]).output
    assert "ERT:" in ert and "ART:" in ert and f"energy: {rand.energy_per_op_pj:.6g}" in ert
    leak_pj = rand.leakage_mw / rand.clock_mhz * 1e3
    assert (f"    - name: idle\n      arguments: null\n      energy: "
            f"{rand.idle_pj_per_cycle + leak_pj:.6g}   # pJ per cycle (clocked + leakage)\n"
            f"    - name: leak\n      arguments: null\n      energy: {leak_pj:.6g}   ") in ert


def check_cli_config(measured, tmp_path):
    db, rand, _ = measured
    cfg = tmp_path / "two.toml"
    cfg.write_text('name = "two"\n' + "".join(
        f'[[blocks]]\nblock = "mac-lane"\ninstance = "{name}"\nmultipliers = 1\nil = 4\n'
        f'fl = 4\n' for name in ("lane_a", "lane_b")))
    for executor in (["--executor", "local"], ["--executor", "dask", "--workers", "2"]):
        out = CliRunner().invoke(cli, ["characterize", "--config", str(cfg), "--db", db.url,
                                       *executor])
        assert out.exit_code == 0, out.output
        rows = [line for line in out.output.splitlines() if line.startswith("lane_")]
        assert len(rows) == 2 and all(rand.key[:12] in row for row in rows)


def test_cli_errors(tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["costs", "list", "--db", str(tmp_path / "none.sqlite")])
    assert out.exit_code == 2
    assert f"no cost database at {str(tmp_path / 'none.sqlite')!r}" in out.output
    out = runner.invoke(cli, ["characterize"])
    assert out.exit_code == 2 and "give exactly one of BLOCK or --config" in out.output
    out = runner.invoke(cli, ["characterize", "mac-lane", "--clock-mhz", "0"])
    assert "--clock-mhz must be a positive number, not '0'" in out.output


def test_bad_wire_load_one_line_nothing_written(tmp_path, run_cli):
    db = tmp_path / "c.sqlite"
    assert run_cli("characterize", "mac-lane", "--wire-load", "Tiny", "--db", str(db)) == (
        2, "", "tilewright: error: wire load must be one of 'default', 'none', 'Small', "
        "'Medium', 'Large', 'Huge', not 'Tiny'\n")
    assert not db.exists()


def test_lookup_elaborates_once(tmp_path, monkeypatch):
    """A lookup served from the database needs the Verilog's digest, not the Verilog: it
    elaborates once, then reads the digest back, until a generator's source changes."""
    monkeypatch.setenv("TILEWRIGHT_CACHE", str(tmp_path))
    elaborated = []
    real = ch.generate
    monkeypatch.setattr(ch, "generate", lambda *a, **k: elaborated.append(a) or real(*a, **k))

    class Stored:
        def get(self, key):
            self.key = key
            return "record"
    db = Stored()
    ch._generated.cache_clear()
    assert ch.characterize("multiplier", {"bits": 4}, db=db) == "record"
    first = db.key
    ch._generated.cache_clear()
    assert ch.characterize("multiplier", {"bits": 4}, db=db) == "record"
    assert len(elaborated) == 1 and db.key == first
    monkeypatch.setattr(ch, "_generator_sources", lambda: "a generator changed")
    ch.characterize("multiplier", {"bits": 4}, db=db)
    assert len(elaborated) == 2 and db.key == first         # the same Verilog: same key
    ch.characterize("multiplier", {"bits": 5}, db=db)
    assert len(elaborated) == 3 and db.key != first
    ch._generated.cache_clear()
