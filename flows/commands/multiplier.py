"""``tilewright multiplier``: error metrics and product tables of multipliers (TransAxx §V-B).

``tilewright multiplier report --kind drum --bits 8 --k 4`` prints the error metrics of a
generated multiplier's table (from the golden model, or with ``--rtl`` simulated from its
Verilog, which is also checked against the golden model), or of a user table
(``--table FILE``, ``.npy``/``.csv``). ``tilewright multiplier table ... -o t.npy``
writes the table itself.
"""

import json

import click

from tilewright.flows.commands.common import (UserError, check_output_file,
                                             fail_on_user_errors, writing)
from tilewright.specs.multiplier import KINDS

__all__ = ["COMMAND"]

METRICS = (("mre", "mean relative error", "{:.4%}"), ("mae", "mean absolute error", "{:.6g}"),
           ("nmae", "mean absolute error / 2**(2n-2)", "{:.4e}"),
           ("wce", "worst-case absolute error", "{:.0f}"),
           ("nwce", "worst-case error / 2**(2n-2)", "{:.4e}"),
           ("ep", "error probability", "{:.4%}"), ("mse", "mean squared error", "{:.6g}"),
           ("bias", "mean error", "{:.6g}"))


def _options(fn):
    for option in reversed([
        click.option("--kind", type=click.Choice(KINDS), default="exact", show_default=True,
                     help="multiplier family"),
        click.option("--bits", type=int, default=8, show_default=True,
                     help="operand width n (whole tables up to 10)"),
        click.option("--k", "k", type=int, default=None,
                     help="the kind's knob (default depends on kind)"),
        click.option("--rtl", is_flag=True,
                     help="simulate the generated Verilog on Verilator for the table "
                          "(cached) and check it against the golden model"),
        click.option("--table", "table_file", type=click.Path(dir_okay=False), default=None,
                     help="a user table (.npy or .csv) instead of a generated multiplier"),
    ]):
        fn = option(fn)
    return fn


def _table(kind, bits, k, rtl, table_file):
    """``(table, description)`` for the options."""
    from tilewright.specs.multiplier import check_multiplier
    from tilewright.golden.multiplier import golden_table, load_table
    if table_file is not None:
        if rtl:
            raise UserError("--rtl and --table exclude each other")
        return load_table(table_file, bits), f"table {table_file}, bits={bits}"
    k = check_multiplier(kind, bits, k)
    golden = golden_table(kind, bits, k)
    name = f"{kind}, bits={bits}" + (f", k={k}" if k is not None else "")
    if not rtl:
        return golden, f"{name} (golden model)"
    from tilewright.flows.multiplier_table import extract
    extraction = extract(kind, bits, k)
    if not (extraction.table == golden).all():
        raise click.ClickException(f"{name}: the table simulated from the RTL differs from "
                                   f"the golden model ({extraction.path})")
    how = "cached" if extraction.cached else f"simulated in {extraction.seconds:.1f} s"
    return extraction.table, f"{name} (from the RTL on Verilator, {how}; equals the golden model)"


@click.group("multiplier")
def multiplier():
    """Error metrics and product tables of exact and approximate multipliers."""


@multiplier.command("report")
@_options
@click.option("--json", "as_json", is_flag=True, help="print the metrics as JSON")
@fail_on_user_errors
def report(kind, bits, k, rtl, table_file, as_json):
    """Print the error metrics of a multiplier's table against exact multiplication."""
    from tilewright.golden.multiplier import error_metrics
    table, name = _table(kind, bits, k, rtl, table_file)
    metrics = error_metrics(table)
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
        return
    click.echo(f"{name}: {table.numel()} operand pairs")
    for key, label, fmt in METRICS:
        click.echo(f"  {key:<5} {fmt.format(metrics[key]):>14}  {label}")


@multiplier.command("table")
@_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="output file, .npy or .csv (2**n rows of 2**n products)")
@fail_on_user_errors
def table_command(kind, bits, k, rtl, table_file, output):
    """Write a multiplier's product table (rows a, columns b, ascending from -2**(n-1))."""
    import numpy as np
    if not output.endswith((".npy", ".csv")):
        raise UserError(f"--output must end in .npy or .csv, not {output!r}")
    check_output_file(output)
    table, name = _table(kind, bits, k, rtl, table_file)
    with writing(output):
        if output.endswith(".npy"):
            np.save(output, table.numpy())
        else:
            np.savetxt(output, table.numpy(), fmt="%d", delimiter=",")
    click.echo(f"{output}: {name}")


COMMAND = multiplier
