"""``tilewright regress --layer``: bad input is one line naming what is wrong, before any
work (the layer itself runs in ``test_cosim_top.py`` through the same ``run_layer``)."""

import pytest


@pytest.mark.parametrize("args, message", [
    (["--block", "mac-lane"], "--layer goes with --config only (not --block, --param, --test "
                              "or --full)"),
    (["--model", "bert-huge"], "model must be one of 'bert-tiny', 'bert-base', 'deit-s', "
                               "'lv-vit-s', not 'bert-huge'"),
    (["--tau", "-1"], "--tau"),
    (["--seq", "0"], "--seq"),
])
def test_bad_input_is_one_line(run_cli, tmp_path, args, message):
    code, out, err = run_cli("regress", "--layer", "--db", str(tmp_path / "none.sqlite"),
                             "-o", str(tmp_path / "out"), *args)
    assert code == 2 and message in err and out == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "none.sqlite").exists()


def test_missing_database_is_refused(run_cli, tmp_path):
    code, _, err = run_cli("regress", "--layer", "--config", "acceltran-mini", "--db",
                           str(tmp_path / "none.sqlite"))
    assert code == 2
    assert err.strip() == (f"tilewright: error: --db {tmp_path / 'none.sqlite'} does not exist; "
                           f"characterize the blocks first (tilewright characterize --config "
                           f"acceltran-mini --db {tmp_path / 'none.sqlite'}) or pass "
                           f"--characterize")
