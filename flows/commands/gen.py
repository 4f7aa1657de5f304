"""``tilewright gen``: Verilog for one block (a subcommand per block) or a whole config."""

import json

import click

from tilewright.blocks import BlockError
from tilewright.flows.commands.common import (UserError, convert, fail_on_user_errors,
                                             output_folder)
from tilewright.gen.catalogue import blocks, get_block

__all__ = ["COMMAND"]


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
                     callback=output_folder,
                     help="output folder for <module>.v and <module>.json"),
        click.Option(["--lint/--no-lint"], default=True, show_default=True,
                     help="lint with verilator -Wall (named waivers only) before writing"),
    ]

    @fail_on_user_errors
    def callback(output, lint, **raw):
        from tilewright.flows.generate import generate, write
        given = {p.name: convert(p, raw[p.name]) for p in block.params
                 if raw[p.name] is not None}
        item = generate(block.name, given)
        for path in write([item], output, check_lint=lint):
            click.echo(path)
        click.echo(json.dumps(item.facts, indent=2))

    return click.Command(block.name, params=params, callback=callback,
                         help=f"{block.summary}.\n\nWrites <module>.v and a JSON of the "
                              f"resolved parameters and derived figures.",
                         short_help=block.summary)


@click.group("gen", cls=GenGroup, invoke_without_command=True)
@click.option("--config", "config_spec", metavar="CFG",
              help="generate every block of a TOML config file or shipped preset")
@click.option("-o", "--output", type=click.Path(file_okay=False), callback=output_folder,
              help="output folder (with --config)")
@click.option("--lint/--no-lint", default=True, show_default=True,
              help="lint with verilator -Wall (named waivers only) before writing")
@click.option("--top/--no-top", "with_top", default=False, show_default=True,
              help="with --config: emit the accelerator top of its [accelerator] table too, "
                   "besides the PE (not AccelTran-Edge's 64 PEs, past Amaranth's port "
                   "limit: docs/measurements.md)")
@click.pass_context
@fail_on_user_errors
def COMMAND(ctx, config_spec, output, lint, with_top):
    """Generate lint-clean Verilog for one block (`gen BLOCK --help`) or a config."""
    if ctx.invoked_subcommand is not None:
        return
    if config_spec is None:
        click.echo(ctx.get_help())
        return
    if output is None:
        raise UserError("--output is required with --config")
    import sys

    from tqdm import tqdm

    from tilewright.flows.config import load_config
    from tilewright.flows.generate import accelerator_params, generate, write
    config = load_config(config_spec)
    jobs = [(inst.block, inst.params, inst.instance) for inst in config.instances]
    if config.accelerator is not None:      # its PE (and top), from the [accelerator] fields
        from tilewright.flows.model.hardware import load_accelerator
        built = accelerator_params(load_accelerator({"name": config.name,
                                                     "accelerator": config.accelerator}))
        jobs += [(block, built[block], block) for block in ("pe", "top")[:1 + with_top]]
    steps = len(jobs) * (2 if lint else 1)
    with tqdm(total=steps, desc=f"gen {config.name}", unit="step", file=sys.stderr) as bar:
        items = []
        for block, params, instance in jobs:
            bar.set_postfix_str(f"{instance}: elaborate")
            items.append(generate(block, params, instance))
            bar.update()

        def linting(item):          # called as each lint starts: the one before is done
            if item is not items[0]:
                bar.update()
            bar.set_postfix_str(f"{item.instance}: lint")
        written = write(items, output, check_lint=lint, on_lint=linting)
        bar.update(steps - bar.n)
    for path in written:
        click.echo(path)
