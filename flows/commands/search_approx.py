"""``tilewright search approx``: TransAxx's per-layer approximate multipliers by MCTS,
against random search, NSGA-II and (on a small space) the exhaustive front.

Multipliers are characterized into the cost database (:mod:`tilewright.flows.characterize`)
and their product tables simulated from the RTL (:mod:`tilewright.flows.multiplier_table`),
both cached; the searcher receives them as injected callables
(:func:`default_measure`, :func:`default_table`). Every real evaluation is recorded in the
run store (:mod:`tilewright.flows.runs`), so ``--resume RUN`` re-runs only what is missing
and ends with the same front.

Independent evaluations run in parallel on the executor (``--executor``, ``--scheduler``,
``--workers``): the library's characterizations, the MCTS probes and each MCTS round's
batch, random search's and the exhaustive enumeration's evaluations, each NSGA-II
generation, and the fine-tunings. The searches (MCTS trees, rounds, generations, methods
and seeds) run one after the other, so a run gives the same results on any number of
workers.
"""

import functools
import sys
import time

import click

from tilewright.flows.commands.common import (UserError, executor_options,
                                             exit_on_failed_task, fail_on_user_errors)
from tilewright.flows.costs.store import DEFAULT_CLOCK_MHZ
from tilewright.flows.search.report import run_options, write_csv

__all__ = ["COMMAND", "MODELS", "default_measure", "default_table", "parse_lambdas"]

#: model name → (task, encoder overrides, training epochs)
MODELS = {"vit-digits": ("digits", {}, None),
          "vit-digits-tiny": ("digits", {"layers": 1, "hidden": 16, "heads": 2, "ff": 32}, 8)}


def default_measure(db_url, clock_mhz):
    """``measure(block, params) -> CostRecord``: characterize into the database at
    ``db_url`` (cached); picklable, so it runs on the executor's workers."""
    from tilewright.flows.characterize import characterize_into
    return functools.partial(characterize_into, db_url, options={"clock_mhz": clock_mhz})


def default_table(kind, bits, k):
    """The multiplier's product table simulated from its RTL (cached)."""
    from tilewright.flows.multiplier_table import rtl_table
    return rtl_table(kind, bits, k)


def parse_lambdas(text):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"--lambda must be comma-separated non-negative numbers, "
                        f"not {text!r}") from None
    if not values or any(not v >= 0 for v in values):
        raise UserError(f"--lambda must be comma-separated non-negative numbers, "
                        f"not {text!r}")
    return tuple(values)


def _positive(name, value):
    if value < 1:
        raise UserError(f"{name} must be a positive integer, not {value}")


def _load_model(name):
    from tilewright.golden.models.train import TrainConfig, default_config, task_data, train
    task, overrides, epochs = MODELS[name]
    tcfg = TrainConfig() if epochs is None else TrainConfig(epochs=epochs)
    return train(task, default_config(task, **overrides), tcfg), task_data(task)


def _names(space, assignment):
    return " ".join(space.entries[j].name for j in assignment)


@click.command("approx")
@click.option("--model", type=click.Choice(sorted(MODELS)), default="vit-digits",
              show_default=True, help="the model to approximate (trained locally, cached)")
@click.option("--library", "library_spec", default="drum:3-6,mitchell:2-4,truncated:2-7",
              show_default=True, metavar="KIND:K[-K],...",
              help="approximate multipliers besides the exact one")
@click.option("--bits", type=int, default=8, show_default=True, help="operand width")
@click.option("--groups", type=int, default=4, show_default=True,
              help="layer groups (contiguous, about equal MACs); one multiplier each")
@click.option("--budget", type=int, default=300, show_default=True,
              help="real accuracy evaluations per search")
@click.option("--lambda", "lambdas", default="0,0.5,1,2", show_default=True,
              metavar="L,...", help="power weights of the MCTS reward (Alg. 1)")
@click.option("--seed", type=int, default=0, show_default=True, help="first seed")
@click.option("--seeds", type=int, default=1, show_default=True,
              help="seeds per method (seed, seed+1, ...)")
@click.option("--baselines", default="random,nsga2", show_default=True,
              help="comma-separated: random, nsga2 (empty: none)")
@click.option("--exhaustive-limit", type=int, default=1000, show_default=True,
              help="enumerate the space too when it has at most this many assignments")
@click.option("--simulations", type=int, default=200, show_default=True,
              help="MCTS simulations per lambda and round")
@click.option("--finetune", "finetune_count", type=int, default=3, show_default=True,
              help="front points to fine-tune (besides each multiplier on every layer)")
@click.option("--epochs", type=int, default=2, show_default=True,
              help="approximation-aware fine-tuning epochs (STE)")
@click.option("--clock-mhz", type=float, default=DEFAULT_CLOCK_MHZ, show_default=True,
              help="clock of the multipliers, for power")
@click.option("--lanes", type=int, default=1, show_default=True,
              help="products per cycle, for power")
@click.option("--hv-floor", type=float, default=0.9, show_default=True,
              help="hypervolume counts designs above this fraction of the exact accuracy")
