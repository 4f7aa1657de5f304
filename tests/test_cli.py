"""The CLI: help everywhere, one-line errors that write nothing, generation."""

import json

import pytest


@pytest.mark.parametrize("argv", [[], ["gen"], ["gen", "mac-lane"], ["regress"], ["blocks"]])
def test_help_everywhere(run_cli, argv):
    code, out, _ = run_cli(*argv, "--help")
    assert code == 0 and out.startswith("Usage: tilewright")


def _commands(group, path=()):
    """Every command path under ``group``, the ones its groups make on demand included."""
    import click
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_help_on_every_command(run_cli):
    from tilewright.cli import cli
    paths = list(_commands(cli))
    assert {("costs", "plot"), ("characterize",), ("gen", "mac-lane")} <= set(paths)
    for path in paths:
        code, out, _ = run_cli(*path, "--help")
        assert code == 0 and out.startswith(f"Usage: tilewright {' '.join(path)}"), path


@pytest.mark.parametrize("args, message", [
    (["--multipliers", "12"], "multipliers must be a power of two from 1 to 64, not 12"),
    (["--il", "0", "--fl", "0"], "il must be an integer from 1 to 32, not 0"),
    (["--activation", "tanh"], "activation must be one of 'none', 'relu', 'gelu', not 'tanh'"),
    (["--multipliers", "many"], "multipliers must be an integer, not 'many'"),
])
def test_bad_parameters_one_line_nothing_written(run_cli, tmp_path, args, message):
    out_dir = tmp_path / "out"
    code, out, err = run_cli("gen", "mac-lane", *args, "-o", str(out_dir))
    assert code == 2
    assert err == f"tilewright: error: {message}\n"
    assert not out_dir.exists()


def test_unwritable_output(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run_cli("gen", "mac-lane", "-o", str(blocker / "sub"))
    assert code == 2
    assert err == (f"tilewright: error: --output must be a folder, not "
                   f"{str(blocker / 'sub')!r} (under the file {str(blocker)!r})\n")


def test_unknown_block(run_cli, tmp_path):
    code, _, err = run_cli("gen", "tensor-core", "-o", str(tmp_path))
    assert code == 2 and err.startswith("tilewright: error: unknown block 'tensor-core'; "
                                        "blocks are ")
    assert "mac-lane" in err


def test_gen_mac_lane_writes_verilog_and_params(run_cli, tmp_path):
    code, out, _ = run_cli("gen", "mac-lane", "--multipliers", "16", "--il", "4",
                           "--fl", "16", "--activation", "gelu", "-o", str(tmp_path))
    assert code == 0
    text = (tmp_path / "mac_lane.v").read_text()
    assert "module mac_lane(" in text
    manifest = json.loads((tmp_path / "mac_lane.json").read_text())
    assert manifest["params"]["multipliers"] == 16
    assert manifest["params"]["activation"] == "gelu"
    assert manifest["facts"]["latency_cycles"] == 7
    assert manifest["facts"]["gelu_error_vs_torch"]["max_abs_error"] < 2e-3


def test_bad_config_names_field_and_keeps_existing_files(run_cli, tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('name = "x"\n[[blocks]]\nblock = "mac-lane"\nmultipliers = 3\n')
    out_dir = tmp_path / "rtl"
    out_dir.mkdir()
    (out_dir / "mac_lane.v").write_text("keep me")
    code, _, err = run_cli("gen", "--config", str(cfg), "-o", str(out_dir))
    assert code == 2
    assert err == (f"tilewright: error: {cfg}: blocks[0]: multipliers must be a power of two "
                   f"from 1 to 64, not 3\n")
    assert (out_dir / "mac_lane.v").read_text() == "keep me"


@pytest.mark.parametrize("text, message", [
    ('name = "x"\n', "blocks must be a non-empty array of tables ([[blocks]])"),
    ('name = "x"\n[[blocks]]\nblock = "fft"\n', "blocks[0]: unknown block 'fft'; blocks are"),
    ('name = "x"\n[[blocks]]\nblock = "mac-lane"\nwidth = 3\n',
     "blocks[0]: mac-lane: unknown parameter 'width'; parameters are multipliers, il"),
    ('name = "x"\n[[blocks]]\nblock = "mac-lane"\nil = "4"\n',
     "blocks[0]: il must be an integer, not '4'"),
    ('nme = "x"\n', "unknown key 'nme'; keys are name, description, blocks"),
    ('name = [\n', "not valid TOML"),
])
def test_malformed_configs(run_cli, tmp_path, text, message):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(text)
    code, _, err = run_cli("gen", "--config", str(cfg), "-o", str(tmp_path / "o"))
    assert code == 2
    assert err.startswith(f"tilewright: error: {cfg}: {message}")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("param, message", [
    # spelled as `tilewright blocks` lists it (hyphen) or as in configs (underscore)
    ("lut-depth=3", "lut_depth must be a power of two from 2 to 4096, not 3"),
    ("lut_depth=3", "lut_depth must be a power of two from 2 to 4096, not 3"),
    ("lut-dept=3", "softmax: unknown parameter 'lut_dept'; parameters are t, il, fl, "
                   "lut_depth, exp_bits, out_fl, heads"),
])
def test_param_names(run_cli, param, message):
    code, _, err = run_cli("regress", "--block", "softmax", "--param", param)
    assert (code, err) == (2, f"tilewright: error: {message}\n")
