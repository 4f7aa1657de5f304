"""`tilewright costs scale`: records scaled to another node, and its errors."""

import dataclasses

import pytest
from click.testing import CliRunner

from tilewright.cli import cli
from tilewright.flows.costs.store import CostDB
from tilewright.flows.costs.scaling import energy_factor


def _db(tmp_path, *records):
    path = tmp_path / "c.sqlite"
    with CostDB(path) as db:
        for r in records:
            db.put(r)
    return str(path)


def test_scale_to_14nm(tmp_path, cost_record):
    r = cost_record(2)                # 102 um2, 1.0 pJ/op, II 0.5 at 700 MHz: 1.4 mW
    db = _db(tmp_path, r)
    out = CliRunner().invoke(cli, ["costs", "scale", r.key[:6], "--node", "14", "--db", db])
    assert out.exit_code == 0, out.output
    header, row = out.output.splitlines()
    assert header.split() == ["block", "from", "nm", "area", "um2", "pJ/op", "dyn", "mW",
                              "idle", "mW", "key"]
    f = energy_factor(130, 14)
    assert row.split() == ["mac-lane", "130", f"{102 * 0.027:.1f}", f"{f:.4g}",
                           f"{1.4 * f:.4g}", "nan", r.key[:12]]
    idle = dataclasses.replace(r, idle_pj_per_cycle=0.5)       # 0.35 mW at 700 MHz
    (tmp_path / "idle").mkdir()
    out = CliRunner().invoke(cli, ["costs", "scale", "--node", "14", "--db",
                                   _db(tmp_path / "idle", idle)])
    assert out.output.splitlines()[1].split()[-2] == f"{0.35 * f:.4g}"


def test_scale_above_nominal_supply_is_flagged(tmp_path, cost_record):
    db = _db(tmp_path, cost_record(2))
    out = CliRunner().invoke(cli, ["costs", "scale", "--node", "14", "--src-vdd", "1.8",
                                   "--db", db])
    lines = out.output.splitlines()
    assert out.exit_code == 0 and lines[1].endswith("*")
    f = energy_factor(130, 14, src_vdd=1.8)
    assert lines[1].split()[3] == f"{f:.4g}"
    assert lines[2] == "* a supply above the fit's nominal: the energy polynomial is extrapolated"


def test_scale_errors(tmp_path, run_cli, cost_record):
    unknown_node = dataclasses.replace(cost_record(3), node_nm=None, technology="mylib")
    db = _db(tmp_path, cost_record(2), unknown_node)
    for argv, message in [
        ([cost_record(2).key[:8], "--node", "12"],
         "node must be one of 180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7 (nm), not 12"),
        (["zz", "--node", "14"], "no cost record with a key starting 'zz'"),
        ([unknown_node.key[:8], "--node", "14"],
         f"record {unknown_node.key[:12]} (mylib) has no known technology node to scale from"),
        (["--node", "14", "--vdd", "0"], "--vdd must be a positive number, not '0'"),
        (["--node", "14", "--vdd", "inf"], "--vdd must be a positive number, not 'inf'"),
        (["--node", "14", "--src-vdd", "nan"], "--src-vdd must be a positive number, not 'nan'"),
    ]:
        assert run_cli("costs", "scale", *argv, "--db", db)[::2] == (
            2, f"tilewright: error: {message}\n")


def test_list_marks_a_clock_above_fmax(tmp_path, cost_record):
    fast = dataclasses.replace(cost_record(2), fmax_mhz=900.0)
    slow = dataclasses.replace(cost_record(3), fmax_mhz=250.0)
    untimed = cost_record(4)
    out = CliRunner().invoke(cli, ["costs", "list", "--db", _db(tmp_path, fast, slow,
                                                                 untimed)])
    lines = out.output.splitlines()
    assert out.exit_code == 0 and lines[0].split()[0] == "block"
    assert lines[0].split()[-6:] == ["clock", "MHz", "fmax", "MHz", "key", "params"]
    # block, clock, fmax, key and the parameters that differ from the defaults
    rows = {line.split()[-3]: [line.split()[i] for i in (0, -5, -4, -2, -1)]
            for line in lines[1:4]}
    assert rows == {fast.key[:12]: ["mac-lane", "700.0", "900.0", "multipliers=2", "seed=2"],
                    slow.key[:12]: ["mac-lane", "700.0", "250.0!", "multipliers=2", "seed=3"],
                    untimed.key[:12]: ["mac-lane", "700.0", "nan", "multipliers=2", "seed=4"]}
    assert lines[4] == ("! fmax below the assumed clock (700 MHz): dyn mW is the power at a "
                        "clock the netlist cannot reach")
    (tmp_path / "fast").mkdir()
    alone = CliRunner().invoke(cli, ["costs", "list", "--db", _db(tmp_path / "fast", fast)])
    assert len(alone.output.splitlines()) == 2


