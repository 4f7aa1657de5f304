"""Accelerator design-space exploration for a fixed transformer (AccelTran §V-D, Fig. 16).

:func:`accelerator_dse` sweeps the number of PEs against the buffer sizes (the activation,
weight and mask buffers scaled together from a base accelerator, AccelTran-Edge's
4/8/1 MB by default) and records latency, energy, area and compute/memory stalls of each
point from the ``hardware`` callable (:class:`~.hardware.ModelHardware`); a point the
model cannot run is kept with its reason. :func:`plot_dse` draws the four figures against
PEs, one line per buffer size.
"""

from dataclasses import replace

from tilewright.flows.search.codesign.space import Pair, accelerator_preset

__all__ = ["accelerator_dse", "plot_dse", "DSE_PES", "DSE_BUFFER_SCALES"]

DSE_PES = (16, 32, 64, 128, 256)
DSE_BUFFER_SCALES = (0.25, 0.5, 1, 2, 4)
_FIGURES = ("latency_s", "dynamic_energy_pj", "area_um2", "compute_stalls", "memory_stalls")


def accelerator_dse(hardware, transformer, *, base="acceltran-edge", pes=DSE_PES,
                    buffer_scales=DSE_BUFFER_SCALES):
    """One row per (PEs, buffer scale): the figures, or ``reason`` when invalid. ``base``
    is a shipped accelerator's name (:func:`~.space.accelerator_preset`)."""
    base = accelerator_preset(base)
    rows = []
    for p in pes:
        for scale in buffer_scales:
            acc = replace(base, pes=p,
                          activation_buffer_mb=base.activation_buffer_mb * scale,
                          weight_buffer_mb=base.weight_buffer_mb * scale,
                          mask_buffer_mb=base.mask_buffer_mb * scale)
            figures = hardware(Pair(transformer, acc))
            row = {"pes": p, "buffer_mb": acc.activation_buffer_mb + acc.weight_buffer_mb
                   + acc.mask_buffer_mb}
            if isinstance(figures, str):
                row["reason"] = figures
            else:
                row.update({k: figures[k] for k in _FIGURES}, reason="")
            rows.append(row)
    return rows


def plot_dse(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(_FIGURES), figsize=(4 * len(_FIGURES), 3.4))
    for ax, key in zip(axes, _FIGURES):
        for size in sorted({r["buffer_mb"] for r in rows}):
            pts = [(r["pes"], r[key]) for r in rows if r["buffer_mb"] == size and not r["reason"]]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=f"{size:g} MB")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("PEs")
        ax.set_title(key.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[0].legend(title="net buffer")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
