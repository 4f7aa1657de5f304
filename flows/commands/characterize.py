"""``tilewright characterize``: measure a block's (or a preset's) costs into the cost
database and print them."""

import sys

import click

from tilewright.flows.commands.common import UserError, fail_on_user_errors

__all__ = ["COMMAND"]


@click.command("characterize")
@click.argument("block_name", required=False, metavar="BLOCK")
@click.option("--param", "raw_params", multiple=True, metavar="NAME=VALUE",
              help="a parameter of BLOCK (repeatable)")
@click.option("--config", "config_spec", metavar="CFG",
              help="characterize every block of a TOML config file or shipped preset")
@click.option("--liberty", type=click.Path(dir_okay=False), default=None,
              help="standard-cell library .lib/.lib.gz (default: shipped sky130_fd_sc_hd tt)")
@click.option("--db", "db_url", default="tilewright-costs.sqlite", show_default=True,
              help="cost database: a SQLite file or a postgresql:// URL")
@click.option("--clock-mhz", type=float, default=700.0, show_default=True,
              help="clock frequency assumed for power figures")
@click.option("--stimulus", type=click.Choice(["random", "zeros"]), default="random",
              show_default=True, help="data of the stimulus test")
@click.option("--wire-load", default="default", show_default=True, metavar="MODEL",
              help="the library's wire-load model for net capacitance: 'default' (its "
                   "default_wire_load), a model's name, or 'none' (pin loads only)")
@click.option("--gate-sim", type=click.Choice(["native", "verilator"]), default="native",
              show_default=True,
              help="how the gate-level netlist is simulated: replaying the RTL runs' ports "
                   "natively, or running the testbenches on a Verilator build (same figures)")
@click.option("--force", is_flag=True, help="measure again even when a record exists")
@fail_on_user_errors
def COMMAND(block_name, raw_params, config_spec, liberty, db_url, clock_mhz, stimulus,
            wire_load, gate_sim, force):
    """Synthesize, time, simulate (RTL and gate level) and record area, leakage,
    steady-state energy per operation, idle (clocked, no work) power, cycles and fmax of
    BLOCK or of every block of --config. A row marked ! assumes a clock above its fmax."""
    from tilewright.gen.catalogue import get_block
    from tilewright.flows.commands.common import parse_params
    from tilewright.flows.characterize import characterize
    from tilewright.flows.costs.store import open_db

    if (block_name is None) == (config_spec is None):
        raise UserError("give exactly one of BLOCK or --config")
    if clock_mhz <= 0:
        raise UserError(f"--clock-mhz must be positive, not {clock_mhz:g}")
    if block_name is not None:
        jobs = [(block_name, block_name, parse_params(get_block(block_name), raw_params))]
    else:
        if raw_params:
            raise UserError("--param goes with BLOCK")
        from tilewright.flows.config import load_config
        config = load_config(config_spec)
        jobs = [(i.instance, i.block, i.params) for i in config.instances]
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
                wire_load=wire_load, force=force, gate_sim=gate_sim,
                on_stage=lambda stage: bar.set_postfix_str(f"{inst}: {stage}"))))
            bar.update()
        bar.close()
    from tilewright.flows.costs.table import cost_table
    click.echo("\n".join(cost_table(rows)))
