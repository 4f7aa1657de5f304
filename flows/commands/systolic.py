"""``tilewright systolic``: the systolic array's closed-form cycle model, no simulation.

``tilewright systolic cycles --rows 64 --cols 36 --m 197 --k 384 --n 384 --dataflow is``
prints SCALE-Sim's mapping (Sr, Sc, T), the folds, the cycles of one fold and of the
whole GEMM as the generated array takes them (equal to the cosim measurement, see
:mod:`tilewright.gen.systolic`), SCALE-Sim's own figure, and its mapping efficiency and
compute utilisation, with this array's fold cycles and with SCALE-Sim's (DESIGN.md §8).
"""

import json

import click

from tilewright.flows.commands.common import Number, fail_on_user_errors
from tilewright.fixedpoint import check_int
from tilewright.gen.systolic import DATAFLOWS, MAX_DIM, SystolicArray

__all__ = ["COMMAND", "cycle_report"]


def cycle_report(rows, cols, m, k, n, dataflow, clock_mhz=None):
    """The model's figures as a dict (checked inputs)."""
    check_int("rows", rows, 1, MAX_DIM)
    check_int("cols", cols, 1, MAX_DIM)
    for name, value in (("m", m), ("k", k), ("n", n)):
        check_int(name, value, 1, 1 << 31)
    sr, sc, t = SystolicArray.mapping(m, k, n, dataflow)
    cycles = SystolicArray.gemm_cycles(rows, cols, m, k, n, dataflow)
    report = {
        "rows": rows, "cols": cols, "dataflow": dataflow, "m": m, "k": k, "n": n,
        "sr": sr, "sc": sc, "t": t,
        "folds": SystolicArray.folds(rows, cols, m, k, n, dataflow),
        "fold_cycles": SystolicArray.fold_cycles(rows, cols, t, dataflow),
        "fold_period": SystolicArray.fold_period(rows, cols, t, dataflow),
        "cycles": cycles,
        "scalesim_fold_cycles": SystolicArray.scalesim_fold_cycles(rows, cols, t, dataflow),
        "scalesim_cycles": SystolicArray.scalesim_gemm_cycles(rows, cols, m, k, n, dataflow),
        "mapping_efficiency": SystolicArray.mapping_efficiency(rows, cols, m, k, n, dataflow),
        "compute_utilisation": SystolicArray.compute_utilisation(rows, cols, m, k, n,
                                                                 dataflow),
        "scalesim_compute_utilisation": (
            SystolicArray.mapping_efficiency(rows, cols, m, k, n, dataflow) * t
            / SystolicArray.scalesim_fold_cycles(rows, cols, t, dataflow)),
        "macs_per_cycle": m * k * n / cycles,
    }
    if clock_mhz is not None:
        report["clock_mhz"] = clock_mhz
        report["milliseconds"] = cycles / (clock_mhz * 1e3)
    return report


@click.group("systolic")
def COMMAND():
    """Systolic array: closed-form cycle model (SCALE-Sim's mapping)."""


@COMMAND.command("cycles")
@click.option("--rows", type=int, required=True, help="array rows R (1 to 64)")
@click.option("--cols", type=int, required=True, help="array columns C (1 to 64)")
@click.option("--m", "m", type=int, required=True, help="GEMM rows of A and C")
@click.option("--k", "k", type=int, required=True, help="GEMM inner dimension")
@click.option("--n", "n", type=int, required=True, help="GEMM columns of B and C")
@click.option("--dataflow", type=click.Choice(DATAFLOWS), required=True,
              help="weight-, input- or output-stationary")
@click.option("--clock-mhz", type=Number(positive=True), default=None,
              help="also print the time")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@fail_on_user_errors
def cycles(rows, cols, m, k, n, dataflow, clock_mhz, as_json):
    """Cycles of an M×K×N GEMM folded onto an R×C array (no simulation)."""
    report = cycle_report(rows, cols, m, k, n, dataflow, clock_mhz)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    r = report
    click.echo(f"GEMM {m}x{k}x{n} on a {rows}x{cols} {dataflow} array: "
               f"Sr={r['sr']} Sc={r['sc']} T={r['t']}, {r['folds']} folds")
    click.echo(f"cycles: {r['cycles']} ({r['fold_cycles']} per fold alone, folds every "
               f"{r['fold_period']}); SCALE-Sim: {r['scalesim_cycles']} "
               f"({r['scalesim_fold_cycles']} per fold)")
    click.echo(f"mapping efficiency {r['mapping_efficiency']:.4f}; compute utilisation "
               f"{r['compute_utilisation']:.4f} with this array's {r['fold_cycles']} cycles "
               f"per fold, {r['scalesim_compute_utilisation']:.4f} with SCALE-Sim's "
               f"{r['scalesim_fold_cycles']}; {r['macs_per_cycle']:.1f} MAC/cycle")
    if clock_mhz is not None:
        click.echo(f"time at {clock_mhz:g} MHz: {r['milliseconds']:.4f} ms")
