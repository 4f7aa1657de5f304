"""``tilewright blocks``: the generator blocks, their parameters and the values each may
take (``--json``: the design space as data)."""

import json

import click

from tilewright.gen.catalogue import blocks

__all__ = ["COMMAND"]


def _domain(p):
    if p.choices:
        return f" [{'|'.join(map(str, p.choices))}]"
    if p.low is not None:
        kind = "power of two " if p.power_of_two else ""
        return f" [{kind}{p.low}..{p.high}]"
    return ""


@click.command("blocks")
@click.option("--json", "as_json", is_flag=True,
              help="print the design space as JSON: every block's parameters (name, type, "
                   "default, allowed values) and the rules between them")
def COMMAND(as_json):
    """List the blocks and their parameters."""
    if as_json:
        click.echo(json.dumps([b.design_space() for b in blocks().values()], indent=2,
                              ensure_ascii=False))
        return
    for block in blocks().values():
        click.echo(f"{block.name}: {block.summary}")
        for p in block.params:
            click.echo(f"    {p.option} {p.type.__name__} = {p.default}{_domain(p)}  {p.help}")
        for rule in block.constraints:
            click.echo(f"    where {rule.text}")
