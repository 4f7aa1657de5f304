"""``tilewright search approx``: one-line errors that write nothing, a whole run on the tiny
ViT with injected costs and golden tables on two workers, and resume; the same tables on
one worker (full)."""

import csv
from types import SimpleNamespace

import pytest

from tilewright.flows.commands import search_approx
from tilewright.golden.multiplier import golden_table


@pytest.mark.parametrize("args, message", [
    (["--library", "booth:3"],
     "library kind must be one of 'truncated', 'mitchell', 'drum', 'ssm', not 'booth'"),
    (["--library", "truncated:2-8"], "library k of truncated must be from 1 to 7 at bits=8, "
                                     "not 8"),
    (["--lambda", "0,-1"], "--lambda must be comma-separated non-negative numbers, "
                           "not '0,-1'"),
    (["--lambda", "big"], "--lambda must be comma-separated non-negative numbers, "
                          "not 'big'"),
    (["--budget", "0"], "--budget must be a positive integer, not 0"),
    (["--baselines", "greedy"], "--baselines must list random, nsga2, not 'greedy'"),
    (["--groups", "99", "--model", "vit-digits-tiny"],
     "groups must be an integer from 1 to 8 (the model's approximable layers), not 99"),
])
def test_bad_input_one_line_nothing_written(run_cli, tmp_path, args, message):
    out = tmp_path / "out"
    code, _, err = run_cli("search", "approx", *args, "--db", str(tmp_path / "db.sqlite"),
                           "-o", str(out))
    assert code == 2
    assert err == f"tilewright: error: {message}\n"
    assert not out.exists() and not (tmp_path / "db.sqlite").exists()


def test_search_group_discovers_its_modules():
    import click

    from tilewright.flows.commands.search import COMMAND
    assert "approx" in COMMAND.list_commands(click.Context(COMMAND))


def fake_record(block, params):
    """An injected cost record (module-level: the executor's workers unpickle it)."""
    pj = 1.0 if params["kind"] == "exact" else 0.3 + 0.05 * params["k"]
    return SimpleNamespace(energy_per_op_pj=pj, leakage_mw=1e-3, area_um2=500.0,
                           fmax_mhz=300.0)


def _fake_costs(monkeypatch):
    monkeypatch.setattr(search_approx, "default_measure", lambda db_url, clock_mhz: fake_record)
    monkeypatch.setattr(search_approx, "default_table", golden_table)


ARGS = ["--model", "vit-digits-tiny", "--library", "truncated:6-7", "--groups", "2",
        "--budget", "5", "--lambda", "0,1", "--baselines", "random", "--simulations", "10",
        "--finetune", "1", "--epochs", "1"]


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_search_writes_its_outputs_and_resumes(run_cli, tmp_path, monkeypatch):
    _fake_costs(monkeypatch)
    db = str(tmp_path / "db.sqlite")
    code, out, err = run_cli("search", "approx", *ARGS, "--db", db, "--resume", "r1",
                             "--executor", "local", "--workers", "2", "-o", str(tmp_path / "a"))
    assert code == 0, err
    assert "run r1" in out and "3 multipliers = 9 assignments" in out
    for name in ("library.csv", "evaluations.csv", "front.csv", "comparison.csv",
                 "finetune.csv", "pareto.png", "hypervolume.png"):
        assert (tmp_path / "a" / name).stat().st_size > 0
    library = _rows(tmp_path / "a" / "library.csv")
    assert [r["name"] for r in library] == ["exact", "truncated-6", "truncated-7"]
    comparison = {r["method"]: r for r in _rows(tmp_path / "a" / "comparison.csv")}
    assert set(comparison) == {"mcts", "random", "exhaustive"}
    assert float(comparison["exhaustive"]["hv_vs_exhaustive"]) == 1.0
    evaluations = _rows(tmp_path / "a" / "evaluations.csv")
    assert sum(r["method"] == "mcts" for r in evaluations) == 5
    finetune = _rows(tmp_path / "a" / "finetune.csv")
    assert all(r["finetuned"] for r in finetune)
    # resumed: everything comes from the run store, the same front
    code, out, err = run_cli("search", "approx", *ARGS, "--db", db, "--resume", "r1",
                             "-o", str(tmp_path / "b"))
    assert code == 0, err
    assert _rows(tmp_path / "b" / "front.csv") == _rows(tmp_path / "a" / "front.csv")
    assert _rows(tmp_path / "b" / "evaluations.csv") == evaluations
    # another config under the same run id is refused before anything is written
    code, _, err = run_cli("search", "approx", *ARGS[:-2], "--epochs", "2", "--db", db,
                           "--resume", "r1", "-o", str(tmp_path / "c"))
    assert code == 2 and err.startswith("tilewright: error: run 'r1' was started with "
                                        "another config: epochs was 1, now 2")
    assert not (tmp_path / "c").exists()


@pytest.mark.full
def test_one_worker_gives_the_tables_of_two(run_cli, tmp_path, monkeypatch):
    _fake_costs(monkeypatch)
    for workers in ("2", "1"):
        code, _, err = run_cli("search", "approx", *ARGS, "--db", str(tmp_path / "db.sqlite"),
                               "--resume", f"w{workers}", "--workers", workers,
                               "-o", str(tmp_path / f"w{workers}"))
        assert code == 0, err
    for name in ("library.csv", "evaluations.csv", "front.csv", "comparison.csv",
                 "finetune.csv"):
        assert _rows(tmp_path / "w1" / name) == _rows(tmp_path / "w2" / name), name
