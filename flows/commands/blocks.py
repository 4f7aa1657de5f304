"""``tilewright blocks``: the generator blocks and their parameters."""

import click

from tilewright.gen.catalogue import blocks

__all__ = ["COMMAND"]


@click.command("blocks")
def COMMAND():
    """List the blocks and their parameters."""
    for block in blocks().values():
        click.echo(f"{block.name}: {block.summary}")
        for p in block.params:
            choices = f" [{'|'.join(p.choices)}]" if p.choices else ""
            click.echo(f"    {p.option} {p.type.__name__} = {p.default}{choices}  {p.help}")
