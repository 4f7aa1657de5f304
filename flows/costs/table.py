"""The cost table: one line per cost record, as `characterize` and `costs list` print it."""

__all__ = ["cost_table"]


def _number(value):
    return value if value is not None else float("nan")


def _row(inst, r):
    mark = "!" if r.clock_reachable is False else " "
    return (f"{inst:<20} {r.area_um2:>12.1f} {r.energy_per_op_pj:>12.4f} "
            f"{_number(r.dynamic_mw):>10.4f} {_number(r.idle_mw):>10.4f} {r.leakage_mw:>12.3e} "
            f"{r.latency_cycles:>7} {r.initiation_interval:>7.4g} "
            f"{_number(r.fmax_mhz):>9.1f}{mark} {r.key[:12]}")


HEADER = (f"{'instance':<20} {'area um2':>12} {'pJ/op':>12} {'dyn mW':>10} {'idle mW':>10} "
          f"{'leak mW':>12} {'latency':>7} {'II':>7} {'fmax MHz':>9}  key")


def cost_table(rows):
    """The lines of the cost table of ``rows``, ``[(name, CostRecord), ...]``: a header, a
    line per record, and a footnote when an assumed clock exceeds a record's fmax."""
    lines = [HEADER] + [_row(name, r) for name, r in rows]
    slow = sorted({r.clock_mhz for _, r in rows if r.clock_reachable is False})
    if slow:
        lines.append(f"! fmax below the assumed clock ({', '.join(f'{c:g}' for c in slow)} "
                     f"MHz): dyn mW is the power at a clock the netlist cannot reach")
    return lines
