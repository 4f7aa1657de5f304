"""``tilewright characterize``: measure a block's (or a preset's) costs into the cost
database and print them."""

import os
import sys

import click

from tilewright.flows.commands.common import (DB_OPTION, Number, UserError, executor_options,
                                             exit_on_failed_task, fail_on_user_errors,
                                             instance_options)
from tilewright.flows.costs.store import DEFAULT_CLOCK_MHZ, DEFAULT_WIRE_LOAD
from tilewright.flows.executor import get_executor

__all__ = ["COMMAND"]


@click.command("characterize")
@instance_options("characterize every block of a TOML config file or shipped preset")
@click.option("--liberty", type=click.Path(dir_okay=False), default=None,
              help="standard-cell library .lib/.lib.gz (default: shipped sky130_fd_sc_hd tt)")
@DB_OPTION
@click.option("--clock-mhz", type=Number(positive=True), default=DEFAULT_CLOCK_MHZ,
              show_default=True,
              help="clock frequency assumed for power figures")
@click.option("--stimulus", type=click.Choice(["random", "zeros"]), default="random",
              show_default=True, help="data of the stimulus test")
@click.option("--wire-load", default=DEFAULT_WIRE_LOAD, show_default=True, metavar="MODEL",
              help="the library's wire-load model for net capacitance: 'default' (its "
                   "default_wire_load), a model's name, or 'none' (pin loads only)")
@click.option("--gate-sim", type=click.Choice(["native", "verilator"]), default="native",
              show_default=True,
              help="how the gate-level netlist is simulated: replaying the RTL runs' ports "
                   "natively, or running the testbenches on a Verilator build (slower; the "
                   "same figures)")
@click.option("--force", is_flag=True, help="measure again even when a record exists")
@click.option("--composed", is_flag=True,
              help="compose BLOCK's costs from its characterized parts plus its glue logic "
                   "(for composites too big to measure flat, e.g. PIVOT's 64x36 array)")
@executor_options
@fail_on_user_errors
def COMMAND(block_name, raw_params, config_spec, liberty, db_url, clock_mhz, stimulus,
            wire_load, gate_sim, force, composed, executor_kind, scheduler, workers):
    """Synthesize, time, simulate (RTL and gate level) and record area, leakage,
    steady-state energy per operation, idle (clocked, no work) power, cycles and fmax of
    BLOCK or of every block of --config (in parallel on --executor). A row marked !
    assumes a clock above its fmax. With --composed, BLOCK's record is composed from its
    parts' records and its glue logic's own measurement."""
    from tilewright.cosim.gate.liberty import LibertyError, library_head
    from tilewright.flows.commands.common import parse_params
    from tilewright.flows.costs.store import open_db
    from tilewright.flows.generate import check_params
    from tilewright.gen.catalogue import get_block

    executor = get_executor(executor_kind, scheduler=scheduler, workers=workers)
    if (block_name is None) == (config_spec is None):
        raise UserError("give exactly one of BLOCK or --config")
    if block_name is not None:
        given = parse_params(get_block(block_name), raw_params)
        jobs = [(block_name, block_name, check_params(block_name, given))]
        if composed:
            _check_composite(block_name, jobs[0][2])
    else:
        if composed:
            raise UserError("--composed goes with BLOCK")
        if raw_params:
            raise UserError("--param goes with BLOCK")
        from tilewright.flows.config import load_config
        config = load_config(config_spec)
        jobs = [(i.instance, i.block, i.params) for i in config.instances]
    # a bad --liberty or --wire-load fails here, before anything is measured or written
    try:
        library, sequential = library_head(liberty)
    except LibertyError as e:
        raise UserError(f"--liberty: {e}") from None
    if not sequential:
        raise UserError(f"--liberty: Liberty file {str(library.path)!r} has no flip-flop cells")
    library.wire_load(wire_load)
    options = dict(liberty=liberty and os.path.abspath(liberty), clock_mhz=clock_mhz,
                   stimulus=stimulus, wire_load=wire_load, gate_sim=gate_sim, force=force)
    if block_name is not None:
        with open_db(db_url) as db:
            rows = [(block_name, _one(block_name, jobs[0][2], db, options, composed))]
    else:
        rows = _in_parallel(jobs, db_url, options, executor)
    from tilewright.flows.costs.table import cost_table
    click.echo("\n".join(cost_table(rows)))


def _check_composite(block_name, params):
    from tilewright.flows.compose import COMPOSITES, check_stimulus
    if block_name not in COMPOSITES:
        raise UserError(f"BLOCK must be one of {', '.join(COMPOSITES)} with --composed, "
                        f"not {block_name}")
    try:
        COMPOSITES[block_name].instances(params)
        check_stimulus(block_name)
    except ValueError as e:
        raise UserError(str(e)) from None


def _one(block_name, params, db, options, composed):
    """Characterize (or compose) one block here, its stages on a progress bar."""
    from tqdm import tqdm

    from tilewright.cosim.gate.synth import SynthesisError
    from tilewright.cosim.runner import SimulationFailed
    from tilewright.flows.characterize import GateMismatch, characterize
    from tilewright.flows.compose import compose
    measure = compose if composed else characterize
    with tqdm(total=1, desc="compose" if composed else "characterize", unit="block",
              file=sys.stderr) as bar:
        try:
            record = measure(block_name, params, db=db, **options,
                             on_stage=lambda stage: bar.set_postfix_str(stage))
        except (SynthesisError, SimulationFailed, GateMismatch) as e:
            bar.close()
            click.echo(f"tilewright: {block_name} failed: {e}", err=True)
            sys.exit(1)
        bar.update()
    return record


def _in_parallel(jobs, db_url, options, executor):
    """Characterize ``jobs`` on ``executor``; the rows of those that finished (a failure
    is reported after the others, exit status 1)."""
    from tilewright.flows.characterize import characterize_into, replay_command
    from tilewright.flows.costs.database import is_postgres_url
    from tilewright.flows.costs.store import open_db
    if not is_postgres_url(db_url):
        db_url = os.path.abspath(db_url)        # workers may start elsewhere
    tasks = {inst: (db_url, name, params, options) for inst, name, params in jobs}

    def replay(inst):
        return replay_command(tasks[inst][1], tasks[inst][2], db_url, options)
    found = {}
    # the database opened first: its schema is made once, and a URL that does not answer
    # fails before anything is measured
    with exit_on_failed_task(), executor, open_db(db_url):
        try:
            for inst, record in executor.map(characterize_into, tasks, desc="characterize",
                                             replay=replay):
                found[inst] = record
        finally:
            if found and len(found) < len(tasks):
                from tilewright.flows.costs.table import cost_table
                click.echo("\n".join(cost_table([(i, found[i]) for i in tasks if i in found])))
    return [(inst, found[inst]) for inst in tasks]
