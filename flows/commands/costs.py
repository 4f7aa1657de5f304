"""``tilewright costs``: list, show and export the cost database."""

import csv
import io
import json

import click

from tilewright.flows.commands.common import (DB_OPTION, Number, UserError, block_instances,
                                             check_output_file, fail_on_user_errors,
                                             instance_options, writing)
from tilewright.flows.costs.store import DEFAULT_CLOCK_MHZ, DEFAULT_WIRE_LOAD

__all__ = ["COMMAND", "export_csv", "export_json", "export_accelergy"]

CSV_FIELDS = ("key", "block", "params", "area_um2", "leakage_mw", "energy_per_op_pj",
              "dynamic_mw", "idle_pj_per_cycle", "idle_mw", "unit", "unit_shape", "operation",
              "latency_cycles", "initiation_interval", "clock_mhz", "fmax_mhz", "technology",
              "node_nm", "stimulus")


def export_csv(records):
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        d = r.to_dict()
        writer.writerow({f: json.dumps(d[f], sort_keys=True)
                         if isinstance(d[f], (dict, list, tuple)) else d[f]
                         for f in CSV_FIELDS})
    return out.getvalue()


def export_json(records):
    return json.dumps([r.to_dict() for r in records], indent=2, sort_keys=True) + "\n"


def _name(r):
    extra = "_".join(f"{k}{v}" for k, v in sorted(r.params.items()) if v is not None)
    return f"{r.block}_{r.key[:8]}" if len(extra) > 60 else f"{r.block}_{extra}"


def export_accelergy(records):
    """An Accelergy-style energy reference table (ERT) and area reference table (ART),
    as YAML: one component per record, with actions ``compute`` = one operation (pJ),
    ``idle`` = a clock cycle with no work and the clock not gated (the measured idle
    energy plus leakage), and ``leak`` = a clock cycle of leakage alone (the clock gated).
    A record measured before idle energy was keeps leakage alone as its ``idle``."""
    lines = ["# tilewright cost database: Accelergy energy/area reference tables",
             "ERT:", "  version: '0.4'", "  tables:"]
    for r in records:
        leak_pj = r.leakage_mw * 1e-3 / (r.clock_mhz * 1e6) * 1e12
        if r.idle_pj_per_cycle is None:
            idle = f"{leak_pj:.6g}   # pJ per cycle (leakage; idle energy not measured)"
        else:
            idle = f"{r.idle_pj_per_cycle + leak_pj:.6g}   # pJ per cycle (clocked + leakage)"
        lines += [f"  - name: {_name(r)}", "    actions:",
                  "    - name: compute", "      arguments: null",
                  f"      energy: {r.energy_per_op_pj:.6g}   # pJ per {r.operation}",
                  "    - name: idle", "      arguments: null", f"      energy: {idle}",
                  "    - name: leak", "      arguments: null",
                  f"      energy: {leak_pj:.6g}   # pJ per cycle (leakage, clock gated)"]
    lines += ["ART:", "  version: '0.4'", "  tables:"]
    for r in records:
        lines += [f"  - name: {_name(r)}", f"    area: {r.area_um2:.6g}   # um^2, "
                  f"{r.technology}"]
    return "\n".join(lines) + "\n"


EXPORTS = {"csv": export_csv, "json": export_json, "accelergy": export_accelergy}


@click.group("costs")
def COMMAND():
    """Read the cost database written by `tilewright characterize`."""


def _open(db_url):
    """The database, read only: nothing is created or written."""
    from tilewright.flows.costs.store import open_db
    return open_db(db_url, create=False)


def _records(db_url, block):
    """The records (of ``block``, which must have some)."""
    with _open(db_url) as db:
        records = db.records(block)
        if block is not None and not records:
            having = sorted({r.block for r in db.records()})
            raise UserError(f"--block {block!r} has no cost records in {db_url!r}; blocks "
                            f"with records: {', '.join(having) or 'none'}")
    return records


@COMMAND.command("list")
@click.option("--block", default=None, help="only this block")
@DB_OPTION
@fail_on_user_errors
def list_command(block, db_url):
    """One line per record."""
    from tilewright.flows.costs.table import record_table
    click.echo("\n".join(record_table(_records(db_url, block))))


