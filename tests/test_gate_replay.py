"""The native gate-level path: Liberty functions as truth tables, the levelized evaluator,
VCD port traces, replay against the RTL — and, per block at a small size, the same
toggles as Verilator's toggle coverage of the netlist, net for net and run for run."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.test_characterize_blocks import SMALL
from tilewright.cosim.gate.energy import dynamic_energy
from tilewright.cosim.gate.liberty import load_liberty, parse_liberty
from tilewright.cosim.gate.logic import LogicError, truth_table
from tilewright.cosim.gate.native import NativeError, NativeNetlist
from tilewright.cosim.gate.replay import GateMismatch, replay, top_ports
from tilewright.cosim.gate.sim import simulate
from tilewright.cosim.gate.synth import synthesize
from tilewright.cosim.gate.vcd import read_ports
from tilewright.flows import characterize as ch
from tilewright.flows.generate import generate
from tilewright.gen.catalogue import get_block

TOY = r"""
library ("toy") {
  cell ("tie") { pin ("HI") { direction : "output"; function : "1"; } }
  cell ("inv") { pin ("A") { direction : "input"; }
                 pin ("Y") { direction : "output"; function : "A'"; } }
  cell ("nand") { pin ("A") { direction : "input"; } pin ("B") { direction : "input"; }
                  pin ("Y") { direction : "output"; function : "!(A B)"; } }
  cell ("dffr") {
    ff ("IQ", "IQ_N") { clocked_on : "CLK"; next_state : "D"; clear : "!RESET_B"; }
    pin ("CLK") { direction : "input"; } pin ("D") { direction : "input"; }
    pin ("RESET_B") { direction : "input"; }
    pin ("Q") { direction : "output"; function : "IQ"; }
    pin ("Q_N") { direction : "output"; function : "IQ_N"; }
  }
  cell ("latch") {
    latch ("IQ", "IQ_N") { enable : "GATE"; data_in : "D"; }
    pin ("GATE") { direction : "input"; } pin ("D") { direction : "input"; }
    pin ("Q") { direction : "output"; function : "IQ"; }
  }
}
"""


def test_truth_tables():
    assert list(truth_table("(A&!B) | (!A&B)", ["A", "B"])) == [0, 1, 1, 0]
    assert list(truth_table("A B + C'", ["A", "B", "C"])) == [1, 1, 1, 1, 0, 0, 0, 1]
    assert list(truth_table("A^B*C", ["A", "B", "C"])) == [0, 0, 0, 0, 0, 1, 1, 0]  # (A^B)C
    assert list(truth_table("1", [])) == [1] and list(truth_table("0", ["A"])) == [0, 0]
    mux4 = truth_table("(A0&!S0&!S1) | (A1&S0&!S1) | (A2&!S0&S1) | (A3&S0&S1)",
                       ["A0", "A1", "A2", "A3", "S0", "S1"])
    for i in range(64):
        assert mux4[i] == (i >> ((i >> 4) & 3)) & 1
    with pytest.raises(LogicError, match="reads C, not among A, B"):
        truth_table("A&C", ["A", "B"])
    with pytest.raises(LogicError, match="unbalanced"):
        truth_table("(A&B", ["A", "B"])


def test_library_functions_and_storage():
    lib = parse_liberty(TOY)
    assert lib.cell("nand").pins["Y"].function == "!(A B)"
    ff = lib.cell("dffr").storage
    assert (ff.kind, ff.state, ff.state_n, ff.trigger, ff.data, ff.clear, ff.preset) == \
        ("ff", "IQ", "IQ_N", "CLK", "D", "!RESET_B", None)
    assert lib.cell("latch").storage.kind == "latch" and lib.cell("inv").storage is None
    sky = load_liberty()
    dff = sky.cell("sky130_fd_sc_hd__dfrtp_1").storage
    assert (dff.trigger, dff.data, dff.clear) == ("CLK", "D", "!RESET_B")
    assert sky.cell("sky130_fd_sc_hd__conb_1").pins["HI"].function == "1"


def _netlist(cells, ports, names=None):
    """Yosys-JSON-like netlist: ``cells`` name -> (type, connections)."""
    bits = {b for _, conns in cells.values() for v in conns.values() for b in v
            if isinstance(b, int)} | {b for _, v in ports.values() for b in v}
    netnames = names or {f"n{b}": {"hide_name": 0, "bits": [b]} for b in sorted(bits)}
    return {"ports": {n: {"direction": d, "bits": b} for n, (d, b) in ports.items()},
            "cells": {n: {"type": t, "connections": c} for n, (t, c) in cells.items()},
            "netnames": netnames}


def _counter():
    """A divide-by-two flip-flop (Q_N -> D) with asynchronous reset, and a NAND of Q with
    input ``en`` driving output ``y``; the flip-flop starts at 1 (``init``)."""
    net = _netlist({"ff": ("dffr", {"CLK": [2], "D": [5], "RESET_B": [3], "Q": [4],
                                    "Q_N": [5]}),
                    "g": ("nand", {"A": [4], "B": [6], "Y": [7]})},
                   {"clk": ("input", [2]), "rst_n": ("input", [3]), "en": ("input", [6]),
                    "y": ("output", [7])})
    net["netnames"]["n4"]["attributes"] = {"init": "1"}
    return net


def _step(native, values, **inputs):
    rows = np.array([native.ports[n][1][0] for n in inputs])
    before = native.step(values, rows, np.array([[v] for v in inputs.values()], np.uint8))
    return int((values != before).sum())


def test_native_flip_flop_edges_clear_and_init():
    native = NativeNetlist(_counter(), parse_liberty(TOY))
    q, y = native.index[4], native.index[7]
    values = native.initial(1)
    assert values[q, 0] == 1 and values[y, 0] == 1          # init 1, en 0
    _step(native, values, rst_n=1, en=1)
    assert (values[q, 0], values[y, 0]) == (1, 0)
    seen = []
    for _ in range(4):                                        # rising edges toggle Q
        _step(native, values, clk=1)
        seen.append(int(values[q, 0]))
        _step(native, values, clk=0)
        assert values[q, 0] == seen[-1]                       # falling edges do not
    assert seen == [0, 1, 0, 1]
    _step(native, values, rst_n=0)                            # asynchronous clear
    assert values[q, 0] == 0 and values[y, 0] == 1
    _step(native, values, clk=1)
    assert values[q, 0] == 0                                  # held in reset


def test_native_latch_tie_and_errors():
    lib = parse_liberty(TOY)
    tied = NativeNetlist(_netlist({"t": ("tie", {"HI": [2]}), "i": ("inv", {"A": [2], "Y": [3]})},
                                  {"y": ("output", [3])}), lib)
    assert tied.initial(1)[[tied.index[2], tied.index[3]], 0].tolist() == [1, 0]
    net = _netlist({"l": ("latch", {"GATE": [2], "D": [3], "Q": [4]})},
                   {"g": ("input", [2]), "d": ("input", [3]), "q": ("output", [4])})
    native = NativeNetlist(net, lib)
    values = native.initial(2)
    native.step(values, np.array([native.index[3]]), np.array([[1, 1]], np.uint8))
    assert list(values[native.index[4]]) == [0, 0]
    native.step(values, np.array([native.index[2]]), np.array([[1, 0]], np.uint8))
    assert list(values[native.index[4]]) == [1, 0]              # transparent in lane 0
    loop = _netlist({"a": ("inv", {"A": [2], "Y": [3]}), "b": ("inv", {"A": [3], "Y": [2]})},
                    {})
    with pytest.raises(NativeError, match="combinational loop"):
        NativeNetlist(loop, lib)


VCD = """$timescale 1ps $end
 $scope module $rootio $end
  $var wire 1 ! clk $end
  $var wire 2 " d [1:0] $end
  $var wire 1 # q $end
 $upscope $end
 $scope module top $end
  $var wire 1 $ clk $end
 $upscope $end
