"""``tilewright model``: help, one-line errors, and each sweep's table and plot.

Sweeps run on tiny models (one or two epochs) so that only the plumbing is timed here;
the accuracy claims are in test_golden_models.py.
"""

import csv
import json

import pytest



def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("argv", [["model"], ["model", "train"], ["model", "evaluate"],
                                  ["model", "sweep"], ["model", "sweep", "dynatran"],
                                  ["model", "sweep", "dynaprop"], ["model", "sweep", "reuse"],
                                  ["model", "sweep", "skip"]])
def test_help(run_cli, argv):
    code, out, _ = run_cli(*argv, "--help")
    assert code == 0 and out.startswith("Usage: tilewright")


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "--il", "4"], "--il and --fl go together"),
    (["evaluate", "--units"], "--units needs --il and --fl"),
    (["evaluate", "--il", "0", "--fl", "4"], "il must be an integer from 1 to 32, not 0"),
    (["evaluate", "--skip", "a"], "skip must be comma-separated integers, not 'a'"),
    (["sweep", "reuse", "-o", "OUT", "--layers", "3", "--n-reuse", "2"],
     "strided pattern of 2 encoders from 1 does not fit in 3 encoders"),
    (["sweep", "dynatran", "-o", "OUT", "--taus", "x"],
     "taus must be comma-separated numbers, not 'x'"),
    (["sweep", "dynatran", "-o", "OUT", "--taus", "0,-0.1"],
     "tau must be a finite number >= 0, not -0.1"),
    (["sweep", "dynatran", "-o", "OUT", "--taus", "nan"],
     "tau must be a finite number >= 0, not nan"),
    (["sweep", "dynatran", "-o", "OUT", "--tau-weight", "-1"],
     "tau-weight must be a finite number >= 0, not -1.0"),
    (["sweep", "dynatran", "-o", "OUT", "--tau-activation", "0.1"],
     "tau-activation must be None when the sweep sets it (sweep 'activation'), not 0.1"),
    (["sweep", "dynatran", "-o", "OUT", "--prune", "both", "--tau-weight", "0.1"],
     "tau-weight must be None when the sweep sets it (sweep 'both'), not 0.1"),
    (["sweep", "dynatran", "-o", "OUT", "--repeats", "0"],
     "repeats must be an integer from 1 to 1000, not 0"),
    (["sweep", "skip", "-o", "OUT", "--samples", "0"],
     "samples must be an integer from 1 to 1073741824, not 0"),
    (["sweep", "skip", "-o", "OUT", "--low-skip", "2"],
     "skip must list encoders from 0 to 1, not 2"),
])
def test_errors_one_line(run_cli, tmp_path, argv, message):
    argv = [str(tmp_path / "o") if a == "OUT" else a for a in argv]
    code, out, err = run_cli("model", *argv, "--epochs", "1")
    assert code == 2 and err == f"tilewright: error: {message}\n"
    assert not (tmp_path / "o").exists()


def test_evaluate_prints_accuracy(run_cli):
    code, out, _ = run_cli("model", "evaluate", "--epochs", "1", "--il", "4", "--fl", "16",
                           "--gelu", "pwl", "--units", "--skip", "1")
    r = json.loads(out)
    assert code == 0 and r["format"] == [4, 16] and r["skip"] == [1] and r["units"]
    assert 0.1 < r["accuracy"] <= 1


def test_sweep_dynatran_writes_tables_and_plots(run_cli, tmp_path):
    code, out, _ = run_cli("model", "sweep", "dynatran", "--epochs", "1", "-o",
                           str(tmp_path), "--taus", "0,0.05,0.2", "--samples", "40",
                           "--repeats", "2")
    assert code == 0
    t = rows(tmp_path / "dynatran.csv")
    assert [float(r["tau"]) for r in t] == [0, 0.05, 0.2]
    assert float(t[0]["rho"]) < float(t[1]["rho"]) < float(t[2]["rho"])
    assert all(float(r["rho_weight"]) == 0 for r in t)          # activations only
    m = rows(tmp_path / "dynatran_matrices.csv")
    assert {r["matrix"] for r in m} >= {"layers.0.s", "layers.1.p", "layers.1.ff2.weight"}
    assert len(m) == 3 * len({r["matrix"] for r in m})
    k = rows(tmp_path / "topk.csv")
    assert [float(r["tau"]) for r in k] == [0, 0.05, 0.2]
    for r in k:
        assert abs(float(r["rho_topk"]) - float(r["rho_dynatran"])) <= 0.01
        assert float(r["seconds_topk"]) > 0 and float(r["seconds_dynatran"]) > 0
        assert float(r["cpu_seconds_topk"]) > 0 and float(r["cpu_seconds_dynatran"]) > 0
    assert float(k[2]["rho_dynatran"]) == float(t[2]["rho_activation"])
    assert len({r["seconds_topk"] for r in k}) == 3              # each row timed
    chosen = rows(tmp_path / "topk_matrices.csv")
    assert {r["matrix"] for r in chosen} >= {"layers.0.s", "layers.1.ff2"}
    for name in ("dynatran", "topk"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_dynatran_prunes_weights_or_both(run_cli, tmp_path):
    code, _, _ = run_cli("model", "sweep", "dynatran", "--epochs", "1", "-o",
                         str(tmp_path / "w"), "--taus", "0.1", "--samples", "40",
                         "--repeats", "1", "--prune", "weight", "--tau-activation", "0.05")
    w = rows(tmp_path / "w" / "dynatran.csv")[0]
    assert code == 0 and float(w["tau_weight"]) == 0.1 and float(w["tau_activation"]) == 0.05
    code, _, _ = run_cli("model", "sweep", "dynatran", "--epochs", "1", "-o",
                         str(tmp_path / "b"), "--taus", "0.1", "--samples", "40",
                         "--repeats", "1", "--prune", "both")
    b = rows(tmp_path / "b" / "dynatran.csv")[0]
    assert code == 0 and b["tau_weight"] == b["tau_activation"] == "0.1"
    assert float(b["rho_weight"]) == float(w["rho_weight"]) > 0.5


def test_prune_choices_are_the_library_sweeps():
    from tilewright.flows.commands.model import sweep_dynatran
    from tilewright.golden.models.pruning import SWEEPS
    choice = next(p for p in sweep_dynatran.params if p.name == "prune").type.choices
    assert tuple(choice) == SWEEPS


def test_sweep_skip_and_reuse_and_dynaprop(run_cli, tmp_path):
    code, _, _ = run_cli("model", "sweep", "skip", "--epochs", "1", "-o", str(tmp_path),
                         "--ths", "0,1", "--samples", "40")
    t = rows(tmp_path / "skip.csv")
    assert code == 0 and [float(r["F_L"]) for r in t] == [0.0, 1.0]
    code, _, _ = run_cli("model", "sweep", "reuse", "--epochs", "1", "-o", str(tmp_path),
                         "--layers", "3", "--n-reuse", "1")
    t = rows(tmp_path / "reuse.csv")
    assert code == 0 and [r["pattern"] for r in t] == ["none", "strided", "continuous",
                                                       "pyramid"]
    assert [r["attentions"] for r in t] == ["3", "2", "2", "2"]
    code, _, _ = run_cli("model", "sweep", "dynaprop", "--epochs", "1", "-o",
                         str(tmp_path), "--tau-ts", "0,0.001")
    t = rows(tmp_path / "dynaprop.csv")
    assert code == 0 and float(t[0]["gradient_sparsity"]) < float(t[1]["gradient_sparsity"])
    assert all((tmp_path / f"{n}.png").exists() for n in ("skip", "reuse", "dynaprop"))
