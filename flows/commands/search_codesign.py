"""``tilewright search codesign``: TransCODE co-design of a transformer and its accelerator.

Writes into ``--output``: ``evaluations.csv`` (every evaluated pair of every method and
seed), ``best.toml`` (the best pair found, as a configuration), ``convergence.png`` (best
performance against evaluations, mean and min–max over seeds), ``front.png`` and
``hypervolume.png`` with ``--objective pareto``, and ``summary.md``. Each batch of pairs
is evaluated in parallel on the executor (``--executor``, ``--scheduler``, ``--workers``):
the reference designs, the initial random pairs, then each round's queries (the rounds
are sequential: each fits the surrogate to the ones before).
"""

from pathlib import Path

import click

from tilewright.flows.commands.common import UserError, executor_options, fail_on_user_errors
from tilewright.flows.search.report import run_options

__all__ = ["COMMAND"]


def _weights(text):
    from tilewright.flows.search.codesign.performance import Weights
    try:
        values = [float(t) for t in text.split(",")]
    except ValueError:
        raise UserError(f"weights must be five comma-separated numbers α,β,γ,δ,ε, "
                        f"not {text!r}") from None
    if len(values) != 5:
        raise UserError(f"weights must be five comma-separated numbers α,β,γ,δ,ε, "
                        f"not {text!r}")
    return Weights(*values)


@click.command("codesign")
@click.option("--task", type=click.Choice(["sentiment", "digits"]), default="sentiment",
              show_default=True, help="data set the candidate transformers are trained on")
@click.option("--budget", type=int, default=200, show_default=True,
              help="evaluated pairs per method and seed")
@click.option("--batch", type=int, default=4, show_default=True,
              help="queries per round, evaluated in parallel")
@click.option("--initial", type=int, default=16, show_default=True,
              help="random pairs evaluated before the first surrogate")
@click.option("--objective", type=click.Choice(["weighted", "pareto"]), default="weighted",
              show_default=True, help="TransCODE's weighted performance, or the Pareto front "
              "of accuracy, latency, energy and area")
@click.option("--method", default="boshcode", show_default=True,
              help="boshcode, random, gpbo, rf, gbrt (weighted) or boshcode (hypervolume "
                   "improvement), random (pareto); 'all' runs every method of the objective")
@click.option("--weights", default="0.1,0.1,0.2,0.1,0.5", show_default=True,
              help="α,β,γ,δ,ε of latency, area, dynamic energy, leakage energy, accuracy")
@click.option("--seed", type=int, default=0, show_default=True, help="first seed")
@click.option("--seeds", type=int, default=1, show_default=True,
              help="number of seeds (seed, seed+1, …)")
@click.option("--fix-accelerator", default=None,
              help="HW-NAS mode: search transformers only, on this accelerator "
                   "(acceltran-edge, acceltran-server)")
@click.option("--space", "space_file", type=click.Path(dir_okay=False), default=None,
              help="TOML design space (default: the shipped flows/search/codesign/space.toml)")
@click.option("--accelerator-space", default=None,
              help="accelerator design space: a name from tilewright/spaces/ (elector, "
                   "elector-measured: ELECTOR on the characterized block sizes) or a TOML "
                   "path (default: the space file's, elector)")
@click.option("--max-layers", type=int, default=None, help="constraint: at most N layers")
@click.option("--max-area-mm2", type=float, default=None, help="constraint: area cap")
@click.option("--max-power-mw", type=float, default=None, help="constraint: power cap")
@click.option("--analytic", is_flag=True,
              help="evaluate on the analytic test objective instead of the accelerator "
                   "model and the supernet (to try the searchers; figures NOT measured)")
@executor_options
@run_options
@fail_on_user_errors
def COMMAND(task, budget, batch, initial, objective, method, weights, seed, seeds,
            fix_accelerator, space_file, accelerator_space, max_layers, max_area_mm2,
            max_power_mw, analytic, executor_kind, scheduler, workers, db_url, resume, output):
    """Search transformer-accelerator pairs with BOSHCODE (TransCODE §III-C) or a
    baseline, on the accelerator model and supernet accuracy."""
    import os
    import time

    from tqdm import tqdm

    from tilewright.flows.costs import open_db
    from tilewright.flows.executor import get_executor
    from tilewright.flows.runs import open_run
    from tilewright.flows.search.codesign.analytic import analytic_accuracy, analytic_hardware
    from tilewright.flows.search.codesign.driver import run_study
    from tilewright.flows.search.codesign.hardware import ModelHardware
    from tilewright.flows.search.codesign.run import METHODS, CodesignConfig
    from tilewright.flows.search.codesign.search import SearchSettings
    from tilewright.flows.search.codesign.validity import Constraints

    if seeds < 1:
        raise UserError(f"seeds must be a positive integer, not {seeds}")
    if method != "all" and method not in METHODS.get(objective, ()):
        allowed = ", ".join(map(repr, METHODS[objective] + ("all",)))
        raise UserError(f"method must be one of {allowed}, not {method!r}")
    methods = METHODS[objective] if method == "all" else (method,)
    try:
        space = None if space_file is None else Path(space_file).read_text()
    except OSError as e:
        raise UserError(f"space must be a readable TOML file, not {space_file!r} "
                        f"({e.strerror})") from None
    constraints = Constraints(max_layers, max_area_mm2, max_power_mw)
    configs = [CodesignConfig(task=task, method=m, objective=objective,
                              search=SearchSettings(budget, batch, initial, s),
                              weights=_weights(weights), constraints=constraints,
                              fix_accelerator=fix_accelerator, space=space,
                              accelerator_space=accelerator_space)
               for m in methods for s in range(seed, seed + seeds)]
    executor = get_executor(executor_kind, scheduler=scheduler, workers=workers)
    run_id = resume or f"codesign-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"

    def store():
        run = open_run(open_db(db_url), run_id, kind="codesign",
                       config={"configs": [c.to_dict() for c in configs]})
        click.echo(f"run {run_id} (resume with --resume {run_id})", err=True)
        return run

    total = budget * len(configs)
    with executor, tqdm(total=total, desc="codesign", unit="pair") as bar:
        evaluators = (dict(hardware=analytic_hardware, accuracy=analytic_accuracy)
                      if analytic else dict(hardware=ModelHardware(db_url, task)))
        summary = run_study(configs, Path(output), store=store, executor=executor,
                            progress=bar.update, **evaluators)
    click.echo(summary)
