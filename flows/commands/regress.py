"""``tilewright regress``: cocotb regressions of a block or a config, or the whole suite."""

import json
import sys

import click

from tilewright.flows.commands.common import (Number, UserError, cost_source,
                                              executor_options, exit_on_failed_task,
                                              fail_on_user_errors, parse_params)
from tilewright.flows.costs.store import DEFAULT_DB
from tilewright.flows.executor import get_executor
from tilewright.flows.generate import check_params
from tilewright.gen.catalogue import get_block

__all__ = ["COMMAND"]


@click.command("regress")
@click.option("--block", "block_name", metavar="BLOCK", help="regress one block")
@click.option("--param", "raw_params", multiple=True, metavar="NAME=VALUE",
              help="a parameter of --block (repeatable)")
@click.option("--config", "config_spec", metavar="CFG",
              help="regress every block of a TOML config file or shipped preset")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="random seed (default: a fresh one)")
@click.option("--test", "testcase", default=None, help="run only this cocotb test")
@click.option("--waves", is_flag=True, help="record waveforms (dump.vcd in the run folder)")
@click.option("--full", is_flag=True,
              help="run the whole pytest regression, exhaustive sweeps included")
@click.option("--layer", is_flag=True,
              help="run one encoder layer of --model on the top's RTL of --config (an "
                   "[accelerator] config), lowered from the accelerator model's schedule; "
                   "bit-exact against the golden model, cycles against the model")
@click.option("--model", "model_name", default="bert-tiny", show_default=True,
              help="with --layer: the transformer shape whose first layer runs")
@click.option("--seq", type=click.IntRange(1, 4096), default=8, show_default=True,
              help="with --layer: tokens of the sentence")
@click.option("--tau", type=Number(at_least_zero=True), default=0.05, show_default=True,
              help="with --layer: DynaTran's threshold on every activation")
@click.option("--db", "db_url", default=DEFAULT_DB, show_default=True,
              help="with --layer: the cost database the model schedules from")
@click.option("--characterize", "run_missing", is_flag=True,
              help="with --layer: measure missing cost records first")
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="with --layer: folder for layer.json, layer-ops.csv, layer-timeline.png")
@executor_options
@fail_on_user_errors
def COMMAND(block_name, raw_params, config_spec, seed, testcase, waves, full, layer,
            model_name, seq, tau, db_url, run_missing, output, executor_kind, scheduler,
            workers):
    """Run cocotb regressions on Verilator with the golden models as scoreboards; the
    blocks of --config in parallel on --executor; or, with --layer, one encoder layer on
    the accelerator top.

    A failure prints its seed and the command that replays it.
    """
    executor = get_executor(executor_kind, scheduler=scheduler, workers=workers)
    if layer:
        if block_name is not None or raw_params or testcase is not None or full:
            raise UserError("--layer goes with --config only (not --block, --param, --test "
                            "or --full)")
        _regress_layer(config_spec or "acceltran-mini", model_name, seq, tau, db_url,
                       run_missing, seed, output)
        return
    if full:
        _run_pytest(["-m", "full or not full"])
        return
    if (block_name is None) == (config_spec is None):
        raise UserError("give exactly one of --block or --config")
    from tqdm import tqdm

    from tilewright.cosim.runner import SimulationFailed
    from tilewright.flows.regress import check_testcase, regress_block, regress_config
    try:
        if block_name is not None:
            block = get_block(block_name)
            given = parse_params(block, raw_params)
            check_params(block_name, given)
            check_testcase(block_name, testcase)
            with tqdm(total=1, desc=f"regress {block_name}", unit="block",
                      file=sys.stderr) as bar:
                result = regress_block(block_name, given, seed=seed, testcase=testcase,
                                       waves=waves, keep=waves, on_stage=bar.set_postfix_str)
                bar.update()
            _print_result(block_name, result)
        else:
            if raw_params:
                raise UserError("--param goes with --block")
            if testcase is not None:
                raise UserError("--test goes with --block")
            from tilewright.flows.config import load_config
            config = load_config(config_spec)
            with exit_on_failed_task(), executor:
                for inst, result in regress_config(config, executor, seed=seed, waves=waves,
                                                   desc=f"regress {config.name}"):
                    _print_result(inst.instance, result)
    except SimulationFailed as e:
        click.echo(str(e), err=True)
        sys.exit(1)


def _regress_layer(config_spec, model_name, seq, tau, db_url, run_missing, seed, output):
    from tilewright.cosim.runner import SimulationFailed
    from tilewright.flows.commands.regress_layer import layer_lines, run_layer, write_outputs
    from tilewright.flows.model import MissingCosts, load_accelerator
    from tilewright.flows.model.workload import encoder
    from tilewright.golden.models.shapes import shape

    hardware = load_accelerator(config_spec)
    try:
        layer = encoder(shape(model_name)).layers[0]
    except ValueError as e:
        raise UserError(str(e)) from None
    if output is not None:
        from tilewright.flows.generate import check_writable
        check_writable(output)
    with cost_source(db_url, config_spec, hardware.clock_mhz, run_missing) as costs:
        try:
            run = run_layer(hardware, layer, seq=seq, tau=tau, costs=costs, seed=seed)
        except MissingCosts as e:
            raise UserError(str(e)) from None
        except SimulationFailed as e:
            click.echo(str(e), err=True)
            sys.exit(1)
    words = run.case.program.output[1]
    click.echo(f"{model_name} layer 0, {seq} tokens, DynaTran tau {tau:g} on "
               f"{hardware.name}: {len(run.case.program.instructions)} instructions; "
               f"output bit-exact against the golden model ({words} words), seed {run.seed}")
    click.echo("\n".join(layer_lines(run)))
    if output is not None:
        summary = {"model": model_name, "accelerator": hardware.name, "seq": seq,
                   "tau": tau, "seed": run.seed, "bit_exact": True, "output_words": words,
                   "instructions": len(run.case.program.instructions),
                   "model_cycles": run.model_cycles, "rtl_cycles": run.rtl_cycles,
                   "ratio": run.ratio}
        for path in write_outputs(run, output, summary):
            click.echo(path)


def _print_result(name, result):
    click.echo(f"{name}: {result.tests} tests passed (seed {result.seed})")
    for test, figures in sorted(result.report.items()):
        click.echo(f"    {test}: {json.dumps(figures, sort_keys=True)}")


def _run_pytest(args):
    from pathlib import Path

    import pytest
    tests = Path(__file__).resolve().parents[2] / "tests"
    if not tests.is_dir():
        raise UserError("--full runs the test suite of a source checkout (pip install -e); "
                        f"no tests folder at {tests}")
    sys.exit(pytest.main(["-n", "auto", str(tests), *args]))
