"""``tilewright search``: the design-space searches, one subcommand each.

Subcommands are discovered, not listed: every module ``search_<name>.py`` of
:mod:`tilewright.flows.commands` defines ``COMMAND``, the click command of
``tilewright search <name>`` (``search_approx.py`` → ``search approx``), imported only when
it is looked up. A new searcher adds its module; nothing else changes.
"""

import importlib
import pkgutil

import click

import tilewright.flows.commands as commands

__all__ = ["COMMAND", "PREFIX"]

PREFIX = "search_"


class SearchGroup(click.Group):
    """Subcommands from the ``search_*`` modules of :mod:`tilewright.flows.commands`."""

    def list_commands(self, ctx):
        return sorted(info.name[len(PREFIX):].replace("_", "-")
                      for info in pkgutil.iter_modules(commands.__path__)
                      if info.name.startswith(PREFIX))

    def get_command(self, ctx, name):
        if name not in self.list_commands(ctx):
            return None
        module = f"tilewright.flows.commands.{PREFIX}{name.replace('-', '_')}"
        return importlib.import_module(module).COMMAND


@click.group("search", cls=SearchGroup)
def search():
    """Design-space searches on measured costs (TransAxx, TransCODE, TReX, PIVOT)."""


COMMAND = search
