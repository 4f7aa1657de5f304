"""Plots of a :class:`~tilewright.flows.model.result.Result` (AccelTran Figs. 17-18 style):
utilisation over time per unit class, and energy and area by component; and the timeline
of a layer's ops on the model against the RTL (``tilewright regress --layer``)."""

import numpy as np

__all__ = ["utilisation_series", "plot_utilisation", "plot_breakdown", "plot_timeline"]


def utilisation_series(result, bins=200):
    """``(edges, {class: busy fraction per bin})``: the fraction of each unit class's
    units busy in each of ``bins`` equal slices of the run."""
    cycles = max(result.cycles, 1)
    edges = np.linspace(0, cycles, bins + 1)
    width = edges[1] - edges[0]
    series = {}
    for pool, intervals in result.busy.items():
        busy = np.zeros(bins)
        if intervals:
            arr = np.asarray(intervals, dtype=float)
            for start, end, n in arr:
                first, last = int(start // width), min(int(end // width), bins - 1)
                for b in range(first, last + 1):
                    overlap = min(end, edges[b + 1]) - max(start, edges[b])
                    if overlap > 0:
                        busy[b] += overlap * n
        series[pool] = busy / (width * result.units[pool])
    return edges, series


def plot_utilisation(result, path):
    """A PNG of :func:`utilisation_series` at ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    edges, series = utilisation_series(result)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    mid = (edges[:-1] + edges[1:]) / 2
    for pool, values in series.items():
        ax.plot(mid, 100 * values, label=f"{pool} ({result.units[pool]})")
    ax.set_xlabel("cycle")
    ax.set_ylabel("units busy (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"{result.workload.name} on {result.hardware.name}: utilisation")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_breakdown(result, path):
    """A PNG of energy (dynamic, leakage and idle together) and area by component."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, data, title in ((axes[0], result.energy_pj, "energy (pJ)"),
                            (axes[1], result.area_by_component_um2, "area (µm²)")):
        items = sorted(((k, v) for k, v in data.items() if v > 0), key=lambda kv: -kv[1])
        total = sum(v for _, v in items)
        ax.barh([k for k, _ in items][::-1], [100 * v / total for _, v in items][::-1])
        ax.set_xlabel(f"% of {title}, total {total:.3g}")
    axes[0].set_title("energy by component")
    axes[1].set_title("area by component")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_timeline(rows, path, title):
    """A PNG at ``path``: every op of ``rows`` (dicts with ``op``, ``model_start``,
    ``model_end``, ``rtl_start``, ``rtl_end``) as two bars, the model's schedule above the
    RTL's measured span."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 0.28 * len(rows) + 1.4))
    for k, row in enumerate(rows):
        y = len(rows) - 1 - k
        ax.barh(y + 0.18, row["model_end"] - row["model_start"], left=row["model_start"],
                height=0.34, color="tab:blue", label="model" if k == 0 else None)
        ax.barh(y - 0.18, row["rtl_end"] - row["rtl_start"], left=row["rtl_start"],
                height=0.34, color="tab:orange", label="RTL" if k == 0 else None)
    ax.set_yticks(range(len(rows)), [r["op"] for r in rows][::-1], fontsize=7)
    ax.set_xlabel("cycle")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
