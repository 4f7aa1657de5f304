"""Liberty parsing: units, cells, tables, interpolation, cache, errors."""

import gzip
from pathlib import Path

import pytest

from tilewright.cosim.gate import liberty as liberty_module
from tilewright.cosim.gate.liberty import (LibertyError, Table, default_liberty, library_head,
                                      load_liberty, parse_liberty)

SMALL = (Path(__file__).parent / "data" / "toy.lib").read_text()


def test_toy_library():
    lib = parse_liberty(SMALL)
    assert lib.name == "toy" and lib.voltage == 1.2
    assert lib.units["leakage_power_unit"] == "1nW"
    inv, dff = lib.cell("inv"), lib.cell("dff")
    assert (inv.area, inv.leakage, inv.sequential) == (2.5, 0.75, False)
    assert (dff.area, dff.leakage, dff.sequential) == (20.0, 3.0, True)
    assert inv.pins["A"].capacitance == 0.002 and inv.pins["A"].direction == "input"
    arc, = inv.pins["Y"].power
    assert arc.related_pin == "A"
    assert arc.rise.values == ((1.0, 2.0), (3.0, 4.0))
    # corners, the centre (bilinear), and clamping outside the table
    assert arc.rise.at(0.1, 0.01) == 1.0 and arc.rise.at(0.3, 0.03) == 4.0
    assert arc.rise.at(0.2, 0.02) == pytest.approx(2.5)
    assert arc.rise.at(5.0, 5.0) == 4.0 and arc.rise.at(0.0, 0.0) == 1.0
    assert arc.energy(0.2, 0.02) == pytest.approx((2.5 - 1.5) / 2)


def test_one_dimensional_table():
    t = Table((0.0, 1.0), (), ((2.0, 4.0),))
    assert t.at(0.25) == pytest.approx(2.5)


def test_unknown_cell_message():
    lib = parse_liberty(SMALL)
    with pytest.raises(LibertyError) as e:
        lib.cell("nand9")
    assert str(e.value) == "cell 'nand9' is not in library toy"


def test_missing_file_message(tmp_path):
    with pytest.raises(LibertyError) as e:
        load_liberty(tmp_path / "none.lib")
    assert str(e.value) == (f"cannot read Liberty file {str(tmp_path / 'none.lib')!r}: "
                            "No such file or directory")


def test_gzip_and_cache(tmp_path):
    path = tmp_path / "toy.lib.gz"
    path.write_bytes(gzip.compress(SMALL.encode()))
    first, second = load_liberty(path), load_liberty(path)
    assert first == second and first.cell("inv").area == 2.5


