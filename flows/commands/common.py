"""What the CLI's commands share: one-line user errors and parameter parsing.

Errors from bad input are printed as one line (``tilewright: error: ...``) naming the field
and its allowed values, with exit status 2; nothing is written in that case.
"""

import functools

import click

from tilewright.blocks import BlockError
from tilewright.flows.config import ConfigError
from tilewright.flows.generate import LintError, OutputError

__all__ = ["UserError", "fail_on_user_errors", "parse_params", "convert"]


class UserError(click.ClickException):
    """Bad input: printed as one line, exit status 2."""

    exit_code = 2


def fail_on_user_errors(fn):
    """Turn the library's input errors into one-line CLI errors."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (BlockError, ConfigError, OutputError, LintError, ValueError, TypeError) as e:
            raise UserError(str(e)) from None
    return wrapper


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
