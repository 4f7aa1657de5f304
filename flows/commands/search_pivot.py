"""``tilewright search pivot``: PIVOT's effort search on the golden ViT, timed by PIVOT-Sim.

The golden ViT (digits) has as many encoders as the timed shape (``--model``: DeiT-S 12,
LV-ViT-S 16), so each effort's path maps encoder for encoder. Writes into ``--output``:

- ``cka.csv``: the CKA matrix ``CKA(MLP_i, A_j)`` (PIVOT Fig. 3a);
- ``paths.csv``: per effort the best path (Alg. 1), its Path-Score and PIVOT-Sim delay;
- ``thresholds.csv``: every effort pair × entropy threshold: ``F_L``, ``F_H``, accuracy,
  delay ``D_L + F_H·D_H``, energy;
- ``pairs.csv``: per pair the first threshold meeting the low-effort constraint;
- ``selected.csv``: PIVOT Tables 2–3: the baseline and the pair selected per delay target,
  with the paper's delay reduction beside ours;
- ``pivot.png`` (accuracy against delay) and ``summary.md``.

Cost records (the small characterized array for energy, softmax, GeLU, layer-norm) are
read from ``--db``; every training goes through the run store (``--resume RUN``) and runs
on the executor (``--executor``, ``--scheduler``, ``--workers``): the CKA matrix with the
baseline's accuracy, then every effort pair's threshold sweep, in parallel
(:mod:`tilewright.flows.search.pivot`).
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

#: PIVOT §4.1: the efforts it trains for DeiT-S and LV-ViT-S (besides the baseline).
EFFORTS = {"deit-s": "3,4,5,6,7,8,9", "lv-vit-s": "4,5,6,7,8,9,10,11,12"}


def _ints(text, name):
    try:
        return sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        raise UserError(f"{name} must be comma-separated integers, not {text!r}") from None


def _params(block, defaults, items):
    """``defaults`` overridden by the ``NAME=VALUE`` ``items``, checked by building the
    block, with its other defaults filled in."""
    from tilewright.gen.catalogue import get_block
    b = get_block(block)
    given = {**defaults, **parse_params(b, items)}
    b.build(given)
    return b.resolve(given)


@click.command("pivot")
@click.option("--model", "timing_model", type=click.Choice(["deit-s", "lv-vit-s"]),
              default="deit-s", show_default=True, help="shape timed by PIVOT-Sim")
@click.option("--efforts", default=None,
              help="efforts (active attentions) to train; default PIVOT's: 3-9 for DeiT-S, "
                   "4-12 for LV-ViT-S")
@click.option("--thresholds", default="0,0.02,0.05,0.1,0.15,0.2,0.3,0.4,0.5,0.7,1",
              show_default=True, help="entropy thresholds Th swept per effort pair")
@click.option("--lec", type=float, default=0.7, show_default=True,
              help="low-effort constraint: fraction of inputs the low effort must classify")
@click.option("--targets", default="0.81,0.62", show_default=True,
              help="delay targets, fractions of the baseline delay (PIVOT's PVDS-50 and "
                   "PVDS-35 are 0.81 and 0.62 of DeiT-S's)")
@click.option("--hidden", type=int, default=32, show_default=True,
              help="embedding size of the golden ViT")
@click.option("--ff", type=int, default=64, show_default=True, help="its MLP size")
@click.option("--heads", type=int, default=2, show_default=True, help="its heads")
@click.option("--epochs", type=int, default=20, show_default=True,
              help="training epochs per effort")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--pe-param", "pe_params", multiple=True, metavar="NAME=VALUE",
              help="the characterized systolic array standing in for the 64x36 one's "
                   "energy (default rows=4 cols=4 dataflow=is il=8 fl=0 acc_width=32)")
@click.option("--softmax-param", "softmax_params", multiple=True, metavar="NAME=VALUE",
              help="the softmax unit's record (default t=64 heads=1)")
@click.option("--gelu-param", "gelu_params", multiple=True, metavar="NAME=VALUE",
              help="the GeLU unit's record (default lanes=1)")
@click.option("--units", "unit_names", default="softmax,gelu,layer_norm", show_default=True,
              help="operations timed on characterized units besides the GEMMs (others "
                   "are left out, and the summary says so)")
@click.option("--layer-norm-param", "ln_params", multiple=True, metavar="NAME=VALUE",
              help="the layer-norm unit's record (default n=4)")
@executor_options
@run_options
@fail_on_user_errors
def pivot(timing_model, efforts, thresholds, lec, targets, hidden, ff, heads, epochs, seed,
          pe_params, softmax_params, gelu_params, unit_names, ln_params, executor_kind,
          scheduler, workers, db_url, resume, output):
    """PIVOT (PIVOT §3): CKA matrix, Path-Score paths, effort pairs with the entropy
    threshold sweep and low-effort constraint; accuracy from the golden ViT, delay from
    PIVOT-Sim on the DeiT-S or LV-ViT-S shape."""
    from tqdm import tqdm

    from tilewright.flows.costs import open_db
    from tilewright.flows.executor import get_executor
    from tilewright.flows.model.pivot import MissingCosts, PivotHardware
    from tilewright.flows.runs import open_run
    from tilewright.flows.search import pivot as search
    from tilewright.flows.search.evaluations import cached
    from tilewright.golden.models.shapes import shape
    from tilewright.golden.models.train import default_config

    sh = shape(timing_model)
    effort_list = _ints(efforts or EFFORTS[timing_model], "efforts")
    for e in effort_list:
        if not 1 <= e < sh.layers:
            raise UserError(f"efforts must be from 1 to {sh.layers - 1}, not {e}")
    ths = floats(thresholds, "thresholds")
    fracs = floats(targets, "targets")
    if not 0 <= lec <= 1:
        raise UserError(f"lec must be from 0 to 1, not {lec!r}")
    if epochs < 1:
        raise UserError(f"epochs must be an integer of at least 1, not {epochs!r}")
    default = PivotHardware()
    given = {"softmax": softmax_params, "gelu": gelu_params, "layer_norm": ln_params}
    names = [n.strip() for n in unit_names.split(",") if n.strip()]
    for n in names:
        if n not in given:
            raise UserError(f"units must be names from softmax, gelu, layer_norm, not {n!r}")
    hw = PivotHardware(pe_params=_params("systolic", default.pe_params, pe_params), units={
        k: (b, _params(b, p, given[k])) for k, (b, p) in default.units.items()
        if k in names})
    cfg = default_config("digits", layers=sh.layers, hidden=hidden, ff=ff, heads=heads)
    config = {"model": timing_model, "efforts": effort_list, "thresholds": ths, "lec": lec,
              "targets": fracs, "hidden": hidden, "ff": ff, "heads": heads,
              "epochs": epochs, "seed": seed, "pe": hw.pe_params,
              "units": {k: v[1] for k, v in hw.units.items()}}
    executor = get_executor(executor_kind, scheduler=scheduler, workers=workers)
    run_id = resume or f"pivot-{time.strftime('%Y%m%d-%H%M%S')}"
    with executor, open_db(db_url) as db:       # a scheduler that does not answer: no db
        costs = cost_source(db)
        try:                                     # every record present, before any training
            from tilewright.flows.model.pivot import simulate
            simulate(sh, (), hw, costs)
        except MissingCosts as e:
            raise UserError(f"{e}; measure with: " + "; ".join(
                f"tilewright characterize {b} " + " ".join(f"--param {k}={v}"
                                                            for k, v in p.items())
                for b, p in e.requests)) from None
        with open_run(db_url, run_id, kind="search-pivot", config=config) as run:
            click.echo(f"run {run_id} (resume with --resume {run_id})")
            bar = tqdm(total=search.evaluations(effort_list, sh.layers), desc="pivot",
                       unit="evaluation", file=sys.stderr)
            with bar, exit_on_failed_task():
                matrix, paths, rows, chosen, selected, timing = search.search(
                    "digits", cfg, sh, hw, costs, effort_list, ths, lec, fracs,
                    epochs=epochs, seed=seed,
                    evaluate=cached(run.done(), run.record, executor), progress=bar.update)
    _write(Path(output), run_id, timing_model, sh, matrix, paths, rows, chosen, selected,
           timing, search.PAPER[timing_model])


def _write(out, run_id, model, sh, matrix, paths, rows, chosen, selected, timing, paper):
    from tilewright.flows.search.pivot import path_score
    write_csv(out / "cka.csv", [{"mlp_i": i, **{f"a_{j}": v for j, v in enumerate(r)}}
                                for i, r in enumerate(matrix)])
    path_rows = [{"effort": e, "active": " ".join(map(str, p)),
                  "path_score": path_score(p, matrix), "delay_ms": timing[e].delay_ms,
                  "energy_mj": timing[e].energy_pj * 1e-9} for e, p in paths.items()]
    write_csv(out / "paths.csv", path_rows)
    write_csv(out / "thresholds.csv", rows)
    write_csv(out / "pairs.csv", chosen)
    base = paper[0]
    for row, ref in zip(selected, paper):
        row["paper"] = ref[0]
        row["paper_delay_reduction"] = base[2] / ref[2]
        row["paper_accuracy"] = ref[4]
    write_csv(out / "selected.csv", selected)
    series = {f"{lo}/{hi}": [(r["delay_ms"], r["accuracy"]) for r in rows
                             if (r["low"], r["high"]) == (lo, hi)]
              for lo, hi in {(r["low"], r["high"]) for r in chosen}}
    series["chosen (F_L >= LEC)"] = [(r["delay_ms"], r["accuracy"]) for r in chosen]
    plot_lines(out / "pivot.png", [("delay on " + model + " (ms)", "accuracy", series)])
    n = sh.layers
    breakdown = [{"effort": e, **{k: v / timing[e].cycles
                                  for k, v in timing[e].cycles_by(lambda r: r["kind"]).items()}}
                 for e in (n, *sorted(paths, reverse=True)[1:3])]
    write_summary(out / "summary.md", f"PIVOT search (run {run_id})", [
        ("Where the figures come from", "\n".join(f"- {x}" for x in timing[n].notes)),
        ("Selected effort pairs (PIVOT Tables 2-3 style)", selected),
        ("Paths (Alg. 1)", path_rows),
        ("Delay share by operation kind (PIVOT Fig. 6a: softmax 60 % of DeiT-S on the ARM)",
         breakdown),
        ("First threshold meeting the low-effort constraint, per pair", chosen),
    ])
    click.echo(out / "summary.md")


COMMAND = pivot