def test_library_head(tmp_path, monkeypatch):
    """What keying a record needs, without the cells, read back from a small file until
    the library file changes."""
    monkeypatch.setenv("TILEWRIGHT_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "toy.lib"
    path.write_text(SMALL)
    head, sequential = library_head(path)
    lib = load_liberty(path)
    assert sequential and head.cells == {} and head.path == str(path)
    assert (head.name, head.sha256, head.wire_loads) == (lib.name, lib.sha256, lib.wire_loads)
    loads = []
    monkeypatch.setattr(liberty_module, "load_liberty", lambda p: loads.append(p) or lib)
    assert library_head(path) == (head, True) and loads == []
    path.write_text(SMALL.replace('cell ("dff")', 'cell ("dff2")') + "\n")
    library_head(path)
    assert loads == [path]


def test_library_head_of_a_missing_file(tmp_path):
    with pytest.raises(LibertyError, match="cannot read Liberty file"):
        library_head(tmp_path / "none.lib")


def test_shipped_sky130():
    lib = load_liberty()
    assert str(lib.path) == str(default_liberty())
    assert lib.name == "sky130_fd_sc_hd__tt_025C_1v80" and lib.voltage == 1.8
    assert len(lib.cells) == 428
    nand = lib.cell("sky130_fd_sc_hd__nand2_1")
    assert nand.area == 3.7536 and nand.leakage == 0.00211796
    assert nand.pins["A"].capacitance == 0.002315
    assert sorted(a.related_pin for a in nand.pins["Y"].power) == ["A", "B"]
    dff = lib.cell("sky130_fd_sc_hd__dfxtp_1")
    assert dff.sequential and [a.related_pin for a in dff.pins["Q"].power] == ["CLK"]


def test_timing_arcs_of_sky130():
    lib = load_liberty()
    nand = lib.cell("sky130_fd_sc_hd__nand2_1")
    arcs = nand.pins["Y"].timing
    assert sorted((a.related_pin, a.kind, a.sense) for a in arcs) == [
        ("A", "combinational", "negative_unate"), ("B", "combinational", "negative_unate")]
    assert all(a.rise and a.fall and a.rise_slew and a.fall_slew for a in arcs)
    dff = lib.cell("sky130_fd_sc_hd__dfxtp_1")
    assert [(a.related_pin, a.kind) for a in dff.pins["Q"].timing] == [("CLK", "rising_edge")]
    setup, = [a for a in dff.pins["D"].timing if a.kind == "setup_rising"]
    assert setup.rise_slew is None and 0 < setup.rise.at(0.1, 0.1) < 0.2


def test_tables_stored_as_slew_by_load_whatever_the_template_order():
    swapped = SMALL.replace(
        'variable_1 : "input_transition_time";\n    variable_2 : "total_output_net_capacitance";',
        'variable_1 : "total_output_net_capacitance";\n    variable_2 : "input_transition_time";')
    assert swapped != SMALL
    arc, = parse_liberty(swapped).cell("inv").pins["Y"].power
    # the file's rows are now loads 0.1, 0.3 and its columns slews 0.01, 0.03
    assert arc.rise.index_1 == (0.01, 0.03) and arc.rise.index_2 == (0.1, 0.3)
    assert arc.rise.values == ((1.0, 3.0), (2.0, 4.0))


WIRES = SMALL.replace('  /* a comment */', '''  wire_load ("short") {
    capacitance : 0.5; resistance : 2; slope : 10;
    fanout_length(1, 2.0);
    fanout_length(3, 8.0);
  }
  wire_load ("none_listed") { capacitance : 1; }
  default_wire_load : "short";
  /* a comment */''')


def test_wire_load_models():
    lib = parse_liberty(WIRES)
    assert lib.default_wire_load == "short" and sorted(lib.wire_loads) == ["none_listed",
                                                                           "short"]
    short = lib.wire_load()
    assert lib.wire_load("short") is short
    assert (short.capacitance, short.resistance, short.slope) == (0.5, 2.0, 10.0)
    # none, the listed points, linear between them, the slope beyond the last
    lengths = [short.length(n) for n in (0, 1, 2, 3, 5)]
    assert lengths == [0.0, 2.0, 5.0, 8.0, 28.0]
    assert short.net_capacitance(2) == 2.5
    assert lib.wire_load("none_listed").net_capacitance(4) == 0.0
    assert lib.wire_load("none") is None and parse_liberty(SMALL).wire_load() is None


def test_wire_load_errors():
    lib = parse_liberty(WIRES)
    with pytest.raises(LibertyError) as e:
        lib.wire_load("Huge")
    assert str(e.value) == ("wire load must be one of 'default', 'none', 'short', "
                            "'none_listed', not 'Huge'")
    with pytest.raises(LibertyError) as e:
        parse_liberty(WIRES.replace('default_wire_load : "short"', 'default_wire_load : "x"'))
    assert str(e.value) == "default_wire_load 'x' names no wire_load group"
    with pytest.raises(LibertyError) as e:
        parse_liberty(WIRES.replace("fanout_length(3, 8.0)", "fanout_length(3)"))
    assert str(e.value) == "wire_load 'short' is malformed"


def test_sky130_wire_load():
    lib = load_liberty()
    small = lib.wire_load()
    assert lib.default_wire_load == "Small" and small.fanout_length[0] == (1.0, 23.2746)
    assert small.net_capacitance(1) == pytest.approx(1.42e-05 * 23.2746)
    assert small.length(10) == pytest.approx(84.2649 + 8.3631 * 4)
    assert small.resistance == 0.0745 and lib.tree_type == "balanced_tree"
    assert lib.units["pulling_resistance_unit"] == "1kohm"
