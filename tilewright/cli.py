"""The ``tilewright`` command line: the top-level group and the entry point.

The commands are the modules of :mod:`tilewright.flows.commands` (each defines ``COMMAND``).
Errors from bad input are printed as one line (``tilewright: error: ...``) naming the field
and its allowed values, with exit status 2; nothing is written in that case.
"""

import importlib
import pkgutil
import signal
import sys
import threading

import click

import tilewright.flows.commands as commands
from tilewright.flows.commands.common import UserError

__all__ = ["main", "cli"]


class TopGroup(click.Group):
    """The top-level group; each command module of :mod:`tilewright.flows.commands` is
    imported when its command is looked up, so a command's imports cost only its own use."""

    def list_commands(self, ctx):
        """Every module but ``common`` and a command's own parts (``search_approx`` is part
        of ``search``, ``regress_layer`` of ``regress``)."""
        names = {info.name for info in pkgutil.iter_modules(commands.__path__)}
        return sorted(name.replace("_", "-") for name in names
                      if name != "common" and name.split("_")[0] not in names - {name})

    def get_command(self, ctx, name):
        if name not in self.list_commands(ctx):
            return None
        module = importlib.import_module(f"tilewright.flows.commands.{name.replace('-', '_')}")
        return module.COMMAND


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


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so that what is running unwinds (child
    processes killed, transactions rolled back, temporary files removed)."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv=None):
    """Entry point: click with one-line errors; SIGTERM stops the work with one line."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        cli.main(args=argv, prog_name="tilewright", standalone_mode=False)
    except Terminated:
        click.echo("tilewright: terminated (SIGTERM); stopped what was running", err=True)
        sys.exit(128 + signal.SIGTERM)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:
        click.echo(f"tilewright: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code if isinstance(e, UserError) else 2)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    main()
