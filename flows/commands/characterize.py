"""``tilewright characterize``: measure a block's (or a preset's) costs into the cost
database and print them."""

import sys

import click

from tilewright.flows.commands.common import (UserError, block_instances, fail_on_user_errors,
                                             instance_options)
from tilewright.flows.costs.store import DEFAULT_CLOCK_MHZ, DEFAULT_DB, DEFAULT_WIRE_LOAD

__all__ = ["COMMAND"]


@click.command("characterize")
@instance_options("characterize every block of a TOML config file or shipped preset")
@click.option("--liberty", type=click.Path(dir_okay=False), default=None,
              help="standard-cell library .lib/.lib.gz (default: shipped sky130_fd_sc_hd tt)")
@click.option("--db", "db_url", default=DEFAULT_DB, show_default=True,
              help="cost database: a SQLite file or a postgresql:// URL")
@click.option("--clock-mhz", type=float, default=DEFAULT_CLOCK_MHZ, show_default=True,
              help="clock frequency assumed for power figures")
@click.option("--stimulus", type=click.Choice(["random", "zeros"]), default="random",
              show_default=True, help="data of the stimulus test")
@click.option("--wire-load", default=DEFAULT_WIRE_LOAD, show_default=True, metavar="MODEL",
              help="the library's wire-load model for net capacitance: 'default' (its "
                   "default_wire_load), a model's name, or 'none' (pin loads only)")
@click.option("--force", is_flag=True, help="measure again even when a record exists")
@fail_on_user_errors
def COMMAND(block_name, raw_params, config_spec, liberty, db_url, clock_mhz, stimulus,
            wire_load, force):
    """Synthesize, time, simulate (RTL and gate level) and record area, leakage,
    steady-state energy per operation, idle (clocked, no work) power, cycles and fmax of
    BLOCK or of every block of --config. A row marked ! assumes a clock above its fmax."""
    from tilewright.flows.characterize import characterize
    from tilewright.flows.costs.store import open_db

    jobs = block_instances(block_name, raw_params, config_spec)
    if clock_mhz <= 0:
        raise UserError(f"--clock-mhz must be positive, not {clock_mhz:g}")
    from tilewright.cosim.gate.liberty import load_liberty
    # a bad --liberty or --wire-load fails here, before anything is measured or written
    load_liberty(liberty).wire_load(wire_load)
    from tqdm import tqdm
    with open_db(db_url) as db:
        bar = tqdm(total=len(jobs), desc="characterize", unit="block", file=sys.stderr)
        rows = []
        for inst, name, params in jobs:
            rows.append((inst, characterize(
                name, params, liberty=liberty, db=db, clock_mhz=clock_mhz, stimulus=stimulus,
                wire_load=wire_load, force=force,
                on_stage=lambda stage: bar.set_postfix_str(f"{inst}: {stage}"))))
            bar.update()
        bar.close()
    from tilewright.flows.costs.table import cost_table
    click.echo("\n".join(cost_table(rows)))
