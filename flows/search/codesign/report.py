"""Outputs of a co-design run: ``evaluations.csv``, ``best.toml``, plots, ``summary.md``.

``best.toml`` holds the best pair as a configuration: an ``[accelerator]`` table (the
ELECTOR hyperparameters, TransCODE Table II, the MAC lanes' activation and an
``[accelerator.memory]`` table: what ``tilewright simulate --config`` reads) and a
``[transformer]`` table (activation, then one ``[[transformer.layers]]`` per encoder
layer); :func:`pair_of_config` reads it back.
"""

import csv
import json

import numpy as np

from tilewright.flows.search.codesign.performance import METRICS

__all__ = ["write_evaluations", "best_toml", "pair_of_config", "convergence_table", "plot_convergence",
           "plot_front", "plot_hypervolume", "CHECKPOINTS"]

CHECKPOINTS = (25, 50, 100, 200)
_COLUMNS = ("method", "seed", "index", "key", "valid", "reason", "score", "accuracy",
            *METRICS, "power_mw", "stalls", "transformer", "accelerator")


def write_evaluations(results, path):
    """One row per evaluation of every :class:`~.search.SearchResult` in ``results``."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=_COLUMNS)
        w.writeheader()
        for r in results:
            for e in r.evaluations:
                row = {k: e.record.get(k, "") for k in _COLUMNS}
                row.update(method=r.method, seed=r.settings.seed, index=e.index,
                           key=e.pair.key, score=f"{e.score:.6f}",
                           transformer=json.dumps(e.pair.transformer.to_dict()),
                           accelerator=json.dumps(e.pair.accelerator.to_dict()))
                w.writerow(row)


def pair_of_config(config):
    """The :class:`~.space.Pair` of a parsed ``best.toml``."""
    from tilewright.flows.search.codesign.space import Accelerator, Pair, Transformer
    acc = {k: v for k, v in config["accelerator"].items() if k != "activation"}
    m = acc["memory"]
    acc["memory"] = f"{m['type']}-{m['banks']}-{m['ranks']}-{m['channels']}"
    return Pair(Transformer.from_dict(config["transformer"]), Accelerator(**acc))


def _toml_value(v):
    return json.dumps(v) if isinstance(v, str) else repr(v)


def best_toml(evaluation):
    """``best.toml`` text for an :class:`~.search.Evaluation`."""
    pair, rec = evaluation.pair, evaluation.record
    lines = [f"# best pair: score {evaluation.score:.4f}, accuracy {rec['accuracy']:.4f}, "
             f"latency {rec['latency_s']:.4g} s, area {rec['area_um2'] / 1e6:.4g} mm²",
             "[accelerator]"]
    acc = pair.accelerator.to_dict()
    memory = dict(zip(("type", "banks", "ranks", "channels"), acc.pop("memory").split("-")))
    lines += [f"{k} = {_toml_value(v)}" for k, v in acc.items()]
    lines += [f"activation = {_toml_value(pair.transformer.activation)}", "",
              "[accelerator.memory]"]
    lines += [f"{k} = {v if k != 'type' else _toml_value(v)}" for k, v in memory.items()]
    lines += ["", "[transformer]",
              f"activation = {_toml_value(pair.transformer.activation)}"]
    for layer in pair.transformer.to_dict()["layers"]:
        lines += ["", "[[transformer.layers]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in layer.items()]
    return "\n".join(lines) + "\n"


def _at(curves, n):
    vals = [c[n - 1] for c in curves if len(c) >= n]
    return (np.mean(vals), np.std(vals), len(vals)) if vals else None


def convergence_table(curves):
    """Markdown: best score at :data:`CHECKPOINTS` evaluations and at the end of the
    longest run, mean ± std over seeds.

    ``curves``: ``{method: [best-so-far array per seed]}``.
    """
    longest = max(len(c) for cs in curves.values() for c in cs)
    cols = sorted({n for n in CHECKPOINTS if n <= longest} | {longest})
    lines = ["| method | " + " | ".join(f"{n} evals" for n in cols) + " |",
             "|---|" + "---|" * len(cols)]
    for method, cs in curves.items():
        cells = []
        for n in cols:
            at = _at(cs, n)
            cells.append("–" if at is None else f"{at[0]:.4f} ± {at[1]:.4f} (n={at[2]})")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _axes(**kw):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt, *plt.subplots(**kw)


def plot_convergence(curves, path, ylabel="best performance P"):
    """Best-so-far against evaluations per method: mean line and min–max band over seeds;
    the y axis starts at the lowest best-so-far after a fifth of the evaluations (the first
    draws, P_MIN when invalid, would flatten the rest)."""
    plt, fig, ax = _axes(figsize=(6, 4))
    low = []
    for method, cs in curves.items():
        n = min(len(c) for c in cs)
        arr = np.array([c[:n] for c in cs])
        xs = np.arange(1, n + 1)
        ax.plot(xs, arr.mean(0), label=f"{method} ({len(cs)} seeds)")
        ax.fill_between(xs, arr.min(0), arr.max(0), alpha=0.2)
        low.append(arr[:, n // 5].min())
    top = max(np.max(c) for cs in curves.values() for c in cs)
    ax.set_ylim(min(low) - 0.05 * (top - min(low) or 1), top + 0.05 * (top - min(low) or 1))
    ax.set_xlabel("evaluations")
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_hypervolume(curves, path):
    plot_convergence(curves, path, ylabel="hypervolume of the four objectives")


def plot_front(points, mask, names, path):
    """Accuracy against each hardware objective; the Pareto-optimal points highlighted
    (invalid pairs, all objectives 0, left out)."""
    valid = (points > 0).any(1)
    points, mask = points[valid], mask[valid]
    plt, fig, axes = _axes(ncols=len(names) - 1, figsize=(4 * (len(names) - 1), 3.6))
    for i, ax in enumerate(np.atleast_1d(axes), start=1):
        ax.scatter(points[~mask, i], points[~mask, 0], s=10, c="0.7", label="evaluated")
        ax.scatter(points[mask, i], points[mask, 0], s=18, c="C3", label="Pareto front")
        ax.set_xlabel(f"1 − {names[i]} (normalised)")
        ax.set_ylabel(names[0])
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
