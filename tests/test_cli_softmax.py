"""``tilewright gen softmax|layer-norm|gelu``: Verilog, facts and one-line errors."""

import json

import pytest

from tilewright.gen.layer_norm import LayerNorm
from tilewright.gen.softmax import Softmax


@pytest.mark.parametrize("block", ["softmax", "layer-norm", "gelu"])
def test_help(run_cli, block):
    code, out, _ = run_cli("gen", block, "--help")
    assert code == 0 and out.startswith(f"Usage: tilewright gen {block}")


@pytest.mark.parametrize("block, args, message", [
    ("softmax", ["--t", "513"], "t must be an integer from 1 to 512, not 513"),
    ("softmax", ["--lut-depth", "100"], "lut-depth must be a power of two from 2 to 4096, not 100"),
    ("softmax", ["--heads", "two"], "heads must be an integer, not 'two'"),
    ("layer-norm", ["--n", "12"], "n must be a power of two from 2 to 1024, not 12"),
    ("layer-norm", ["--il", "1", "--fl", "18"], "fl must be an integer from 0 to 16, not 18"),
    ("gelu", ["--lanes", "65"], "lanes must be an integer from 1 to 64, not 65"),
    ("gelu", ["--gelu-segments", "3"], "gelu-segments must be a power of two from 2 to 256, not 3"),
])
def test_bad_parameters_one_line_nothing_written(run_cli, tmp_path, block, args, message):
    out_dir = tmp_path / "out"
    code, _, err = run_cli("gen", block, *args, "-o", str(out_dir))
    assert code == 2 and err == f"tilewright: error: {message}\n"
    assert not out_dir.exists()


def test_gen_softmax(run_cli, tmp_path):
    code, out, _ = run_cli("gen", "softmax", "--t", "197", "--heads", "6",
                           "--lut-depth", "1024", "-o", str(tmp_path))
    assert code == 0
    assert "module softmax(" in (tmp_path / "softmax.v").read_text()
    facts = json.loads((tmp_path / "softmax.json").read_text())["facts"]
    assert facts["cycles_per_vector"] == Softmax.vector_cycles(197, 16) == 3 * 197 + 16 + 8 + 1
    assert facts["sum_bound"] == Softmax.sum_bound(197, 16)
    assert 0 < facts["error_vs_torch"]["max_abs_error"] < 0.01


def test_gen_layer_norm_and_gelu(run_cli, tmp_path):
    assert run_cli("gen", "layer-norm", "--n", "32", "-o", str(tmp_path))[0] == 0
    facts = json.loads((tmp_path / "layer_norm.json").read_text())["facts"]
    assert facts["cycles_per_vector"] == LayerNorm.vector_cycles(32, 4, 16)
    assert run_cli("gen", "gelu", "--lanes", "8", "-o", str(tmp_path))[0] == 0
    assert "module gelu_unit(" in (tmp_path / "gelu_unit.v").read_text()
    facts = json.loads((tmp_path / "gelu_unit.json").read_text())["facts"]
    assert facts["values_per_cycle"] == 8 and facts["latency_cycles"] == 1
