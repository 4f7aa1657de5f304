"""CLI: `tilewright gen dynatran|pre-sparsity|post-sparsity|sparse-mac`: help, one-line
errors (word for word, nothing written), lint-clean output."""

import json

import pytest



@pytest.mark.parametrize("block", ["dynatran", "pre-sparsity", "post-sparsity", "sparse-mac"])
def test_help(run_cli, block):
    code, out, _ = run_cli("gen", block, "--help")
    assert code == 0 and out.startswith("Usage: tilewright gen " + block)


@pytest.mark.parametrize("block, args, message", [
    ("dynatran", ["--rows", "0"], "rows must be an integer from 1 to 64, not 0"),
    ("dynatran", ["--threshold", "topk"],
     "threshold must be one of 'input', 'calculator', not 'topk'"),
    ("dynatran", ["--transpose", "maybe"], "transpose must be true or false, not 'maybe'"),
    ("dynatran", ["--batch", "4", "--rows", "32", "--cols", "16"],
     "batch·rows·cols must be at most 1024 elements, not 2048"),
    ("pre-sparsity", ["--length", "many"], "length must be an integer, not 'many'"),
    ("post-sparsity", ["--length", "65"], "length must be an integer from 1 to 64, not 65"),
    ("sparse-mac", ["--multipliers", "6"],
     "multipliers must be a power of two from 1 to 64, not 6"),
])
def test_bad_parameters(run_cli, tmp_path, block, args, message):
    out_dir = tmp_path / "out"
    code, _, err = run_cli("gen", block, *args, "-o", str(out_dir))
    assert code == 2
    assert err == f"tilewright: error: {message}\n"
    assert not out_dir.exists()


@pytest.mark.parametrize("block, args, top", [
    ("dynatran", ["--rows", "2", "--cols", "3", "--threshold", "calculator",
                  "--transpose", "true"], "dynatran"),
    ("pre-sparsity", ["--length", "4", "--il", "8", "--fl", "0"], "pre_sparsity"),
    ("post-sparsity", ["--length", "4"], "post_sparsity"),
    ("sparse-mac", ["--length", "5", "--multipliers", "2"], "sparse_mac"),
])
def test_gen_writes_linted_verilog(run_cli, tmp_path, block, args, top):
    code, out, _ = run_cli("gen", block, *args, "-o", str(tmp_path))
    assert code == 0
    assert (tmp_path / f"{top}.v").read_text().count(f"module {top}") == 1
    manifest = json.loads((tmp_path / f"{top}.json").read_text())
    assert manifest["block"] == block and manifest["facts"]["latency_cycles"] >= 1