def test_accelergy_idle_and_leak(cost_record):
    from tilewright.flows.commands.costs import export_accelergy
    measured = dataclasses.replace(cost_record(2), idle_pj_per_cycle=0.25)
    old = cost_record(3)                                   # measured before idle energy was
    ert = export_accelergy([measured, old]).splitlines()
    leak = [2e-6 / 700 * 1e3, 3e-6 / 700 * 1e3]      # mW / MHz = nJ; pJ per cycle
    energies = [line.split("#")[0].split()[-1] for line in ert if "energy:" in line]
    assert energies == [f"{1.0:.6g}", f"{0.25 + leak[0]:.6g}", f"{leak[0]:.6g}",
                        f"{1.5:.6g}", f"{leak[1]:.6g}", f"{leak[1]:.6g}"]
    assert ert[ert.index("    - name: idle", 20) + 2].endswith(
        "# pJ per cycle (leakage; idle energy not measured)")
    assert measured.idle_mw == 0.25 * 700 * 1e-3 and old.idle_mw is None


def test_plot(tmp_path, run_cli, cost_record):
    from tilewright.flows.costs.plot import label, power_split
    split = dataclasses.replace(cost_record(2), idle_pj_per_cycle=0.5, fmax_mhz=300.0, details={
        "energy_pj": {"internal": 2.0, "switching": 1.0, "input_pins": 0.5, "clock": 0.5,
                      "total": 4.0}, "sequential_area_um2": 40.0})
    assert power_split(split) == pytest.approx(
        {"internal": 0.7, "switching": 0.35, "input_pins": 0.175, "clock": 0.175})
    assert power_split(cost_record(3)) == {"total": pytest.approx(2.1)}     # no split recorded
    # rows are named by the parameters that differ from the block's defaults
    assert label(split) == f"mac-lane (multipliers=2, seed=2) {split.key[:6]}"
    lane = dataclasses.replace(split, params={"multipliers": 16, "activation": "gelu"})
    assert label(lane).startswith("mac-lane (activation=gelu) ")
    assert label(dataclasses.replace(split, params={})).startswith("mac-lane (defaults) ")
    db = _db(tmp_path, split, cost_record(3), cost_record(4, block="softmax"))
    image = tmp_path / "costs.png"
    assert run_cli("costs", "plot", "-o", str(image), "--db", db) == (0, f"{image}\n", "")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 20_000
    svg = tmp_path / "mac.svg"
    assert run_cli("costs", "plot", "-o", str(svg), "--block", "mac-lane", "--db", db)[0] == 0
    assert svg.read_text().count("mac-lane (") == 2 and "softmax" not in svg.read_text()


def test_plot_errors(tmp_path, run_cli, cost_record):
    db = _db(tmp_path, cost_record(2))
    assert run_cli("costs", "plot", "-o", str(tmp_path / "x.png"), "--block", "gelu",
                   "--db", db) == (2, "", f"tilewright: error: --block 'gelu' has no cost "
                                      f"records in {db!r}; blocks with records: mac-lane\n")
    code, _, err = run_cli("costs", "plot", "-o", str(tmp_path / "x.bmp2"), "--db", db)
    assert code == 2 and err.startswith("tilewright: error: Format 'bmp2' is not supported")
    assert not (tmp_path / "x.bmp2").exists() and not (tmp_path / "x.png").exists()
