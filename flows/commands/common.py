"""What the CLI's commands share: one-line user errors and parameter parsing.

Errors from bad input are printed as one line (``tilewright: error: ...``) naming the field
and its allowed values, with exit status 2; nothing is written in that case.
"""

import contextlib
import functools
import math
import os
import sys
from pathlib import Path

import click

from tilewright.blocks import BlockError
from tilewright.flows.config import ConfigError
from tilewright.flows.costs.database import DatabaseError
from tilewright.flows.costs.store import DEFAULT_DB
from tilewright.flows.executor import EXECUTORS, TaskFailed
from tilewright.flows.generate import LintError, OutputError

__all__ = ["UserError", "fail_on_user_errors", "parse_params", "convert", "instance_options",
           "block_instances", "DB_OPTION", "executor_options", "resume_option",
           "exit_on_failed_task", "evaluate_tasks", "Number", "check_output_file",
           "check_output_folder", "output_folder", "writing"]

#: ``--db``: the cost database, which also keeps the runs
DB_OPTION = click.option("--db", "db_url", default=DEFAULT_DB, show_default=True,
                         help="cost database: a SQLite file or a postgresql:// URL")


class UserError(click.ClickException):
    """Bad input: printed as one line, exit status 2."""

    exit_code = 2


def fail_on_user_errors(fn):
    """Turn the library's input errors into one-line CLI errors."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DatabaseError as e:
            raise UserError(f"--db: {e}") from None
        except (BlockError, ConfigError, OutputError, LintError, ValueError, TypeError) as e:
            raise UserError(_as_typed(str(e))) from None
    return wrapper


def _as_typed(message):
    """``message`` with a leading parameter name spelled as the running command's option
    spells it: ``acc_width must be ...`` → ``acc-width must be ...`` (for ``--acc-width``)."""
    ctx = click.get_current_context(silent=True)
    name = message.split(" ", 1)[0]
    if ctx is None or "_" not in name:
        return message
    dashed = name.replace("_", "-")
    options = {o for p in ctx.command.params for o in getattr(p, "opts", ())}
    return dashed + message[len(name):] if f"--{dashed}" in options else message


def _option(param):
    return max(param.opts, key=len) if param is not None else "value"


class Number(click.ParamType):
    """A finite number; with ``positive``, above zero, with ``at_least_zero``, not below
    (``inf``, ``nan`` and what is out of range are refused with a one-line error naming
    the option)."""

    name = "number"

    def __init__(self, positive=False, at_least_zero=False):
        self.positive, self.at_least_zero = positive, at_least_zero

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if (not math.isfinite(number) or (self.positive and number <= 0)
                or (self.at_least_zero and number < 0)):
            kind = ("a positive number" if self.positive else
                    "a number at least 0" if self.at_least_zero else "a finite number")
            raise UserError(f"{_option(param)} must be {kind}, not {value!r}")
        return number


def _nearest_existing(path):
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    return path


@contextlib.contextmanager
def writing(path, option="--output"):
    """Turn an ``OSError`` while writing ``path`` into a one-line error naming ``option``."""
    try:
        yield
    except OSError as e:
        raise UserError(f"{option} {path!r} cannot be written: {e.strerror or e}") from None


def check_output_file(path, option="--output"):
    """Refuse, before any work, an output file that cannot be written: a folder in its
    place, or its folder missing, not a folder or read-only."""
    folder = Path(path).parent
    if Path(path).is_dir():
        raise UserError(f"{option} must be a file, not the folder {path!r}")
    if not folder.is_dir():
        raise UserError(f"{option} must be a file in an existing folder, not {path!r} "
                        f"(no folder {str(folder)!r})")
    if not os.access(folder, os.W_OK):
        raise UserError(f"{option} must be a file in a writable folder, not {path!r}")


def output_folder(ctx, param, value):
    """A click callback: ``value`` checked by :func:`check_output_folder` as it is parsed,
    so before the command does any work."""
    if value is not None:
        check_output_folder(value, _option(param))
    return value


def check_output_folder(folder, option="--output"):
    """Refuse, before any work, an output folder that cannot be made or written, without
    making it."""
    if Path(folder).exists() and not Path(folder).is_dir():
        raise UserError(f"{option} must be a folder, not the file {folder!r}")
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise UserError(f"{option} must be a folder, not {folder!r} (under the file "
                        f"{str(existing)!r})")
    if not os.access(existing, os.W_OK):
        raise UserError(f"{option} must be a writable folder, not {folder!r}")


def executor_options(fn):
    """The options choosing where a command's independent evaluations run:
    ``--executor``, ``--scheduler``, ``--workers``, the arguments of
    :func:`~tilewright.flows.executor.get_executor`."""
    fn = click.option("--workers", type=int, default=None,
                      help="worker processes of the local pool or of a new Dask "
                           "LocalCluster (default: one per core)")(fn)
    fn = click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
                      help="the scheduler of an existing Dask cluster (with --executor "
                           "dask; without it, dask starts a LocalCluster)")(fn)
    return click.option("--executor", "executor_kind", type=click.Choice(EXECUTORS),
                        default="local", show_default=True,
                        help="run independent evaluations in a local process pool or on "
                             "Dask")(fn)


def resume_option(fn):
    """``--resume RUN``: evaluations recorded under a run in ``--db`` (see
    :func:`evaluate_tasks`)."""
    return click.option("--resume", "run_id", metavar="RUN", default=None,
                        help="record each finished evaluation under run RUN in --db; "
                             "after an interruption (even kill -9) the same command with "
                             "the same RUN runs only what is missing")(fn)


def evaluate_tasks(fn, tasks, executor, *, desc, run_id=None, db_url=None, kind=None,
                   config=None):
    """``{key: fn(*args)}`` for ``tasks`` on ``executor`` (started and stopped here), in
    the order of ``tasks``. With ``run_id``, through that run of ``kind`` in ``db_url``
    (:mod:`tilewright.flows.runs`): what it recorded is not evaluated again, and a
    ``config`` other than the run's is refused. A failed evaluation exits with status 1
    (:func:`exit_on_failed_task`)."""
    from tilewright.flows.runs import open_run
    with exit_on_failed_task():
        if run_id is None:
            with executor:
                results = dict(executor.map(fn, tasks, desc=desc))
            return {key: results[key] for key in tasks}
        with open_run(db_url, run_id, kind=kind, config=config) as run, executor:
            return run.evaluate(executor, fn, tasks, desc=desc)


@contextlib.contextmanager
def cost_source(db_url, config_spec, clock_mhz, run_missing, *, node_nm=None):
    """The model's :class:`~tilewright.flows.model.CostSource` on ``--db`` (refused in one
    line when the file does not exist and ``--characterize`` was not given), measuring
    missing records first with ``run_missing``; the database is closed on leaving."""
    from tilewright.flows.costs import open_db
    from tilewright.flows.model import CostSource
    if not Path(db_url).exists() and "://" not in db_url and not run_missing:
        raise UserError(f"--db {db_url} does not exist; characterize the blocks first "
                        f"(tilewright characterize --config {config_spec} --db {db_url}) "
                        f"or pass --characterize")
    with open_db(db_url) as db:
        measure = None
        if run_missing:
            from tilewright.flows.characterize import characterize

            def measure(block, params):
                click.echo(f"characterizing {block} {params}", err=True)
                characterize(block, params, db=db, clock_mhz=clock_mhz)
        yield CostSource(db, clock_mhz=clock_mhz, characterize=measure, node_nm=node_nm)


@contextlib.contextmanager
def exit_on_failed_task():
    """A failed evaluation (:class:`~tilewright.flows.executor.TaskFailed`: which one, on
    which worker, the replay command) printed on stderr, exit status 1."""
    try:
        yield
    except TaskFailed as e:
        click.echo(str(e), err=True)
        sys.exit(1)


def convert(param, text):
    """``text`` from the command line as a value of ``param``'s type."""
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


