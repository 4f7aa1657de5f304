"""A picture of cost records: where each block's power and area go, and its clock.

Three panels, one row per record:

- **power** at the record's assumed clock: the dynamic power split into the energy
  components characterization measured (cell internal, net switching, flip-flop data
  pins, clock), with the idle power (clocked, no work) marked on the bar;
- **area**: sequential (flip-flops) and combinational cells;
- **clock**: fmax from static timing against the assumed clock.
"""

__all__ = ["COMPONENTS", "label", "plot_costs", "power_split"]

#: Energy components of a record's ``details.energy_pj``, in drawing order, and labels.
COMPONENTS = (("internal", "cell internal"), ("switching", "net switching"),
              ("input_pins", "flip-flop data pins"), ("clock", "clock"))


def power_split(record):
    """``{component: mW}`` of ``record``'s dynamic power at its assumed clock, shared as
    its measured energy is (all ``"total"`` when the record has no split)."""
    total = record.dynamic_mw or 0.0
    parts = record.details.get("energy_pj", {})
    whole = parts.get("total")
    if not whole:
        return {"total": total}
    return {name: total * parts.get(name, 0.0) / whole for name, _ in COMPONENTS}


def label(record):
    """``block (parameters that differ from the block's defaults) key``."""
    from tilewright.flows.costs.table import changed_params
    params = ", ".join(changed_params(record)) or "defaults"
    if len(params) > 40:
        params = params[:37] + "..."
    return f"{record.block} ({params}) {record.key[:6]}"


def _legend(ax):
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
              frameon=False)


def plot_costs(records, path):
    """Draw ``records`` (:class:`~tilewright.flows.costs.CostRecord`) into the image
    file ``path`` (its suffix picks the format: ``.png``, ``.svg``, ``.pdf``)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter, ScalarFormatter

    rows = list(range(len(records)))
    fig, (power, area, clock) = plt.subplots(
        1, 3, figsize=(15, 2.6 + 0.45 * len(records)), sharey=True,
        gridspec_kw={"width_ratios": (3, 2, 2)})
    left = [0.0] * len(records)
    splits = [power_split(r) for r in records]
    for name, text in (*COMPONENTS, ("total", "dynamic (no split)")):
        widths = [s.get(name, 0.0) for s in splits]
        if any(widths):
            power.barh(rows, widths, left=left, label=text)
            left = [a + b for a, b in zip(left, widths)]
    idle = [(k, r.idle_mw) for k, r in enumerate(records) if r.idle_mw is not None]
    if idle:
        power.plot([w for _, w in idle], [k for k, _ in idle], "k|", markersize=16,
                   markeredgewidth=2, label="idle (clocked, no work)")
    clocks = sorted({r.clock_mhz for r in records})
    power.set_xlabel(f"power at the assumed clock ({', '.join(f'{c:g}' for c in clocks)} "
                     "MHz), mW")
    _legend(power)

    seq = [r.details.get("sequential_area_um2", 0.0) for r in records]
    area.barh(rows, seq, label="flip-flops")
    area.barh(rows, [r.area_um2 - s for r, s in zip(records, seq)], left=seq,
              label="combinational")
    area.set_xlabel("area, µm²")
    area.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e3:g}k" if x else "0"))
    _legend(area)

    clock.barh(rows, [r.fmax_mhz or 0.0 for r in records], color="tab:gray", label="fmax")
    clock.plot([r.clock_mhz for r in records], rows, "rv", label="assumed clock")
    clock.set_xscale("log")
    clock.xaxis.set_major_formatter(ScalarFormatter())
    clock.xaxis.set_minor_formatter(NullFormatter())
    low = min([r.fmax_mhz for r in records if r.fmax_mhz] + [r.clock_mhz for r in records])
    clock.set_xlim(low / 2, 2 * max([r.fmax_mhz or 0.0 for r in records]
                                    + [r.clock_mhz for r in records]))
    clock.set_xlabel("MHz (log)")
    _legend(clock)

    power.set_yticks(rows, [label(r) for r in records], fontsize="small")
    power.invert_yaxis()
    for ax in (power, area, clock):
        ax.grid(True, axis="x", alpha=0.3)
    technologies = ", ".join(sorted({r.technology for r in records}))
    fig.suptitle(f"Measured costs ({technologies})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
