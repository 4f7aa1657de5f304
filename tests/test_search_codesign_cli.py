"""``tilewright search codesign``: bad input is one line naming the field, nothing written."""

from importlib import resources

import pytest
from click.testing import CliRunner

from tilewright.flows.commands.search_codesign import COMMAND


@pytest.mark.parametrize("args, message", [
    (["--weights", "0.2,0.1,0.2,0.1,0.5"], "weights must sum to 1, not 1.1"),
    (["--weights", "0.5,0.5"], "weights must be five comma-separated numbers"),
    (["--budget", "8"], "budget must be an integer ≥ initial (16), not 8"),
    (["--method", "sgd"], "method must be one of 'boshcode', 'random', 'gpbo', 'rf', "
                          "'gbrt', 'all', not 'sgd'"),
    (["--objective", "pareto", "--method", "gpbo"], "method must be one of 'boshcode', "
                                                     "'random', 'all', not 'gpbo'"),
    (["--fix-accelerator", "tpu"], "fix-accelerator must be one of 'acceltran-edge', "
                                   "'acceltran-mini', 'acceltran-server', not 'tpu'"),
    (["--max-layers", "0"], "max-layers must be a positive integer, not 0"),
    (["--seeds", "0"], "seeds must be a positive integer, not 0"),
    (["--accelerator-space", "tpu"], "accelerator-space must be a TOML file or one of "
                                     "elector, elector-measured, not 'tpu'"),
    (["--accelerator-space", "no.toml"], "accelerator-space must be a readable TOML space"),
    (["--workers", "0"], "workers must be a positive integer, not 0"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    r = CliRunner().invoke(COMMAND, args + ["-o", str(out), "--db", str(tmp_path / "c.db")])
    assert r.exit_code == 2, r.output
    assert message in r.output and len(r.output.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "c.db").exists()


def test_empty_space_names_the_axis(tmp_path):
    text = (resources.files("tilewright.flows.search.codesign") / "space.toml").read_text()
    space = tmp_path / "space.toml"
    space.write_text(text.replace("hidden = [16, 32, 64]", "hidden = []"))
    r = CliRunner().invoke(COMMAND, ["--space", str(space), "-o", str(tmp_path / "out"),
                                     "--db", str(tmp_path / "c.db")])
    assert r.exit_code == 2
    assert "space.transformer.hidden must list at least one value, not ()" in r.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "c.db").exists()


def test_help():
    r = CliRunner().invoke(COMMAND, ["--help"])
    assert r.exit_code == 0 and "--fix-accelerator" in r.output and "--resume" in r.output


def test_resume_continues_the_same_run(tmp_path):
    args = ["--analytic", "--budget", "10", "--initial", "8", "--workers", "1",
            "--db", str(tmp_path / "c.db")]
    r = CliRunner().invoke(COMMAND, args + ["-o", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    run = r.output.split("resume with --resume ")[1].split(")")[0]
    again = CliRunner().invoke(COMMAND, args + ["--resume", run, "-o", str(tmp_path / "b")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "a/evaluations.csv").read_text() == \
        (tmp_path / "b/evaluations.csv").read_text()
    other = CliRunner().invoke(COMMAND, args[:2] + ["12"] + args[3:]
                               + ["--resume", run, "-o", str(tmp_path / "c")])
    assert other.exit_code == 2 and "was started with another config" in other.output
    assert not (tmp_path / "c").exists()


def test_accelerator_space_restricts_the_search(tmp_path):
    import csv
    import json
    r = CliRunner().invoke(COMMAND, ["--analytic", "--budget", "12", "--initial", "8",
                                     "--workers", "1", "--accelerator-space",
                                     "elector-measured", "--db", str(tmp_path / "c.db"),
                                     "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(tmp_path / "out/evaluations.csv")))
    tiles = {(a["spatial_tile"], a["batch_tile"])
             for a in (json.loads(row["accelerator"]) for row in rows)}
    assert len(rows) == 12 and tiles <= {(8, 1), (16, 1)}
