"""``tilewright search pivot``: help, input errors, missing cost records named."""

import pytest
from click.testing import CliRunner

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
