"""The cost table: one line per cost record, as `characterize` (by instance) and
`costs list` (by block, with its parameters and clock) print it."""

__all__ = ["cost_table", "record_table", "changed_params"]


def _number(value):
    return value if value is not None else float("nan")


def changed_params(record):
    """``["name=value", ...]`` of ``record``'s parameters that differ from its block's
    defaults (all of them when the block is unknown)."""
    from tilewright.blocks import BlockError
    from tilewright.gen.catalogue import get_block
    try:
        defaults = {p.name: p.default for p in get_block(record.block).params}
    except BlockError:
        defaults = {}
    return [f"{k}={v}" for k, v in sorted(record.params.items())
            if k not in defaults or defaults[k] != v]


def _row(name, r, clock):
    mark = "!" if r.clock_reachable is False else " "
    return (f"{name:<20} {r.area_um2:>12.1f} {r.energy_per_op_pj:>12.4f} "
            f"{_number(r.dynamic_mw):>10.4f} {_number(r.idle_mw):>10.4f} {r.leakage_mw:>12.3e} "
            f"{r.latency_cycles:>7} {r.initiation_interval:>7.4g} "
            + (f"{r.clock_mhz:>9.1f} " if clock else "")
            + f"{_number(r.fmax_mhz):>9.1f}{mark} {r.key[:12]}")


def _header(first, clock):
    return (f"{first:<20} {'area um2':>12} {'pJ/op':>12} {'dyn mW':>10} {'idle mW':>10} "
            f"{'leak mW':>12} {'latency':>7} {'II':>7} "
            + (f"{'clock MHz':>9} " if clock else "") + f"{'fmax MHz':>9}  key")


def _footnote(records):
    slow = sorted({r.clock_mhz for r in records if r.clock_reachable is False})
    if not slow:
        return []
    return [f"! fmax below the assumed clock ({', '.join(f'{c:g}' for c in slow)} MHz): "
            f"dyn mW is the power at a clock the netlist cannot reach"]


def cost_table(rows):
    """The lines of the cost table of ``rows``, ``[(instance, CostRecord), ...]``: a
    header, a line per record, and a footnote when an assumed clock exceeds a record's
    fmax."""
    return ([_header("instance", False)] + [_row(name, r, False) for name, r in rows]
            + _footnote([r for _, r in rows]))


def record_table(records):
    """The lines of the table of ``records`` by block: as :func:`cost_table` with the
    assumed clock, and after the key the parameters that differ from the block's
    defaults, so that no two rows differ by their key alone."""
    return ([_header("block", True) + "  params"]
            + [f"{_row(r.block, r, True)}  {' '.join(changed_params(r)) or 'defaults'}"
               for r in records] + _footnote(records))
