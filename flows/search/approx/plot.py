"""Figures of a TransAxx search: the accuracy–power plane and hypervolume against
evaluations (matplotlib, Agg)."""

import numpy as np

__all__ = ["plot_pareto", "plot_hypervolume"]

STYLE = {"mcts": ("tab:red", "o"), "random": ("tab:blue", "s"), "nsga2": ("tab:green", "^"),
         "exhaustive": ("0.55", ".")}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_pareto(path, runs, uniform, exact_mw):
    """Every method's evaluations (first seed) and front, and the library's uniform
    assignments (TransAxx Table III / Fig. 6 baselines), power normalized to exact."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    shown = set()
    for run in runs:
        if run.method in shown:
            continue
        shown.add(run.method)
        color, marker = STYLE.get(run.method, ("k", "x"))
        pts = np.array(run.points())
        ax.scatter(pts[:, 1] / exact_mw, pts[:, 0] * 100, s=10, alpha=0.25, color=color,
                   marker=marker)
        front = np.array([(acc, mw) for _, acc, mw in run.front()])
        order = np.argsort(front[:, 1])
        ax.step(front[order, 1] / exact_mw, front[order, 0] * 100, where="post",
                color=color, marker=marker, ms=4, label=f"{run.method} front")
    for name, acc, mw in uniform:
        ax.scatter([mw / exact_mw], [acc * 100], color="k", marker="*", s=70, zorder=5)
        ax.annotate(name, (mw / exact_mw, acc * 100), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xlabel("multiplier power / exact")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("accuracy vs power (★ one multiplier on every layer)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_hypervolume(path, runs, ref, exhaustive=None):
    """Hypervolume against evaluations: mean over seeds per method (band: min–max)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for method in dict.fromkeys(r.method for r in runs):
        curves = [r.curve(ref) for r in runs if r.method == method]
        n = min(len(c) for c in curves)
        arr = np.array([c[:n] for c in curves])
        x = np.arange(1, n + 1)
        color, _ = STYLE.get(method, ("k", "x"))
        ax.plot(x, arr.mean(0), color=color, label=f"{method} ({len(curves)} seeds)")
        ax.fill_between(x, arr.min(0), arr.max(0), color=color, alpha=0.15)
    if exhaustive is not None:
        ax.axhline(exhaustive.hypervolume(ref), color="0.3", ls="--", label="exhaustive front")
        ax.axhline(0.95 * exhaustive.hypervolume(ref), color="0.3", ls=":", label="95 %")
    ax.set_xscale("log")
    ax.set_xlabel("real evaluations")
    ax.set_ylabel("hypervolume (accuracy × mW)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
