"""Static timing: hand-computed paths on a toy library (rising and falling edges apart,
unateness, loads), loops and units rejected, and agreement with ABC's own timer on a
real sky130 netlist."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tilewright.cosim.gate.liberty import load_liberty, parse_liberty, read_text, default_liberty
from tilewright.cosim.gate.synth import _WORKER, script, synthesize
from tilewright.cosim.gate.timing import TimingError, critical_path
from tilewright.flows.generate import generate

COUNTER = (Path(__file__).parent / "data" / "counter.v").read_text()


def _table(kind, values, index_2="0.0, 0.01"):
    return (f'{kind} ("t") {{ index_1("0.0, 1.0"); index_2("{index_2}"); '
            f'values("{values}", "{values}"); }}')


def toy_library(sense="negative_unate", time_unit="1ns"):
    """An inverter (rise 0.3 ns at no load to 0.5 ns at 0.01 pF, fall 0.1 ns) and a
    flip-flop (clock to Q: rise 0.4, fall 0.5; setup: rise 0.2, fall 0.07)."""
    return parse_liberty(f"""
library ("toy") {{
  time_unit : "{time_unit}";
  cell ("inv") {{
    area : 1;
    pin ("A") {{ direction : "input"; capacitance : 0.005; }}
    pin ("Y") {{ direction : "output"; function : "!A";
      timing () {{ related_pin : "A"; timing_sense : "{sense}";
        {_table("cell_rise", "0.3, 0.5")} {_table("cell_fall", "0.1, 0.1")}
        {_table("rise_transition", "0.05, 0.05")} {_table("fall_transition", "0.05, 0.05")}
      }} }}
  }}
  cell ("dff") {{
    area : 4;
    ff ("IQ", "IQN") {{ clocked_on : "CLK"; next_state : "D"; }}
    pin ("CLK") {{ direction : "input"; capacitance : 0.001; }}
    pin ("D") {{ direction : "input"; capacitance : 0.002;
      timing () {{ related_pin : "CLK"; timing_type : "setup_rising";
        {_table("rise_constraint", "0.2, 0.2")} {_table("fall_constraint", "0.07, 0.07")}
      }} }}
    pin ("Q") {{ direction : "output"; function : "IQ";
      timing () {{ related_pin : "CLK"; timing_type : "rising_edge";
        {_table("cell_rise", "0.4, 0.4")} {_table("cell_fall", "0.5, 0.5")}
        {_table("rise_transition", "0.05, 0.05")} {_table("fall_transition", "0.05, 0.05")}
      }} }}
  }}
}}
""")


def _cell(kind, **pins):
    return {"type": kind, "connections": {p: [b] for p, b in pins.items()}}


#: ports clk=2, d=3, q=4; ff1 (D=d) -> inv1 -> inv2 -> ff2 (Q=q)
PIPE = {
    "ports": {"clk": {"direction": "input", "bits": [2]}, "d": {"direction": "input",
                                                           "bits": [3]},
              "q": {"direction": "output", "bits": [4]}},
    "cells": {"ff1": _cell("dff", CLK=2, D=3, Q=10), "inv1": _cell("inv", A=10, Y=11),
              "inv2": _cell("inv", A=11, Y=12), "ff2": _cell("dff", CLK=2, D=12, Q=4)},
    "netnames": {},
}


def test_register_to_register_path_by_hand():
    # inv1 drives inv2 (0.005 pF): rise 0.4; inv2 drives ff2.D (0.002 pF): rise 0.34.
    # Q rise 0.4 -> inv1 fall 0.5 -> inv2 rise 0.84 -> + setup 0.2 = 1.04
    # Q fall 0.5 -> inv1 rise 0.9 -> inv2 fall 1.0 -> + setup 0.07 = 1.07  (critical)
    report = critical_path(PIPE, toy_library())
    assert report.period_ns == pytest.approx(1.07)
    assert report.setup_ns == pytest.approx(0.07)
    assert report.fmax_mhz == pytest.approx(1e3 / 1.07)
    assert report.start == "dff.Q (clock to output)" and report.end == "dff.D"
    assert [(c, p) for c, p, _ in report.path] == [
        ("dff.Q (clock to output)", None), ("inv", "Y"), ("inv", "Y")]
    assert [t for *_, t in report.path] == pytest.approx([0.5, 0.9, 1.0])
    assert report.logic_depth == 2
    assert report.endpoints == 2 * 2 + 2          # two D pins and one output, both edges


def test_non_unate_arcs_take_either_input_edge():
    # inv1 rise = max(0.4, 0.5) + 0.4 = 0.9, fall 0.6; inv2 rise = 0.9 + 0.34 = 1.24
    report = critical_path(PIPE, toy_library(sense="non_unate"))
    assert report.period_ns == pytest.approx(1.24 + 0.2)


def test_time_unit_scales_to_ns():
    report = critical_path(PIPE, toy_library(time_unit="100ps"))
    assert report.period_ns == pytest.approx(0.107)


def test_untimed_netlist():
    wires = {"ports": {"a": {"direction": "input", "bits": [2]}}, "cells": {},
             "netnames": {}}
    report = critical_path(wires, toy_library())
    assert report.period_ns == 0.0 and report.fmax_mhz is None


def test_loop_and_unit_errors():
    loop = {"ports": {}, "cells": {"a": _cell("inv", A=5, Y=6), "b": _cell("inv", A=6, Y=5)},
            "netnames": {}}
    with pytest.raises(TimingError) as e:
        critical_path(loop, toy_library())
    assert str(e.value) == "combinational loop through cells of type inv"
    with pytest.raises(TimingError) as e:
        critical_path(PIPE, toy_library(time_unit="1us"))
    assert str(e.value) == "toy: time_unit must be one of 1ns, 1ps, 10ps, 100ps, not '1us'"


def _abc_delay_ps(verilog, top, work):
    """ABC's own timer (``stime``) on the same mapping: tilewright's synthesis script up to
    its ``abc`` step, which runs ABC's default liberty script with ``stime -p`` appended."""
    (work / "design.v").write_text(verilog)
    (work / "cells.lib").write_bytes(read_text(default_liberty()))
    lines = script(top, "cells.lib")
    k = next(i for i, line in enumerate(lines) if line.startswith("abc "))
    abc = ("+strash;&get,-n;&fraig,-x;&put;scorr;dc2;dretime;strash;&get,-n;&dch,-f;&nf;"
           "&put;stime,-p")
    (work / "s.ys").write_text("\n".join(lines[:k] + [f"{lines[k]} -script {abc}"]) + "\n")
    log = subprocess.run([sys.executable, "-c", _WORKER, "s.ys"], cwd=work,
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Delay =\s*([\d.]+) ps", log).group(1))


@pytest.mark.parametrize("block, params", [
    ("multiplier", {"kind": "exact", "bits": 8}),
    ("mac-lane", {"multipliers": 2, "il": 4, "fl": 4}),
])
def test_agrees_with_abc_timer(block, params, tmp_path):
    """ABC times the logic between registers and ports (arrival 0 at its inputs, no
    setup); the same span of our path is its arrival at the end point less the
    launch."""
    item = generate(block, params)
    synth = synthesize(item.verilog, item.instance)
    report = critical_path(synth.netlist, load_liberty())
    logic_ps = 1e3 * (report.period_ns - report.setup_ns - report.path[0][2])
    assert logic_ps == pytest.approx(_abc_delay_ps(item.verilog, item.instance, tmp_path),
                                     rel=0.05)
    assert report.logic_depth > 10


def test_path_ends_named_by_their_registers():
    synth = synthesize(COUNTER, "counter")
    report = critical_path(synth.netlist, load_liberty(), COUNTER)
    assert report.start == "q: sky130_fd_sc_hd__dfxtp_1.Q (clock to output)"
    assert report.end.startswith("q: sky130_fd_sc_hd__") and report.end.endswith(".D")
    unnamed = critical_path(synth.netlist, load_liberty())
    assert unnamed.start == "sky130_fd_sc_hd__dfxtp_1.Q (clock to output)"
    assert unnamed.period_ns == report.period_ns > 0


def test_wire_load_by_hand():
    # every net has fanout 1: 0.001 pF of wire and 10 kOhm, so a sink of C_pin waits
    # 10 * (0.001 + C_pin) ns and each driver sees 0.001 pF more.
    # Q fall 0.5 + 0.06 -> inv1 rise (0.006 pF: 0.42) 0.98 + 0.06 -> inv2 fall 1.14
    #   + 0.03 to ff2.D + setup 0.07 = 1.24   (rise first: 1.21)
    import dataclasses
    from tilewright.cosim.gate.liberty import WireLoad
    wires = WireLoad("w", capacitance=0.001, resistance=10.0, slope=0.0,
                     fanout_length=((1.0, 1.0),))
    lib = toy_library()
    assert critical_path(PIPE, lib, wire_load=wires).period_ns == pytest.approx(1.24)
    # capacitance alone (a best-case tree: the sinks see no resistance): 1.09
    best = dataclasses.replace(lib, tree_type="best_case_tree")
    assert critical_path(PIPE, best, wire_load=wires).period_ns == pytest.approx(1.09)
    worst = dataclasses.replace(lib, tree_type="worst_case_tree")   # one sink: the same
    assert critical_path(PIPE, worst, wire_load=wires).period_ns == pytest.approx(1.24)
    odd = dataclasses.replace(lib, tree_type="star")
    with pytest.raises(TimingError) as e:
        critical_path(PIPE, odd, wire_load=wires)
    assert str(e.value) == ("toy: tree_type must be one of balanced_tree, worst_case_tree, "
                            "best_case_tree, not 'star'")
