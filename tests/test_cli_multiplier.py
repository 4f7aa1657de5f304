"""``tilewright multiplier`` and ``tilewright gen multiplier``."""

import json

import numpy as np
import pytest
import torch

from tilewright.golden.multiplier import error_metrics, golden_table


@pytest.mark.parametrize("argv", [["multiplier"], ["multiplier", "report"],
                                  ["multiplier", "table"], ["gen", "multiplier"]])
def test_help(run_cli, argv):
    code, out, _ = run_cli(*argv, "--help")
    assert code == 0 and out.startswith("Usage: tilewright")


def test_report_prints_the_metrics(run_cli):
    code, out, _ = run_cli("multiplier", "report", "--kind", "truncated", "--bits", "8",
                           "--k", "5")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "truncated, bits=8, k=5 (golden model): 65536 operand pairs"
    assert lines[4] == "  wce              129  worst-case absolute error"   # (5-1)·2**5 + 1
    code, out, _ = run_cli("multiplier", "report", "--kind", "drum", "--bits", "6",
                           "--json")
    assert json.loads(out) == error_metrics(golden_table("drum", 6))


@pytest.mark.parametrize("args, message", [
    (["--kind", "drum", "--k", "9"],
     "k must be an integer from 3 to 7 for kind 'drum' with bits=8, not 9"),
    (["--kind", "truncated", "--bits", "12"], "bits must be at most 10 for a whole table, not 12"),
    (["--kind", "exact", "--k", "2"], "k is not used by kind 'exact'; leave it unset"),
    (["--table", "x.npy", "--rtl"], "--rtl and --table exclude each other"),
])
def test_report_errors(run_cli, args, message):
    code, _, err = run_cli("multiplier", "report", *args)
    assert code == 2 and err == f"tilewright: error: {message}\n"


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_table_export_and_reimport(run_cli, tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    code, out, _ = run_cli("multiplier", "table", "--kind", "mitchell", "--bits", "5",
                           "-o", str(path))
    assert code == 0 and out == f"{path}: mitchell, bits=5, k=4 (golden model)\n"
    table = (torch.from_numpy(np.load(path)) if suffix == ".npy"
             else torch.from_numpy(np.loadtxt(path, delimiter=",", dtype=np.int64)))
    assert torch.equal(table, golden_table("mitchell", 5))
    code, out, _ = run_cli("multiplier", "report", "--table", str(path), "--bits", "5")
    assert code == 0 and out.splitlines()[0] == f"table {path}, bits=5: 1024 operand pairs"


def test_gen_multiplier(run_cli, tmp_path):
    code, out, _ = run_cli("gen", "multiplier", "--kind", "drum", "--bits", "8", "--k",
                           "4", "-o", str(tmp_path))
    assert code == 0
    assert "module multiplier(" in (tmp_path / "multiplier.v").read_text()
    manifest = json.loads((tmp_path / "multiplier.json").read_text())
    assert manifest["params"] == {"kind": "drum", "bits": 8, "k": 4}
    assert manifest["facts"]["error_vs_exact"] == error_metrics(golden_table("drum", 8, 4))
    code, _, err = run_cli("gen", "multiplier", "--kind", "ssm", "--k", "3", "-o",
                           str(tmp_path / "x"))
    assert code == 2
    assert err == ("tilewright: error: k must be an integer from 4 to 7 for kind 'ssm' "
                   "with bits=8, not 3\n")