$enddefinitions $end
#0
1!
b10 "
0#
1$
#5
0!
#10
1!
b1 "
1#
"""


def test_read_ports(tmp_path):
    path = tmp_path / "dump.vcd"
    path.write_text(VCD)
    trace = read_ports(path, {"clk": 1, "d": 2, "q": 1})
    assert list(trace.times) == [0, 5, 10] and trace.timescale == "1ps"
    assert trace.values["clk"][:, 0].tolist() == [1, 0, 1]
    assert trace.values["d"].tolist() == [[0, 1], [0, 1], [1, 0]]       # LSB first
    assert trace.values["q"][:, 0].tolist() == [0, 0, 1]
    with pytest.raises(KeyError, match="no trace of port.*e"):
        read_ports(path, {"e": 1})


def test_replay_checks_outputs(tmp_path):
    """A buffer (two inverters) from ``d[0]`` to ``q``: the VCD above agrees with it; one
    whose ``q`` falls at 15 while ``d[0]`` stays 1 does not."""
    lib = parse_liberty(TOY)
    net = _netlist({"a": ("inv", {"A": [3], "Y": [5]}), "b": ("inv", {"A": [5], "Y": [6]})},
                   {"clk": ("input", [2]), "d": ("input", [3, 4]), "q": ("output", [6])})
    path = tmp_path / "dump.vcd"
    path.write_text(VCD.replace("#10\n1!\nb1 \"\n1#", "#10\n1!\nb1 \"\n1#\n#15\n0#"))
    trace = read_ports(path, {"clk": 1, "d": 2, "q": 1})
    with pytest.raises(GateMismatch, match=r"at time 15 \(1ps\) of run 0 on output\(s\) q"):
        replay(net, lib, [trace])
    good = tmp_path / "good.vcd"
    good.write_text(VCD)
    (toggles,) = replay(net, lib, [read_ports(good, {"clk": 1, "d": 2, "q": 1})])
    # d[0] rises at 10, the buffer with it; n5 starts at 1 (from 0, as coverage counts);
    # d[1] rises at 0 and falls at 10
    assert (toggles["n3"], toggles["n5"], toggles["n6"], toggles["n4"]) == (1, 2, 1, 2)


def test_replay_applies_time_0_inputs_before_the_edge(tmp_path):
    """At time 0 the testbench's first writes and the clock's first rising edge reach the
    model in one evaluation, inputs settled first: a flip-flop takes ``d`` = 1 there (as
    the RTL did, and Verilator on the netlist), then keeps it until the next edge."""
    net = _netlist({"ff": ("dffr", {"CLK": [2], "D": [3], "RESET_B": [4], "Q": [5]})},
                   {"clk": ("input", [2]), "d": ("input", [3]), "rst_n": ("input", [4]),
                    "q": ("output", [5])})
    path = tmp_path / "dump.vcd"
    path.write_text("$timescale 1ps $end\n $scope module $rootio $end\n"
                    "  $var wire 1 ! clk $end\n  $var wire 1 \" d $end\n"
                    "  $var wire 1 # rst_n $end\n  $var wire 1 $ q $end\n $upscope $end\n"
                    "$enddefinitions $end\n#0\n1!\n1\"\n1#\n1$\n#5\n0!\n0\"\n"
                    "#10\n1!\n0$\n")
    trace = read_ports(path, {"clk": 1, "d": 1, "rst_n": 1, "q": 1})
    (toggles,) = replay(net, parse_liberty(TOY), [trace])
    assert (toggles["n5"], toggles["n3"]) == (2, 2)


def test_top_ports():
    text = ("module sub(a);\n  input a;\nendmodule\nmodule top(clk, o, i);\n  input clk;\n"
            "  output [7:0] o;\n  input [3:0] i;\n  wire x;\nendmodule\n")
    assert top_ports(text, "top") == {"clk": ("input", 1), "o": ("output", 8),
                                      "i": ("input", 4)}


#: Ports wider than 64 bits (whose 32-bit words' toggles Verilator's coverage aliased)
#: and than 256 (which it neither covered nor traced), registered and inverted.
WIDE = """module wide(clk, rst, a, b, q, r);
  input clk;
  input rst;
  input [299:0] a;
  input [99:0] b;
  output reg [299:0] q;
  output [99:0] r;
  always @(posedge clk) q <= rst ? 300'd0 : a;
  assign r = ~b;
