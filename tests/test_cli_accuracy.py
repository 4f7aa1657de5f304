"""``tilewright accuracy``: the tables and plot regenerate from one command."""

import csv

import pytest

from tilewright.golden.models.accuracy import GELU_SEGMENTS, LN_FLS, LUT_DEPTHS


def test_help(run_cli):
    code, out, _ = run_cli("accuracy", "--help")
    assert code == 0 and out.startswith("Usage: tilewright accuracy")


@pytest.mark.parametrize("args, message", [
    (["--fl", "40"], "fl must be an integer from 0 to 31, not 40"),
    (["--exp-bits", "30"], "exp-bits must be an integer from 2 to 20, not 30"),
    (["--steps", "-1"], "steps must be an integer from 0 to 100000, not -1"),
])
def test_bad_options(run_cli, tmp_path, args, message):
    code, _, err = run_cli("accuracy", *args, "-o", str(tmp_path / "out"))
    assert code == 2 and err == f"tilewright: error: {message}\n"
    assert not (tmp_path / "out").exists()


def test_writes_tables_and_plot(run_cli, tmp_path):
    code, out, _ = run_cli("accuracy", "--steps", "20", "-o", str(tmp_path))
    assert code == 0
    assert out.split() == [str(tmp_path / f"accuracy.{e}") for e in ("csv", "md", "png")]
    rows = list(csv.DictReader(open(tmp_path / "accuracy.csv")))
    assert [int(r["value"]) for r in rows] == [*LUT_DEPTHS, *GELU_SEGMENTS, *LN_FLS]
    soft = [float(r["max_abs_error"]) for r in rows if r["unit"] == "softmax"]
    assert soft[0] > 10 * soft[-1] > 0
    text = (tmp_path / "accuracy.md").read_text()
    assert "## softmax" in text and "## layer_norm" in text and "trained 20 steps" in text
    assert (tmp_path / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
