"""``tilewright search trex``: TReX's Table IV on TReX-Sim and the reuse search on the golden ViT.

Writes into ``--output``:

- ``table_iv.csv``: TReX Table IV (``--model`` DeiT-S or LV-ViT-S timing) per delay target:
  Alg. 1's N_reuse, energy, delay, area, EDAP, TOPS/W, TOPS/mm² and the EDAP reduction
  beside the paper's, once per softmax source: ``record`` (our characterized softmax
  unit, energy scaled to 32 nm) and ``fit`` (the per-element figures that make TReX-Sim
  reproduce the paper's baseline energy and delay; TReX does not publish them);
- ``patterns.csv``: every uniform reuse pattern's short-training loss and accuracy;
- ``results.csv``: per delay target (a fraction of the golden model's baseline delay) the
  chosen pattern, its accuracy ideal, on FeFET (ADC + read/write variation) and on SRAM
  (ADC only) crossbars, and its TReX-Sim figures;
- ``trex.png`` and ``summary.md``.

Every training goes through the run store (:mod:`tilewright.flows.runs`): ``--resume RUN``
repeats only what is missing. The trainings run on the executor (``--executor``,
``--scheduler``, ``--workers``): the baseline's with every target's short trainings in
parallel, then every target's final training (:mod:`tilewright.flows.search.trex`).
"""

import sys
import time
from pathlib import Path

import click

from tilewright.flows.commands.common import (UserError, executor_options,
                                             exit_on_failed_task, fail_on_user_errors,
                                             parse_params)
from tilewright.flows.search.lookup import cost_source
from tilewright.flows.search.report import (floats, plot_lines, run_options, write_csv,
                                             write_summary)

__all__ = ["COMMAND"]


def _softmax_sources(db, block_params, vit, xbar, paper):
    """``{name: SoftmaxCost}``: the record's when the database has one, and the fit."""
    from tilewright.flows.model.trex import softmax_from_record
    from tilewright.flows.search.trex import fit_softmax
    base = paper[0]
    out = {"fit": fit_softmax(vit, xbar, base[2], base[3],
                              f"fit to TReX Table IV/V's {base[0]} energy and delay")}
    record = cost_source(db).lookup("softmax", block_params)
    if record is not None:
        out["record"] = softmax_from_record(record, xbar.node_nm)
    return out, record


@click.command("trex")
@click.option("--model", "timing_model", type=click.Choice(["deit-s", "lv-vit-s"]),
              default="deit-s", show_default=True, help="shape timed for Table IV")
@click.option("--targets-ms", default=None,
              help="Table IV delay targets in ms (default: the paper's: 9,7,6,4 for DeiT-S, "
                   "12,10,9,8,6 for LV-ViT-S)")
@click.option("--device", type=click.Choice(["fefet", "sram"]), default="fefet",
              show_default=True, help="IMC device of every layer (TReX Table III)")
@click.option("--softmax-param", "softmax_params", multiple=True, metavar="NAME=VALUE",
              help="the characterized softmax unit's record to use (default t=64 heads=1)")
@click.option("--task", type=click.Choice(["digits"]), default="digits", show_default=True,
              help="golden ViT trained for the reuse search")
@click.option("--layers", type=int, default=4, show_default=True,
              help="encoders of the golden ViT")
@click.option("--targets", default="0.8,0.6", show_default=True,
              help="reuse-search delay targets, fractions of the golden ViT's baseline delay")
@click.option("--short-epochs", type=int, default=4, show_default=True,
              help="training epochs per candidate pattern (TReX step 3)")
@click.option("--epochs", type=int, default=20, show_default=True,
              help="training epochs of the chosen pattern (TReX step 4)")
@click.option("--samples", type=int, default=120, show_default=True,
              help="held-out inputs for the non-ideal (crossbar) accuracy")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--search/--no-search", "run_search", default=True, show_default=True,
              help="run the reuse search on the golden ViT (else Table IV only)")