@executor_options
@run_options
@fail_on_user_errors
def approx(model, library_spec, bits, groups, budget, lambdas, seed, seeds, baselines,
           exhaustive_limit, simulations, finetune_count, epochs, clock_mhz, lanes, hv_floor,
           executor_kind, scheduler, workers, db_url, resume, output):
    """Choose an approximate multiplier per layer group by hardware-driven MCTS (TransAxx
    Alg. 1), compare with random search and NSGA-II on the same budget (and the exhaustive
    front on a small space), fine-tune chosen assignments; writes library.csv,
    evaluations.csv, front.csv, comparison.csv, finetune.csv, pareto.png and
    hypervolume.png."""
    from tilewright.flows.executor import get_executor
    from tilewright.flows.search.approx.library import parse_library
    from tilewright.flows.search.approx.search import MctsSettings
    lam = parse_lambdas(lambdas)
    pairs = parse_library(library_spec, bits)
    for name, value in (("--budget", budget), ("--seeds", seeds), ("--groups", groups),
                        ("--simulations", simulations), ("--lanes", lanes)):
        _positive(name, value)
    if finetune_count < 0 or epochs < 0:
        raise UserError(f"--finetune and --epochs must be non-negative, not "
                        f"{finetune_count}, {epochs}")
    if clock_mhz <= 0:
        raise UserError(f"--clock-mhz must be positive, not {clock_mhz:g}")
    if not 0 < hv_floor < 1:
        raise UserError(f"--hv-floor must be between 0 and 1, not {hv_floor:g}")
    methods = [m for m in baselines.split(",") if m.strip()]
    for m in methods:
        if m not in ("random", "nsga2"):
            raise UserError(f"--baselines must list random, nsga2, not {m!r}")
    settings = MctsSettings(lambdas=lam, simulations=simulations)
    config = {"model": model, "library": [list(p) for p in pairs], "bits": bits,
              "groups": groups, "budget": budget, "lambdas": list(lam), "seed": seed,
              "seeds": seeds, "baselines": methods, "exhaustive_limit": exhaustive_limit,
              "simulations": simulations, "finetune": finetune_count, "epochs": epochs,
              "clock_mhz": clock_mhz, "lanes": lanes}
    executor = get_executor(executor_kind, scheduler=scheduler, workers=workers)
    net, split = _load_model(model)
    from tilewright.flows.search.approx.workload import Workload
    workload = Workload.of(net, split.x_test[:4], lambda n: n.startswith("layers."), groups)
    from tilewright.flows.generate import check_writable
    from tilewright.flows.runs import open_run
    run_id = resume or f"approx-{time.strftime('%Y%m%d-%H%M%S')}"
    with executor, open_run(db_url, run_id, kind="search-approx", config=config) as run, \
            exit_on_failed_task():
        folder = check_writable(output)
        click.echo(f"run {run_id} (resume with --resume {run_id})")
        _search(net, split, workload, pairs, bits, db_url, run, executor, folder, config,
                settings, methods, hv_floor)


