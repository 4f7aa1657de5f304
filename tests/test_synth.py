"""pyosys synthesis to sky130: area, cells, leakage, determinism, generic gates."""

import re
from pathlib import Path

import pytest

from tilewright.cosim.gate.liberty import load_liberty
from tilewright.cosim.gate.synth import SynthesisError, module_sources, synthesize
from tilewright.flows.generate import generate

COUNTER = (Path(__file__).parent / "data" / "counter.v").read_text()


@pytest.fixture(scope="module")
def small_lane():
    item = generate("mac-lane", {"multipliers": 2, "il": 4, "fl": 4})
    return item, synthesize(item.verilog, item.instance)


def test_mac_lane_maps_to_sky130(small_lane):
    item, result = small_lane
    lib = load_liberty()
    assert result.library == "sky130_fd_sc_hd__tt_025C_1v80"
    assert all(c.startswith("sky130_fd_sc_hd__") for c in result.cells)
    assert not any("lpflow" in c for c in result.cells)
    # area and leakage are the sums over the mapped cells of the Liberty figures
    assert result.area == pytest.approx(sum(lib.cell(c).area * n
                                            for c, n in result.cells.items()))
    assert result.leakage == pytest.approx(sum(lib.cell(c).leakage * n
                                               for c, n in result.cells.items()))
    flops = sum(n for c, n in result.cells.items() if lib.cell(c).sequential)
    assert result.sequential_area > 0 and flops > 0
    assert result.yosys.startswith("Yosys 0.70")
    # one flat module: the cells' behavioural models inlined, their pin aliases hidden,
    # so every named net is a netlist net n<k> or a port
    gate = result.gate_verilog
    assert gate.count("\nmodule ") == 1 and f"\nmodule {item.instance}(" in gate
    assert "sky130_fd_sc_hd__" not in gate and "\\u" not in gate
    named = set(re.findall(r"^\s*(?:wire|reg)\s+(?:\[[^]]*\]\s+)?(\w+)", gate, re.M))
    nets = {n for n in named if not n.startswith("_")}
    assert nets == set(result.netlist["netnames"]) and len(nets) > 100


def test_flop_count_of_a_counter():
    result = synthesize(COUNTER, "counter")
    lib = load_liberty()
    assert sum(n for c, n in result.cells.items() if lib.cell(c).sequential) == 4
    assert 0 < result.area < 200


def test_deterministic(small_lane):
    item, result = small_lane
    again = synthesize(item.verilog, item.instance, cache=False)
    assert (again.area, again.leakage, again.cells) == (result.area, result.leakage,
                                                        result.cells)
    assert again.gate_verilog == result.gate_verilog


def test_gate_verilog_only_when_asked(small_lane):
    """The native evaluator reads the netlist only; without the simulatable Verilog the
    measured figures are the same."""
    item, result = small_lane
    bare = synthesize(item.verilog, item.instance, gate_verilog=False, cache=False)
    assert bare.gate_verilog is None
    assert (bare.netlist, bare.area, bare.sequential_area, bare.leakage, bare.cells) == (
        result.netlist, result.area, result.sequential_area, result.leakage, result.cells)


def test_generic_gates_only_on_request():
    result = synthesize(COUNTER, "counter", generic=True)
    assert result.area is None and result.leakage is None and result.gate_verilog is None
    assert result.library == "yosys-generic"
    assert all(c.startswith("$_") for c in result.cells)


def test_liberty_by_path(tmp_path):
    import gzip
    from tilewright.cosim.gate.liberty import default_liberty
    plain = tmp_path / "hd.lib"
    plain.write_bytes(gzip.decompress(default_liberty().read_bytes()))
    by_path = synthesize(COUNTER, "counter", liberty=plain, cache=False)
    assert by_path.area == synthesize(COUNTER, "counter").area
    assert by_path.library_path == str(plain)


def test_yosys_error_is_reported():
    with pytest.raises(SynthesisError) as e:
        synthesize("module broken(input a; endmodule", "broken", cache=False)
    assert str(e.value).startswith("yosys failed on broken (exit 1):")


def test_module_sources_follow_instances_down():
    """A black box's RTL is its module and every module below it, escaped names too."""
    text = ("(* top =  1  *)\nmodule top(a);\n  top__part part (\n  );\nendmodule\n"
            "(* blackbox *)\nmodule top__mem(a);\nendmodule\n"
            "module top__part(a);\n  \\top__part.sub  sub (\n  );\nendmodule\n"
            "(* generator = \"Amaranth\" *)\nmodule \\top__part.sub (a);\nendmodule\n")
    assert module_sources(text, ["top__part"]) == text[text.index("module top__part"):]
    assert module_sources(text, ["top__mem"]) == "(* blackbox *)\nmodule top__mem(a);\nendmodule\n"
    assert module_sources(text, []) == ""
