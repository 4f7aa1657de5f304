"""``tilewright model``: help, one-line errors, and each sweep's table and plot.

Sweeps run on tiny models (one or two epochs) so that only the plumbing is timed here;
the accuracy claims are in test_golden_models.py.
"""

import csv
import json

import pytest

from tests.test_cli import run


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("argv", [["model"], ["model", "train"], ["model", "evaluate"],
                                  ["model", "sweep"], ["model", "sweep", "dynatran"],
                                  ["model", "sweep", "dynaprop"], ["model", "sweep", "reuse"],
                                  ["model", "sweep", "skip"]])
def test_help(capsys, argv):
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0 and out.startswith("Usage: tilewright")


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "--il", "4"], "--il and --fl go together"),
    (["evaluate", "--units"], "--units needs --il and --fl"),
    (["evaluate", "--il", "0", "--fl", "4"], "il must be an integer from 1 to 32, not 0"),
    (["evaluate", "--skip", "a"], "skip must be comma-separated integers, not 'a'"),
    (["sweep", "reuse", "-o", "OUT", "--layers", "3", "--n-reuse", "2"],
     "strided pattern of 2 encoders from 1 does not fit in 3 encoders"),
    (["sweep", "dynatran", "-o", "OUT", "--taus", "x"],
     "taus must be comma-separated numbers at least 0, not 'x'"),
    (["sweep", "skip", "-o", "OUT", "--samples", "0"],
     "samples must be an integer from 1 to 1073741824, not 0"),
    (["sweep", "skip", "-o", "OUT", "--low-skip", "2"],
     "skip must list encoders from 0 to 1, not 2"),
])
def test_errors_one_line(capsys, tmp_path, argv, message):
    argv = [str(tmp_path / "o") if a == "OUT" else a for a in argv]
    code, out, err = run(capsys, "model", *argv, "--epochs", "1")
    assert code == 2 and err == f"tilewright: error: {message}\n"
    assert not (tmp_path / "o").exists()


def test_evaluate_prints_accuracy(capsys):
    code, out, _ = run(capsys, "model", "evaluate", "--epochs", "1", "--il", "4", "--fl", "16",
                       "--gelu", "pwl", "--units", "--skip", "1")
    r = json.loads(out)
    assert code == 0 and r["format"] == [4, 16] and r["skip"] == [1] and r["units"]
    assert 0.1 < r["accuracy"] <= 1


def test_sweep_dynatran_writes_table_and_plot(capsys, tmp_path):
    code, out, _ = run(capsys, "model", "sweep", "dynatran", "--epochs", "1", "-o",
                       str(tmp_path), "--taus", "0,0.05,0.2", "--ks", "1,4", "--samples", "40")
    assert code == 0
    t = rows(tmp_path / "dynatran.csv")
    assert [float(r["tau"]) for r in t] == [0, 0.05, 0.2]
    assert float(t[0]["rho"]) < float(t[1]["rho"]) < float(t[2]["rho"])
    m = rows(tmp_path / "dynatran_matrices.csv")
    assert {r["matrix"] for r in m} >= {"layers.0.s", "layers.1.p", "layers.1.ff2.weight"}
    assert len(m) == 3 * len({r["matrix"] for r in m})
    k = rows(tmp_path / "topk.csv")
    assert [r["k"] for r in k] == ["1", "4"] and float(k[0]["topk_seconds"]) > 0
    for name in ("dynatran", "topk"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_skip_and_reuse_and_dynaprop(capsys, tmp_path):
    code, _, _ = run(capsys, "model", "sweep", "skip", "--epochs", "1", "-o", str(tmp_path),
                     "--ths", "0,1", "--samples", "40")
    t = rows(tmp_path / "skip.csv")
    assert code == 0 and [float(r["F_L"]) for r in t] == [0.0, 1.0]
    code, _, _ = run(capsys, "model", "sweep", "reuse", "--epochs", "1", "-o", str(tmp_path),
                     "--layers", "3", "--n-reuse", "1")
    t = rows(tmp_path / "reuse.csv")
    assert code == 0 and [r["pattern"] for r in t] == ["none", "strided", "continuous",
                                                       "pyramid"]
    assert [r["attentions"] for r in t] == ["3", "2", "2", "2"]
    code, _, _ = run(capsys, "model", "sweep", "dynaprop", "--epochs", "1", "-o",
                     str(tmp_path), "--tau-ts", "0,0.001")
    t = rows(tmp_path / "dynaprop.csv")
    assert code == 0 and float(t[0]["gradient_sparsity"]) < float(t[1]["gradient_sparsity"])
    assert all((tmp_path / f"{n}.png").exists() for n in ("skip", "reuse", "dynaprop"))
