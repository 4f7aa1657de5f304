"""What the CLI's commands share: one-line user errors and parameter parsing.

Errors from bad input are printed as one line (``tilewright: error: ...``) naming the field
and its allowed values, with exit status 2; nothing is written in that case.
"""

import contextlib
import functools
import sys

import click

from tilewright.blocks import BlockError
from tilewright.flows.config import ConfigError
from tilewright.flows.costs.database import DatabaseError
from tilewright.flows.executor import EXECUTORS, TaskFailed
from tilewright.flows.generate import LintError, OutputError

__all__ = ["UserError", "fail_on_user_errors", "parse_params", "convert", "DB_OPTION",
           "executor_options", "resume_option", "exit_on_failed_task", "evaluate_tasks"]

#: ``--db``: the cost database, which also keeps the runs
DB_OPTION = click.option("--db", "db_url", default="tilewright-costs.sqlite", show_default=True,
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
        except (BlockError, ConfigError, OutputError, LintError, DatabaseError, ValueError,
                TypeError) as e:
            raise UserError(str(e)) from None
    return wrapper


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