def _search(net, split, workload, pairs, bits, db_url, run, executor, folder, config,
            settings, methods, hv_floor):
    from tqdm import tqdm

    from tilewright.flows.search.approx.evaluate import AccuracyOracle, Evaluations, finetuned
    from tilewright.flows.search.approx.experiment import hv_reference, run_method, summary
    from tilewright.flows.search.approx.library import build_library, library_rows
    from tilewright.flows.search.approx.plot import plot_hypervolume, plot_pareto
    from tilewright.flows.search.approx.space import Space
    from tilewright.flows.search.approx.workload import PowerModel
    from tilewright.flows.search.evaluations import cached

    bar = tqdm(total=len(pairs), desc="library", unit="multiplier", file=sys.stderr)
    entries = build_library(pairs, bits, measure=default_measure(db_url, config["clock_mhz"]),
                            table=default_table, executor=executor,
                            on_entry=lambda name: (bar.set_postfix_str(name), bar.update()))
    bar.close()
    rows = library_rows(entries, config["clock_mhz"])
    write_csv(folder / "library.csv", rows)
    click.echo(f"{'multiplier':<14} {'MRE':>8} {'MAE':>10} {'pJ/product':>11} "
               f"{'mW':>8} {'area um2':>9} {'vs exact':>8}")
    for r in rows:
        click.echo(f"{r['name']:<14} {r['mre']:>8.2%} {r['mae']:>10.4g} "
                   f"{r['pj_per_product']:>11.4f} {r['power_mw']:>8.4f} "
                   f"{r['area_um2']:>9.1f} {r['power_vs_exact']:>8.3f}")
    power = PowerModel(workload, entries, clock_mhz=config["clock_mhz"], lanes=config["lanes"])
    space = Space(tuple(entries), workload, power)
    oracle = AccuracyOracle(net, workload, entries, split.x_train[:256], split.x_test,
                            split.y_test, bits=bits)
    probe = Evaluations(entries, oracle, power, store=run, executor=executor)
    exact_acc, exact_mw = probe(space.uniform(space.exact))
    ref = hv_reference(exact_acc, exact_mw, hv_floor)
    click.echo(f"{space.groups} groups x {space.choices} multipliers = {space.size} "
               f"assignments; exact: accuracy {exact_acc:.4f}, {exact_mw:.4f} mW")

    plan = [(m, config["seed"] + i) for m in ["mcts", *methods]
            for i in range(config["seeds"])]
    if space.size <= config["exhaustive_limit"]:
        plan.append(("exhaustive", None))
    total = sum(space.size if m == "exhaustive" else min(config["budget"], space.size)
                for m, _ in plan)
    bar = tqdm(total=total, desc="search", unit="eval", file=sys.stderr)
    runs = []
    for method, seed in plan:
        bar.set_postfix_str(f"{method} seed {seed}")
        runs.append(run_method(space, oracle, method,
                               budget=None if method == "exhaustive" else config["budget"],
                               seed=seed, store=run, settings=settings, on_new=bar.update,
                               executor=executor))
    bar.close()
    exhaustive = next((r for r in runs if r.method == "exhaustive"), None)
    searched = [r for r in runs if r.method != "exhaustive"]

    def evaluation_rows():
        for r in runs:
            on_front = {a for a, _, _ in r.front()}
            for i, (a, acc, mw) in enumerate(r.history):
                yield {"method": r.method, "seed": r.seed, "index": i + 1,
                       "assignment": _names(space, a), "accuracy": acc, "power_mw": mw,
                       "power_vs_exact": mw / exact_mw, "on_front": a in on_front}
    write_csv(folder / "evaluations.csv", list(evaluation_rows()))
    comparison = summary(searched, ref, exhaustive)
    if exhaustive is not None:
        comparison += summary([exhaustive], ref, exhaustive)
    write_csv(folder / "comparison.csv", comparison)
    click.echo(f"hypervolume (reference: accuracy {ref[0]:.4f}, {ref[1]:.4f} mW)")
    for r in comparison:
        share = "" if r["hv_vs_exhaustive"] is None else f"  {r['hv_vs_exhaustive']:.1%} of exhaustive"
        click.echo(f"  {r['method']:<10} {r['evaluations']:>5} evals  HV {r['hv_mean']:.5f} "
                   f"± {r['hv_std']:.5f} ({r['seeds']} seeds){share}")

    best = searched[0]                       # MCTS, first seed
    rmse = best.report.predictor_rmse if best.report is not None else float("nan")
    click.echo(f"MCTS predictor RMSE on held-out evaluations: {rmse:.4f}")
    uniform = [space.uniform(j) for j in range(space.choices)]
    front = [a for a, _, _ in best.front()]
    picks = [a for a in front if a not in uniform][:config["finetune"]]
    tuned = {}
    if config["epochs"]:
        bar = tqdm(total=len(uniform) + len(picks), desc="fine-tune", unit="assignment",
                   file=sys.stderr)
        keys = {a: "finetune:" + ",".join(space.entries[j].name for j in a)
                for a in uniform + picks}
        values = cached(run.done(), run.record, executor).many(
            {key: (finetuned, (oracle, a, split.x_train, split.y_train, config["epochs"],
                               config["seed"])) for a, key in keys.items()},
            progress=bar.update)
        tuned = {a: values[key] for a, key in keys.items()}
        bar.close()
    ft_rows = []
    for a in uniform + picks:
        acc, mw = probe(a)
        e = space.entries[a[0]]
        ft_rows.append({"assignment": _names(space, a),
                        "uniform": a in uniform, "mre": e.metrics["mre"] if a in uniform
                        else None, "accuracy": acc,
                        "finetuned": tuned.get(a, {}).get("after"),
                        "power_mw": mw, "power_saving": 1 - mw / exact_mw})
    write_csv(folder / "finetune.csv", ft_rows)
    write_csv(folder / "front.csv", [
        {"assignment": _names(space, a), "accuracy": acc, "power_mw": mw,
         "power_vs_exact": mw / exact_mw, "finetuned": tuned.get(a, {}).get("after")}
        for a, acc, mw in best.front()])
    click.echo(f"MACs in approximable layers: {workload.approximable_share:.1%}")
    for r in ft_rows:
        ft = "" if r["finetuned"] is None else f" -> {r['finetuned']:.4f} fine-tuned"
        click.echo(f"  {r['assignment']:<40} accuracy {r['accuracy']:.4f}{ft}, "
                   f"power -{r['power_saving']:.1%}")
    plot_pareto(folder / "pareto.png", runs,
                [(space.entries[a[0]].name, *probe(a)) for a in uniform], exact_mw)
    plot_hypervolume(folder / "hypervolume.png", searched, ref, exhaustive)
    for name in ("library.csv", "evaluations.csv", "front.csv", "comparison.csv",
                 "finetune.csv", "pareto.png", "hypervolume.png"):
        click.echo(folder / name)


COMMAND = approx
