"""``tilewright search pivot``: help, input errors, missing cost records named, a tiny
run on two workers the same as on one."""

import pytest
from click.testing import CliRunner
from test_cost_query import measured

from tilewright.flows.costs.store import CostDB
from tilewright.flows.model.pivot import PivotHardware

from tilewright.flows.commands.common import UserError
from tilewright.flows.commands.search_pivot import COMMAND


def _run(args):
    return COMMAND.main(args, prog_name="pivot", standalone_mode=False)


def test_help():
    result = CliRunner().invoke(COMMAND, ["--help"])
    assert result.exit_code == 0 and "--lec" in result.output and "--resume" in result.output


@pytest.mark.parametrize("args, message", [
    (["--efforts", "0,3"], "efforts must be from 1 to 11, not 0"),
    (["--model", "lv-vit-s", "--efforts", "16"], "efforts must be from 1 to 15, not 16"),
    (["--efforts", "a"], "efforts must be comma-separated integers, not 'a'"),
    (["--lec", "1.2"], "lec must be from 0 to 1, not 1.2"),
    (["--units", "softmax,exp"], "units must be names from softmax, gelu, layer_norm, "
                                 "not 'exp'"),
    (["--pe-param", "dataflow=xx"], "dataflow must be one of 'ws', 'is', 'os', not 'xx'"),
])
def test_bad_input(tmp_path, args, message):
    with pytest.raises(UserError) as err:
        _run([*args, "--db", str(tmp_path / "db.sqlite"), "-o", str(tmp_path / "out")])
    assert err.value.message == message
    assert not (tmp_path / "out").exists()


def test_missing_records_named_before_training(tmp_path):
    with pytest.raises(UserError) as err:
        _run(["--db", str(tmp_path / "db.sqlite"), "-o", str(tmp_path / "out")])
    text = err.value.message
    assert text.startswith("no cost record for systolic rows=4 cols=4 dataflow=is")
    assert "measure with: tilewright characterize systolic --param rows=4" in text
    assert "tilewright characterize layer-norm --param n=4" in text
    assert not (tmp_path / "out").exists()


def test_tiny_run_on_two_workers_as_on_one(tmp_path):
    db = tmp_path / "db.sqlite"
    with CostDB(db) as costs:                    # the systolic array only (--units "")
        costs.put(measured("systolic", PivotHardware().pe_params))
    args = ["--efforts", "11", "--thresholds", "0,1", "--targets", "0.9", "--hidden", "8",
            "--ff", "16", "--heads", "1", "--epochs", "1", "--units", "", "--db", str(db)]
    for workers in (2, 1):
        _run([*args, "--executor", "local", "--workers", str(workers), "--resume",
              f"w{workers}", "-o", str(tmp_path / f"w{workers}")])
    for name in ("cka.csv", "paths.csv", "thresholds.csv", "pairs.csv", "selected.csv"):
        assert (tmp_path / "w2" / name).read_text() == (tmp_path / "w1" / name).read_text()
    assert len((tmp_path / "w1" / "thresholds.csv").read_text().split()) == 3
