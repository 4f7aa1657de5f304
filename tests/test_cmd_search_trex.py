"""``tilewright search trex``: help, input errors before any output, a tiny run (full)."""

import pytest
from click.testing import CliRunner

from tilewright.flows.commands.common import UserError
from tilewright.flows.commands.search_trex import COMMAND


def _run(args):
    return COMMAND.main(args, prog_name="trex", standalone_mode=False)


def test_help():
    result = CliRunner().invoke(COMMAND, ["--help"])
    assert result.exit_code == 0 and "--resume" in result.output and "Table IV" in result.output


@pytest.mark.parametrize("args, message", [
    (["--targets", "0.5,1.5"], "targets must be fractions in (0, 1], not 1.5"),
    (["--targets", "x"], "targets must be comma-separated numbers, not 'x'"),
    (["--layers", "1"], "layers must be an integer of at least 2, not 1"),
    (["--softmax-param", "t=abc"], "t must be an integer, not 'abc'"),
])
def test_bad_input(tmp_path, args, message):
    with pytest.raises(UserError) as err:
        _run([*args, "--db", str(tmp_path / "db.sqlite"), "-o", str(tmp_path / "out")])
    assert err.value.message == message
    assert not (tmp_path / "out").exists() and not (tmp_path / "db.sqlite").exists()


@pytest.mark.full
def test_tiny_run_and_resume(tmp_path):
    args = ["--layers", "2", "--short-epochs", "1", "--epochs", "1", "--samples", "8",
            "--targets", "0.9", "--targets-ms", "9", "--db", str(tmp_path / "db.sqlite")]
    _run([*args, "--executor", "local", "--workers", "2", "-o", str(tmp_path / "a")])
    import sqlite3
    run_id, = [r[0] for r in sqlite3.connect(tmp_path / "db.sqlite").execute(
        "SELECT run_id FROM runs")]
    _run([*args, "--resume", run_id, "-o", str(tmp_path / "b")])
    _run([*args, "--resume", "w1", "--workers", "1", "-o", str(tmp_path / "w1")])
    for name in ("table_iv.csv", "patterns.csv", "results.csv", "summary.md", "trex.png"):
        assert (tmp_path / "a" / name).exists()
    for name in ("patterns.csv", "results.csv"):
        assert ((tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
                == (tmp_path / "w1" / name).read_text()), name
    with pytest.raises(UserError, match="was started with another config"):
        _run([*args[:-2], "--seed", "1", "--db", str(tmp_path / "db.sqlite"),
              "--resume", run_id, "-o", str(tmp_path / "c")])
