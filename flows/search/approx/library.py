"""The multiplier library of the TransAxx search (TransAxx §V-B, Table III).

A library is the exact multiplier plus a set of approximate ones, given as a spec string
``"drum:3-6,mitchell:2-4,truncated:2-7,ssm:5"`` (kind, then one ``k`` or a range
``lo-hi``; kinds and ``k`` ranges of :mod:`tilewright.gen.multiplier`). Each entry is
characterized through an injected ``measure(block, params) -> CostRecord`` (the searcher
never imports characterization) and its product table comes from an injected
``table(kind, bits, k)`` (the command layer passes the RTL-simulated table,
:mod:`tilewright.cosim.multiplier_table`). Error metrics are computed on that table.
"""

from dataclasses import dataclass

import torch

from tilewright.specs.multiplier import KINDS, check_multiplier, k_range
from tilewright.golden.multiplier import error_metrics

__all__ = ["parse_library", "Entry", "build_library", "measured", "library_rows"]


def parse_library(spec, bits=8):
    """``[(kind, k), ...]``: the exact multiplier first, then the spec's entries in order
    (duplicates dropped). Raises ``ValueError`` naming the field on a bad spec."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"library must be KIND:K[-K],... with kinds "
                         f"{', '.join(k for k in KINDS if k != 'exact')}, not {spec!r}")
    out = [("exact", None)]
    for item in spec.split(","):
        kind, sep, ks = item.strip().partition(":")
        if kind == "exact" and not sep:
            continue
        if kind not in KINDS or kind == "exact":
            allowed = ", ".join(repr(k) for k in KINDS if k != "exact")
            raise ValueError(f"library kind must be one of {allowed}, not {kind!r}")
        if not sep:
            raise ValueError(f"library entry must be KIND:K or KIND:LO-HI, not {item!r}")
        lo_text, dash, hi_text = ks.partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if dash else lo
        except ValueError:
            raise ValueError(f"library k of {kind} must be an integer or LO-HI, "
                             f"not {ks!r}") from None
        klo, khi = k_range(kind, bits)
        for k in (lo, hi):
            if not klo <= k <= khi:
                raise ValueError(f"library k of {kind} must be from {klo} to {khi} at "
                                 f"bits={bits}, not {k}")
        if lo > hi:
            raise ValueError(f"library k range of {kind} must be LO-HI with LO <= HI, "
                             f"not {ks!r}")
        for k in range(lo, hi + 1):
            if (kind, k) not in out:
                out.append((kind, k))
    return out


@dataclass(frozen=True)
class Entry:
    """One multiplier of the library: its table, error metrics and cost record."""

    kind: str
    k: int
    bits: int
    table: torch.Tensor
    metrics: dict
    record: object

    @property
    def name(self):
        return self.kind if self.k is None else f"{self.kind}-{self.k}"

    @property
    def pj_per_product(self):
        """Dynamic energy of one product, measured on the netlist (pJ)."""
        return self.record.energy_per_op_pj


def build_library(pairs, bits, *, measure, table, on_entry=None, executor=None):
    """Characterize and tabulate every ``(kind, k)`` of ``pairs``: a list of :class:`Entry`.
    ``on_entry(name)`` is called as each entry is measured (progress). With an
    ``executor`` (:mod:`tilewright.flows.executor`) the entries are measured in parallel
    on it; ``measure`` and ``table`` must then be picklable (module-level functions or
    ``functools.partial`` of them)."""
    tasks = {}
    for kind, k in pairs:
        k = check_multiplier(kind, bits, k)
        tasks[kind if k is None else f"{kind}-{k}"] = (measure, table, kind, bits, k)
    if executor is None:
        results = ((name, measured(*args)) for name, args in tasks.items())
    else:
        results = executor.map(measured, tasks)
    found = {}
    for name, result in results:
        found[name] = result
        if on_entry is not None:
            on_entry(name)
    return [Entry(kind, k, bits, found[name][1], error_metrics(found[name][1]), found[name][0])
            for name, (_, _, kind, _, k) in tasks.items()]


def measured(measure, table, kind, bits, k):
    """``(cost record, product table)`` of one multiplier (a task of
    :func:`build_library`)."""
    return measure("multiplier", {"kind": kind, "bits": bits, "k": k}), table(kind, bits, k)


def library_rows(entries, clock_mhz):
    """Rows of the library table: error metrics, energy per product and the power of one
    multiplier producing a product every cycle at ``clock_mhz`` (dynamic + leakage)."""
    exact = next(e for e in entries if e.kind == "exact")

    def power(e):
        return e.pj_per_product * clock_mhz * 1e-3 + e.record.leakage_mw
    rows = []
    for e in entries:
        rows.append({"name": e.name, "kind": e.kind, "k": e.k, "bits": e.bits,
                     "mre": e.metrics["mre"], "mae": e.metrics["mae"],
                     "wce": e.metrics["wce"], "pj_per_product": e.pj_per_product,
                     "power_mw": power(e), "leakage_mw": e.record.leakage_mw,
                     "area_um2": e.record.area_um2, "fmax_mhz": e.record.fmax_mhz,
                     "power_vs_exact": power(e) / power(exact)})
    return rows
