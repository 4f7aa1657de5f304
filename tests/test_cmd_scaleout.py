"""The commands' --executor, --scheduler, --workers and --resume: bad values, a scheduler
or a database that does not answer, one line each with nothing written; a sweep resumed
runs only what its run has not recorded; replay commands."""

import socket
import sqlite3

import pytest

from tilewright.flows.characterize import replay_command
from tilewright.flows.executor import CONNECT_TIMEOUT_S


def dead_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("argv,message", [
    (["characterize", "--config", "acceltran-edge", "--scheduler", "tcp://h:1"],
     "scheduler goes with the dask executor, not 'local'"),
    (["regress", "--config", "acceltran-edge", "--workers", "0"],
     "workers must be a positive integer, not 0"),
    (["model", "sweep", "reuse", "-o", "OUT", "--executor", "dask", "--scheduler", "h:1"],
     "scheduler must be an address like tcp://HOST:PORT, not 'h:1'"),
    (["search", "approx", "-o", "OUT", "--scheduler", "tcp://h:1"],
     "scheduler goes with the dask executor, not 'local'"),
    (["search", "trex", "-o", "OUT", "--executor", "dask", "--scheduler", "h:1"],
     "scheduler must be an address like tcp://HOST:PORT, not 'h:1'"),
    (["search", "pivot", "-o", "OUT", "--workers", "0"],
     "workers must be a positive integer, not 0"),
])
def test_bad_executor_options(run_cli, tmp_path, argv, message):
    db = tmp_path / "c.sqlite"
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    code, out, err = run_cli(*argv, *(["--db", str(db)] if argv[0] != "regress" else []))
    assert (code, out, err) == (2, "", f"tilewright: error: {message}\n")
    assert not db.exists() and not (tmp_path / "out").exists()


def test_scheduler_that_does_not_answer(run_cli, tmp_path):
    db, port = tmp_path / "c.sqlite", dead_port()
    code, out, err = run_cli("characterize", "--config", "acceltran-edge", "--executor",
                             "dask", "--scheduler", f"tcp://127.0.0.1:{port}", "--db", str(db))
    assert (code, out, err) == (2, "", f"tilewright: error: dask scheduler "
                                       f"tcp://127.0.0.1:{port} does not answer within "
                                       f"{CONNECT_TIMEOUT_S} s (OSError)\n")
    assert not db.exists()


def test_database_that_does_not_answer(run_cli):
    url = f"postgresql://tilewright@127.0.0.1:{dead_port()}/costs"
    code, out, err = run_cli("characterize", "--config", "acceltran-edge", "--workers",
                             "1", "--db", url)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"tilewright: error: --db: cannot connect to {url}: connection failed: ")


def test_sweep_resumes_what_is_missing(run_cli, tmp_path):
    db, out = str(tmp_path / "runs.sqlite"), str(tmp_path / "out")
    sweep = ["model", "sweep", "dynaprop", "--epochs", "1", "-o", out, "--workers", "1",
             "--resume", "r1", "--db", db]
    assert run_cli(*sweep, "--tau-ts", "0")[0] == 0
    first = sqlite3.connect(db).execute("SELECT key, created FROM run_records").fetchall()
    assert [key for key, _ in first] == ["tau_t=0.0"]
    assert run_cli(*sweep, "--tau-ts", "0,0.001")[0] == 0
    second = dict(sqlite3.connect(db).execute("SELECT key, created FROM run_records"))
    assert second["tau_t=0.0"] == first[0][1] and set(second) == {"tau_t=0.0", "tau_t=0.001"}
    with open(tmp_path / "out" / "dynaprop.csv") as f:
        assert [line.split(",")[1] for line in f.read().split()[1:]] == ["0.0", "0.001"]
    code, stdout, err = run_cli(*sweep, "--tau-ts", "0", "--tau-i", "0.5")
    assert (code, stdout) == (2, "") and err == (
        "tilewright: error: run 'r1' was started with another config: tau_i was 0.0, "
        "now 0.5\n")


def test_characterize_replay_command():
    options = dict(liberty=None, clock_mhz=700.0, stimulus="random", wire_load="none",
                   force=True)
    assert replay_command("mac-lane", {"multipliers": 2, "il": 4, "fl": 12}, "c db.sqlite",
                          options) == (
        "tilewright characterize mac-lane --param multipliers=2 --param fl=12 --db 'c db.sqlite' "
        "--clock-mhz 700.0 --stimulus random --wire-load none --force")


@pytest.mark.cosim
def test_regress_config_in_parallel(run_cli, tmp_path):
    cfg = tmp_path / "two.toml"
    cfg.write_text('name = "two"\n' + "".join(
        f'[[blocks]]\nblock = "multiplier"\ninstance = "mul_{kind}"\nkind = "{kind}"\n'
        f'bits = 4\n' for kind in ("exact", "truncated")))
    code, out, _ = run_cli("regress", "--config", str(cfg), "--seed", "5", "--workers", "2")
    assert code == 0
    passed = sorted(line for line in out.splitlines() if not line.startswith(" "))
    assert passed == ["mul_exact: 4 tests passed (seed 5)",
                      "mul_truncated: 4 tests passed (seed 5)"]