@COMMAND.command("missing")
@instance_options("every block of a TOML config file or shipped preset")
@click.option("--liberty", default=None, help="the library's file (default: shipped sky130)")
@click.option("--clock-mhz", type=float, default=DEFAULT_CLOCK_MHZ, show_default=True)
@click.option("--wire-load", default=DEFAULT_WIRE_LOAD, show_default=True, metavar="MODEL")
@DB_OPTION
@fail_on_user_errors
def missing_command(block_name, raw_params, config_spec, liberty, clock_mhz, wire_load,
                    db_url):
    """The `tilewright characterize` commands that would measure what BLOCK or --config
    has no record of, one per line (none: everything is there)."""
    import tempfile
    from pathlib import Path

    from tilewright.flows.costs.store import open_db
    jobs = block_instances(block_name, raw_params, config_spec)
    # no database yet: everything is missing, and none is created where the user looks
    with tempfile.TemporaryDirectory() as scratch:
        url = db_url if "://" in db_url or Path(db_url).exists() else Path(scratch) / "none"
        with open_db(url) as db:
            commands = db.missing([(name, params) for _, name, params in jobs],
                                  library=liberty, clock_mhz=clock_mhz, wire_load=wire_load)
    for command in commands:
        click.echo(command)


@COMMAND.command("show")
@click.argument("key")
@DB_OPTION
@fail_on_user_errors
def show_command(key, db_url):
    """The full record(s) whose key starts with KEY, as JSON."""
    with _open(db_url) as db:
        found = db.find(key)
    if not found:
        raise UserError(f"no cost record with a key starting {key!r}")
    click.echo(export_json(found), nl=False)


@COMMAND.command("export")
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORTS)), default="csv",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="file to write (default: standard output)")
@DB_OPTION
@fail_on_user_errors
def export_command(fmt, output, db_url):
    """Every record as CSV, JSON or an Accelergy energy/area reference table."""
    if output:
        check_output_file(output)
    with _open(db_url) as db:
        text = EXPORTS[fmt](db.records())
    if output:
        with writing(output), open(output, "w") as f:
            f.write(text)
    else:
        click.echo(text, nl=False)


@COMMAND.command("plot")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="image file to write (.png, .svg or .pdf)")
@click.option("--block", default=None, help="only this block")
@DB_OPTION
@fail_on_user_errors
def plot_command(output, block, db_url):
    """Power (by energy component, with idle power), area (flip-flops and the rest) and
    fmax against the assumed clock of every record, one row each."""
    from tilewright.flows.costs.plot import plot_costs
    check_output_file(output)
    records = _records(db_url, block)
    if not records:
        raise UserError(f"no cost records in {db_url!r}")
    with writing(output):
        plot_costs(records, output)
    click.echo(output)


@COMMAND.command("scale")
@click.argument("key", required=False, default="")
@click.option("--node", type=int, required=True, help="target technology node (nm)")
@click.option("--vdd", type=Number(positive=True), default=None,
              help="target supply (V)  [default: the node's nominal]")
@click.option("--src-vdd", type=Number(positive=True), default=None,
              help="supply the records were measured at (V)  [default: the source node's "
                   "nominal; sky130 runs at 1.8]")
@click.option("--flavour", type=click.Choice(["HP", "LP"]), default="HP", show_default=True,
              help="device model at 45 nm and below")
@DB_OPTION
@fail_on_user_errors
def scale_command(key, node, vdd, src_vdd, flavour, db_url):
    """Records (all, or those whose key starts with KEY) scaled to another node with
    Stillmaker & Baas 2017's equations: area, energy per operation, and dynamic and idle
    power at the record's clock (both scale like energy). Leakage is not scaled: the
    equations describe total power, not leakage (docs/characterization.md)."""
    from tilewright.flows.costs.scaling import scale
    with _open(db_url) as db:
        found = db.find(key)
    if not found:
        raise UserError(f"no cost record with a key starting {key!r}")
    rows = []
    for r in found:
        if r.node_nm is None:
            raise UserError(f"record {r.key[:12]} ({r.technology}) has no known technology "
                            f"node to scale from")
        rows.append((r, scale(r.area_um2, r.energy_per_op_pj, r.dynamic_mw, r.leakage_mw,
                              r.node_nm, node, src_vdd=src_vdd, dst_vdd=vdd, flavour=flavour)))
    click.echo(f"{'block':<16} {'from nm':>7} {'area um2':>12} {'pJ/op':>10} {'dyn mW':>10} "
               f"{'idle mW':>10}  key")
    for r, s in rows:
        mark = "*" if s.extrapolated else ""
        idle = r.idle_mw * s.factors["energy"] if r.idle_mw is not None else float("nan")
        click.echo(f"{r.block:<16} {r.node_nm:>7} {s.area_um2:>12.1f} {s.energy_pj:>10.4g} "
                   f"{s.dynamic_mw:>10.4g} {idle:>10.4g}  {r.key[:12]}{mark}")
    if any(s.extrapolated for _, s in rows):
        click.echo("* a supply above the fit's nominal: the energy polynomial is extrapolated")
