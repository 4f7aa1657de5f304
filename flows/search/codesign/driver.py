"""A co-design study: several methods × seeds on one problem, with all their outputs.

:func:`run_study` checks every configuration first (nothing is evaluated or written on bad
input), runs each through :func:`~.run.codesign` on one run store — evaluations are keyed
by the pair, so methods and seeds share them and a resumed study re-runs only what is
missing — and writes the files listed in :mod:`tilewright.flows.commands.search_codesign`.
"""

import numpy as np

from tilewright.flows.search.codesign.report import (
    best_toml, convergence_table, plot_convergence, plot_front, plot_hypervolume,
    write_evaluations)
from tilewright.flows.search.codesign.run import codesign, prepare
from tilewright.flows.search.codesign.search import MemoryStore, Pareto
from tilewright.flows.search.codesign.validity import metrics_error
from tilewright.flows.search.pareto import hypervolume_curve, pareto_mask

__all__ = ["run_study", "check_caps"]

_MAX = ("max",) * len(Pareto.names)


def _problem_key(config):
    return (config.space, config.accelerator_space, config.fix_accelerator,
            config.constraints)


def check_caps(problem, hardware):
    """Refuse caps that even the smallest design breaks (before any side effect)."""
    c = problem.constraints
    if c.max_area_mm2 is None and c.max_power_mw is None:
        return
    smallest = problem.corner_pairs()[0]
    figures = hardware(smallest)
    if isinstance(figures, str):
        return
    energy = figures["dynamic_energy_pj"] + figures["leakage_energy_pj"]
    m = {"area_um2": figures["area_um2"], "power_mw": energy * 1e-9 / figures["latency_s"]}
    reason = metrics_error(m, c)
    if reason is not None:
        field = "max_area_mm2" if reason.startswith("area") else "max_power_mw"
        raise ValueError(f"{field} must admit the smallest design ({reason}), "
                         f"not {getattr(c, field)!r}")


def run_study(configs, output, *, hardware, accuracy=None, store=None, executor=None,
              progress=None):
    """Run ``configs``; write the outputs into ``output``; return the Markdown summary.

    ``store``: a run store, or a function returning one, called once the inputs are
    checked (so bad input opens nothing); default a :class:`~.search.MemoryStore`.
    """
    problems = {}
    for config in configs:
        key = _problem_key(config)
        if key not in problems:
            problems[key] = prepare(config)
            check_caps(problems[key], hardware)
    store = store() if callable(store) else store if store is not None else MemoryStore()
    results = []
    for config in configs:
        problem = problems[_problem_key(config)]
        results.append(codesign(config, hardware=hardware, accuracy=accuracy, store=store,
                                executor=executor, progress=progress, problem=problem))
    output.mkdir(parents=True, exist_ok=True)
    write_evaluations(results, output / "evaluations.csv")
    curves = {}
    for r in results:
        curves.setdefault(r.method, []).append(r.convergence())
    lines = ["# TransCODE co-design", "",
             f"Objective: {configs[0].objective}; task {configs[0].task}; budget "
             f"{configs[0].search.budget}, batch {configs[0].search.batch}, initial "
             f"{configs[0].search.initial}; seeds "
             f"{sorted({c.search.seed for c in configs})}.", ""]
    if configs[0].objective == "pareto":
        lines += _pareto_outputs(results, curves, output)
    else:
        plot_convergence(curves, output / "convergence.png")
        lines += ["## Best performance after N evaluations (mean ± std over seeds)", "",
                  convergence_table(curves)]
    best = max((r.best() for r in results), key=lambda e: e.score)
    if best.record["valid"]:
        (output / "best.toml").write_text(best_toml(best))
        lines += ["## Best pair", "", "```toml", best_toml(best).rstrip(), "```", ""]
    summary = "\n".join(lines)
    (output / "summary.md").write_text(summary)
    return summary


def _pareto_outputs(results, curves, output):
    hv = {}
    for r in results:
        points = Pareto().scores([e.record for e in r.evaluations], r.maxima)
        hv.setdefault(r.method, []).append(np.array(
            hypervolume_curve(points, np.zeros(len(_MAX)), _MAX)))
    plot_hypervolume(hv, output / "hypervolume.png")
    plot_convergence(curves, output / "convergence.png",
                     ylabel="best mean of the four objectives")
    every = np.concatenate([Pareto().scores([e.record for e in r.evaluations], r.maxima)
                            for r in results])
    mask = pareto_mask(every, _MAX)
    plot_front(every, mask, Pareto.names, output / "front.png")
    return ["## Hypervolume after N evaluations (mean ± std over seeds)", "",
            convergence_table(hv), f"Pareto front: {int(mask.sum())} of {len(every)} "
            f"evaluations.", ""]