def parse_params(block, raw_params):
    """``--param NAME=VALUE`` items as a dict of typed values of ``block``'s parameters."""
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
        given[name] = convert(known[name], value)
    return given


def instance_options(config_help):
    """The options ``BLOCK``, ``--param NAME=VALUE`` (repeatable) and ``--config CFG``
    (described by ``config_help``) of a command that takes one block or a config; the
    command reads them with :func:`block_instances`."""
    def decorate(command):
        command = click.option("--config", "config_spec", metavar="CFG",
                               help=config_help)(command)
        command = click.option("--param", "raw_params", multiple=True, metavar="NAME=VALUE",
                               help="a parameter of BLOCK (repeatable)")(command)
        return click.argument("block_name", required=False, metavar="BLOCK")(command)
    return decorate


def block_instances(block_name, raw_params, config_spec):
    """``(instance, block, params)`` of BLOCK with ``--param`` items, or of every block of
    ``--config``: exactly one of the two must be given."""
    if (block_name is None) == (config_spec is None):
        raise UserError("give exactly one of BLOCK or --config")
    if block_name is not None:
        from tilewright.gen.catalogue import get_block
        return [(block_name, block_name, parse_params(get_block(block_name), raw_params))]
    if raw_params:
        raise UserError("--param goes with BLOCK")
    from tilewright.flows.config import load_config
    return [(i.instance, i.block, i.params) for i in load_config(config_spec).instances]
