"""The ``tilewright`` command line.

Errors from bad input are printed as one line (``tilewright: error: ...``) naming the field
and its allowed values, with exit status 2; nothing is written in that case.
"""

import json
import sys

import click

from tilewright.blocks import BlockError, blocks, get_block

__all__ = ["main", "cli", "UserError", "fail_on_user_errors"]


class UserError(click.ClickException):
    """Bad input: printed as one line, exit status 2."""

    exit_code = 2


def fail_on_user_errors(fn):
    """Turn the library's input errors into one-line CLI errors."""
    import functools

    from tilewright.flows.config import ConfigError
    from tilewright.flows.generate import LintError, OutputError

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (BlockError, ConfigError, OutputError, LintError, ValueError, TypeError) as e:
            raise UserError(str(e)) from None
    return wrapper


class TopGroup(click.Group):
    """The top-level group; it adds the flows' commands (every ``tilewright.flows.cmd_*``
    module's ``COMMAND``) on first look-up, not at import, so those modules can import
    this one."""

    _flows_added = False

    def _add_flow_commands(self):
        if TopGroup._flows_added:
            return
        TopGroup._flows_added = True
        import importlib
        import pkgutil

        import tilewright.flows as flows
        for info in sorted(pkgutil.iter_modules(flows.__path__), key=lambda i: i.name):
            if info.name.startswith("cmd_"):
                self.add_command(importlib.import_module(f"tilewright.flows.{info.name}").COMMAND)

    def list_commands(self, ctx):
        self._add_flow_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        self._add_flow_commands()
        return super().get_command(ctx, name)


@click.group(cls=TopGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tilewright")
def cli():
    """tilewright: generate transformer-accelerator RTL, prove it against PyTorch golden
    models in cocotb on Verilator, and measure its costs.

    \b
    Typical use:
      tilewright blocks                              list the generators
      tilewright gen mac-lane --multipliers 16 -o out/
      tilewright gen --config acceltran-edge -o rtl/acceltran-edge
      tilewright regress --config acceltran-edge
    """


# ---------------------------------------------------------------- gen
class GenGroup(click.Group):
    """``tilewright gen <block>``: one subcommand per block, made from its parameters."""

    def list_commands(self, ctx):
        return list(blocks())

    def get_command(self, ctx, name):
        try:
            block = get_block(name)
        except BlockError:
            return None
        return _gen_command(block)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError:
            raise UserError(f"unknown block {args[0]!r}; blocks are "
                            f"{', '.join(blocks())}") from None


def _gen_command(block):
    params = [click.Option([p.option], type=str, default=None, metavar=p.type.__name__.upper(),
                           help=f"{p.help}" + (f" [{'|'.join(p.choices)}]" if p.choices else "")
                           + f" (default: {p.default})")
              for p in block.params]
    params += [
        click.Option(["-o", "--output"], required=True, type=click.Path(file_okay=False),
                     help="output folder for <module>.v and <module>.json"),
        click.Option(["--lint/--no-lint"], default=True, show_default=True,
                     help="lint with verilator -Wall (named waivers only) before writing"),
    ]

    @fail_on_user_errors
    def callback(output, lint, **raw):
        from tilewright.flows.generate import generate, write
        given = {p.name: _convert(p, raw[p.name]) for p in block.params
                 if raw[p.name] is not None}
        item = generate(block.name, given)
        for path in write([item], output, check_lint=lint):
            click.echo(path)
        click.echo(json.dumps(item.facts, indent=2))

    return click.Command(block.name, params=params, callback=callback,
                         help=f"{block.summary}.\n\nWrites <module>.v and a JSON of the "
                              f"resolved parameters and derived figures.",
                         short_help=block.summary)


def _convert(param, text):
    if param.type is int:
        try:
            return int(text, 0)
        except ValueError:
            raise UserError(f"{param.name} must be an integer, not {text!r}") from None
    if param.type is float:
        try:
            return float(text)
        except ValueError:
            raise UserError(f"{param.name} must be a number, not {text!r}") from None
    if param.type is bool:
        if text.lower() not in ("true", "false", "1", "0"):
            raise UserError(f"{param.name} must be true or false, not {text!r}")
        return text.lower() in ("true", "1")
    return text


@cli.group(cls=GenGroup, invoke_without_command=True)
@click.option("--config", "config_spec", metavar="CFG",
              help="generate every block of a TOML config file or shipped preset")
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="output folder (with --config)")
@click.option("--lint/--no-lint", default=True, show_default=True,
              help="lint with verilator -Wall (named waivers only) before writing")