endmodule
"""


@pytest.mark.cosim
def test_wide_ports_counted_alike():
    """Toggle coverage of the RTL, the RTL's port trace and the netlist replayed natively
    count the same toggles on every bit of ports 100 and 300 bits wide."""
    ports = top_ports(WIDE, "wide")
    widths = {name: width for name, (_, width) in ports.items()}
    rtl = simulate("wide-ports", {}, WIDE, "wide", "tests.tb_wide_ports", "drive", seed=1,
                   trace=widths)
    synth = synthesize(WIDE, "wide")
    (native,) = replay(synth.netlist, load_liberty(), [rtl.ports])
    for name, width in widths.items():
        bits = [name] if width == 1 else [f"{name}[{i}]" for i in range(width)]
        values = rtl.ports.values[name].astype(int)
        traced = (np.abs(np.diff(values, axis=0)).sum(axis=0) + values[0]).tolist()
        assert [rtl.toggles[b] for b in bits] == traced, name
        assert [native[b] for b in bits] == traced, name
    assert rtl.port_toggles({"a": 300})["a"] > 300          # the random data moved


#: Blocks compared in the default suite (each needs a Verilator build of its netlist).
DEFAULT = ("pre-sparsity",)


@pytest.mark.cosim
@pytest.mark.parametrize("name", [
    pytest.param(name, marks=() if name in DEFAULT else pytest.mark.full) for name in SMALL])
def test_native_equals_verilator(name):
    """The four runs characterization measures, on the RTL traced and replayed natively
    and on the netlist in Verilator with the testbenches: the same toggles per net bit,
    hence the same energy, the same cycles; the Verilator runs' scoreboards pass (golden
    model). Verilator also covers the simulatable netlist's flip-flop state registers
    (``o__payload_reg[5]``, named after the cells), which are not nets of the mapped
    netlist and which the energy does not read."""
    block = get_block(name)
    item = generate(name, SMALL[name])
    synth = synthesize(item.verilog, item.instance)
    declared = top_ports(item.verilog, item.instance)
    with ThreadPoolExecutor(max_workers=2) as pool:
        rtl = ch.stimulus_runs(pool, name, item.params, item.verilog, item.instance, block,
                               ch.DEFAULT_SEED, "random", declared, trace=True)
        gate = ch.stimulus_runs(pool, f"{name}-gate", item.params, synth.gate_verilog,
                                item.instance, block, ch.DEFAULT_SEED, "random", declared,
                                public=tuple(synth.netlist["ports"]))
    library = load_liberty()
    native = ch._native_runs(synth.netlist, library, rtl)
    nets = {f"{n}[{i}]" if len(v["bits"]) > 1 else n
            for n, v in synth.netlist["netnames"].items() for i in range(len(v["bits"]))}
    for ours, theirs in zip(native, gate):
        assert ours.clock_cycles == theirs.clock_cycles
        assert ours.report == theirs.report
        diff = {k: (ours.toggles.get(k), v) for k, v in theirs.toggles.items()
                if ours.toggles.get(k, v if k not in nets else None) != v}
        assert not diff and set(ours.toggles) <= set(theirs.toggles)
        assert dynamic_energy(synth.netlist, library, ours.toggles, ours.clock_cycles) == \
            dynamic_energy(synth.netlist, library, theirs.toggles, theirs.clock_cycles)
