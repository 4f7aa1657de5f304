"""``tilewright systolic cycles`` and ``tilewright gen systolic``."""

import json

import pytest

from tilewright.gen.systolic import SystolicArray


@pytest.mark.parametrize("argv", [["systolic"], ["systolic", "cycles"], ["gen", "systolic"]])
def test_help(run_cli, argv):
    code, out, _ = run_cli(*argv, "--help")
    assert code == 0 and out.startswith("Usage: tilewright")


def test_cycles_pivot_deit_qkv(run_cli):
    code, out, _ = run_cli("systolic", "cycles", "--rows", "64", "--cols", "36", "--m",
                           "197", "--k", "384", "--n", "384", "--dataflow", "is",
                           "--clock-mhz", "125")
    assert code == 0
    assert out.splitlines() == [
        "GEMM 197x384x384 on a 64x36 is array: Sr=384 Sc=197 T=384, 36 folds",
        "cycles: 17417 (547 per fold alone, folds every 482); SCALE-Sim: 19656 (546 per fold)",
        "mapping efficiency 0.9120; compute utilisation 0.6403 with this array's 547 cycles "
        "per fold, 0.6414 with SCALE-Sim's 546; 1667.8 MAC/cycle",
        "time at 125 MHz: 0.1393 ms",
    ]


def test_cycles_json_matches_the_model(run_cli):
    code, out, _ = run_cli("systolic", "cycles", "--rows", "3", "--cols", "2", "--m",
                           "5", "--k", "7", "--n", "4", "--dataflow", "os", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["cycles"] == SystolicArray.gemm_cycles(3, 2, 5, 7, 4, "os")
    assert (report["sr"], report["sc"], report["t"], report["folds"]) == (5, 4, 7, 4)
    # folds use 3x2, 3x2, 2x2, 2x2 of 3x2 PEs
    assert report["mapping_efficiency"] == pytest.approx((6 + 6 + 4 + 4) / (4 * 6))


@pytest.mark.parametrize("args, message", [
    (["--rows", "0"], "rows must be an integer from 1 to 64, not 0"),
    (["--cols", "65"], "cols must be an integer from 1 to 64, not 65"),
    (["--m", "0"], "m must be an integer from 1 to 2147483648, not 0"),
    (["--clock-mhz", "0"], "--clock-mhz must be a positive number, not '0'"),
    (["--clock-mhz", "-1"], "--clock-mhz must be a positive number, not '-1'"),
    (["--clock-mhz", "inf"], "--clock-mhz must be a positive number, not 'inf'"),
    (["--clock-mhz", "nan"], "--clock-mhz must be a positive number, not 'nan'"),
])
def test_cycles_errors(run_cli, args, message):
    base = {"--rows": "4", "--cols": "4", "--m": "4", "--k": "4", "--n": "4"}
    base.update(dict(zip(args[::2], args[1::2])))
    argv = [x for kv in base.items() for x in kv]
    code, _, err = run_cli("systolic", "cycles", *argv, "--dataflow", "ws")
    assert code == 2
    assert err == f"tilewright: error: {message}\n"


def test_gen_systolic_writes_verilog(run_cli, tmp_path):
    code, _, _ = run_cli("gen", "systolic", "--rows", "2", "--cols", "3", "--dataflow",
                         "os", "-o", str(tmp_path))
    assert code == 0
    assert "module systolic(" in (tmp_path / "systolic.v").read_text()
    facts = json.loads((tmp_path / "systolic.json").read_text())["facts"]
    assert facts["pes"] == 6 and facts["dataflow"] == "os"