@click.pass_context
@fail_on_user_errors
def gen(ctx, config_spec, output, lint):
    """Generate lint-clean Verilog for one block (`gen BLOCK --help`) or a config."""
    if ctx.invoked_subcommand is not None:
        return
    if config_spec is None:
        click.echo(ctx.get_help())
        return
    if output is None:
        raise UserError("--output is required with --config")
    from tilewright.flows.config import load_config
    from tilewright.flows.generate import generate_config, write
    config = load_config(config_spec)
    for path in write(generate_config(config), output, check_lint=lint):
        click.echo(path)


# ---------------------------------------------------------------- blocks
@cli.command("blocks")
def blocks_command():
    """List the blocks and their parameters."""
    for block in blocks().values():
        click.echo(f"{block.name}: {block.summary}")
        for p in block.params:
            choices = f" [{'|'.join(p.choices)}]" if p.choices else ""
            click.echo(f"    {p.option} {p.type.__name__} = {p.default}{choices}  {p.help}")


# ---------------------------------------------------------------- regress
@cli.command()
@click.option("--block", "block_name", metavar="BLOCK", help="regress one block")
@click.option("--param", "raw_params", multiple=True, metavar="NAME=VALUE",
              help="a parameter of --block (repeatable)")
@click.option("--config", "config_spec", metavar="CFG",
              help="regress every block of a TOML config file or shipped preset")
@click.option("--seed", type=int, default=None, help="random seed (default: a fresh one)")
@click.option("--test", "testcase", default=None, help="run only this cocotb test")
@click.option("--waves", is_flag=True, help="record waveforms (dump.vcd in the run folder)")
@click.option("--full", is_flag=True,
              help="run the whole pytest regression, exhaustive sweeps included")
@fail_on_user_errors
def regress(block_name, raw_params, config_spec, seed, testcase, waves, full):
    """Run cocotb regressions on Verilator with the golden models as scoreboards.

    A failure prints its seed and the command that replays it.
    """
    if full:
        _run_pytest(["-m", "full or not full"])
        return
    if (block_name is None) == (config_spec is None):
        raise UserError("give exactly one of --block or --config")
    from tilewright.flows.regress import regress_block, regress_config
    from tilewright.cosim.runner import SimulationFailed
    try:
        if block_name is not None:
            block = get_block(block_name)
            given = _parse_params(block, raw_params)
            result = regress_block(block_name, given, seed=seed, testcase=testcase,
                                   waves=waves, keep=waves)
            _print_result(block_name, result)
        else:
            if raw_params:
                raise UserError("--param goes with --block")
            from tqdm import tqdm

            from tilewright.flows.config import load_config
            config = load_config(config_spec)
            bar = tqdm(total=len(config.instances), desc=f"regress {config.name}", unit="block",
                       file=sys.stderr)
            for inst, result in regress_config(config, seed=seed, waves=waves):
                bar.update()
                _print_result(inst.instance, result)
            bar.close()
    except SimulationFailed as e:
        click.echo(str(e), err=True)
        sys.exit(1)


def _parse_params(block, raw_params):
    known = {p.name: p for p in block.params}
    given = {}
    for item in raw_params:
        name, sep, value = item.partition("=")
        name = name.replace("-", "_")          # as `tilewright blocks` spells them
        if not sep:
            raise UserError(f"--param takes NAME=VALUE, not {item!r}")
        if name not in known:
            raise UserError(f"{block.name}: unknown parameter {name!r}; parameters are "
                            f"{', '.join(known)}")
        given[name] = _convert(known[name], value)
    return given


def _print_result(name, result):
    click.echo(f"{name}: {result.tests} tests passed (seed {result.seed})")
    for test, figures in sorted(result.report.items()):
        click.echo(f"    {test}: {json.dumps(figures, sort_keys=True)}")


def _run_pytest(args):
    from pathlib import Path

    import pytest
    tests = Path(__file__).resolve().parent.parent / "tests"
    if not tests.is_dir():
        raise UserError("--full runs the test suite of a source checkout (pip install -e); "
                        f"no tests folder at {tests}")
    sys.exit(pytest.main(["-n", "auto", str(tests), *args]))


def main(argv=None):
    """Entry point: click with one-line errors."""
    try:
        cli.main(args=argv, prog_name="tilewright", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:
        click.echo(f"tilewright: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code if isinstance(e, UserError) else 2)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