@executor_options
@run_options
@fail_on_user_errors
def trex(timing_model, targets_ms, device, softmax_params, task, layers, targets,
         short_epochs, epochs, samples, seed, run_search, executor_kind, scheduler, workers,
         db_url, resume, output):
    """TReX (TReX §V-VI): Table IV as EDAP ratios on TReX-Sim, and the attention-reuse
    search (Alg. 1, uniform patterns, short training) on the golden ViT with ideal and
    non-ideal (ADC, FeFET variation) accuracy."""
    from tqdm import tqdm

    from tilewright.flows.costs import open_db
    from tilewright.flows.executor import get_executor
    from tilewright.flows.model.trex import DEVICES, Crossbar, ViT
    from tilewright.flows.runs import open_run
    from tilewright.flows.search import trex as search
    from tilewright.flows.search.evaluations import cached
    from tilewright.gen.catalogue import get_block
    from tilewright.golden.models.shapes import shape
    from tilewright.golden.models.train import default_config

    paper = search.PAPER[timing_model]
    t_ms = floats(targets_ms, "targets-ms") if targets_ms else [r[1] for r in paper[1:]]
    fracs = floats(targets, "targets")
    for f in fracs:
        if not 0 < f <= 1:
            raise UserError(f"targets must be fractions in (0, 1], not {f!r}")
    for name, value, lo in (("layers", layers, 2), ("short-epochs", short_epochs, 1),
                            ("epochs", epochs, 1), ("samples", samples, 1)):
        if value < lo:
            raise UserError(f"{name} must be an integer of at least {lo}, not {value!r}")
    block = get_block("softmax")
    given = {"t": 64, "heads": 1, **parse_params(block, softmax_params)}
    block.build(given)
    block_params = block.resolve(given)
    xbar = Crossbar(DEVICES[device])
    xbars = {"fefet": Crossbar(DEVICES["fefet"]), "sram": Crossbar(DEVICES["sram"])}
    vit = ViT.from_shape(shape(timing_model))
    cfg = default_config(task, layers=layers)
    config = {"model": timing_model, "targets_ms": t_ms, "device": device,
              "softmax": block_params, "task": task, "layers": layers, "targets": fracs,
              "short_epochs": short_epochs, "epochs": epochs, "samples": samples,
              "seed": seed, "search": run_search}
    executor = get_executor(executor_kind, scheduler=scheduler, workers=workers)
    run_id = resume or f"trex-{time.strftime('%Y%m%d-%H%M%S')}"
    with executor, open_db(db_url) as db, open_run(db_url, run_id, kind="search-trex",
                                                   config=config) as run:
        click.echo(f"run {run_id} (resume with --resume {run_id})")
        sources, record = _softmax_sources(db, block_params, vit, xbar, paper)
        if record is None:
            click.echo("no softmax record for " + " ".join(
                f"{k}={v}" for k, v in block_params.items()) + ": Table IV with the fit "
                "only; measure it with: tilewright characterize softmax " + " ".join(
                f"--param {k}={v}" for k, v in block_params.items()), err=True)
        table = [{"softmax": name, **row}
                 for name, sm in sources.items()
                 for row in search.table_iv(vit, xbar, sm, t_ms, paper)]
        golden_softmax = sources.get("record", sources["fit"])
        patterns, results = [], []
        if run_search:
            bar = tqdm(total=search.evaluations(cfg, xbar, golden_softmax, fracs),
                       desc="trex", unit="training", file=sys.stderr)
            with bar, exit_on_failed_task():
                patterns, results = search.search(
                    task, cfg, xbar, golden_softmax, fracs, short_epochs=short_epochs,
                    epochs=epochs, seed=seed, xbars=xbars, samples=samples,
                    evaluate=cached(run.done(), run.record, executor), progress=bar.update)
    out = Path(output)
    write_csv(out / "table_iv.csv", table)
    if run_search:
        write_csv(out / "patterns.csv", patterns)
        write_csv(out / "results.csv", results)
    _plot(out / "trex.png", table, paper, results)
    sections = [
        ("Softmax", "\n".join(f"- {k}: {v.e_element_pj:.4g} pJ and {v.d_element_ns:.4g} ns "
                              f"per element ({v.source})" for k, v in sources.items())),
        (f"Table IV on TReX-Sim ({timing_model}, {device})", table)]
    if run_search:
        sections.append((f"Reuse search on the golden ViT ({task}, {layers} encoders, "
                         f"TReX-Sim with the {golden_softmax.source.split(' (')[0]} "
                         "softmax)", results))
    write_summary(out / "summary.md", f"TReX search (run {run_id})", sections)
    click.echo(f"{out / 'summary.md'}")


def _plot(path, table, paper, results):
    series = {}
    for row in table:
        if row.get("target_ms") is not None and row.get("n_reuse") is not None:
            series.setdefault(f"TReX-Sim, {row['softmax']} softmax", []).append(
                (row["target_ms"], row["edap_reduction"]))
            series.setdefault(f"TReX-Sim, {row['softmax']} softmax, paper's N_reuse",
                              []).append((row["target_ms"],
                                          row["edap_reduction_at_paper_n_reuse"]))
    series["TReX Table IV/V"] = [(r[1], paper[0][5] / r[5]) for r in paper[1:]]
    acc = {k: [(r["edap_reduction"], r[k]) for r in results if k in r]
           for k in ("accuracy_ideal", "accuracy_fefet", "accuracy_sram")}
    panels = [("target delay (ms)", "EDAP reduction (x)", series)]
    if results:
        panels.append(("EDAP reduction (x), golden ViT", "accuracy", acc))
    plot_lines(path, panels)


COMMAND = trex
