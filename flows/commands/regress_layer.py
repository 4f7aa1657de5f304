"""``tilewright regress --layer``: one encoder layer of a transformer on the accelerator
top's RTL, lowered from the accelerator model's schedule (issue 16; AccelTran §III-B).

1. The model schedules the layer on the config's accelerator from the cost records
   (:func:`~tilewright.flows.model.simulate.plan_and_schedule`) and the schedule is
   lowered to the top's instruction stream (:mod:`tilewright.flows.model.program`).
2. The golden model (trained on the offline task, with the hardware's numerics) gives the
   layer's output; the program on the top's bit-exact model must give it word for word
   (:func:`~tilewright.flows.model.layer_case.check_program`).
3. The program runs on the top's RTL built from the config (buffers cut to what the layer
   uses; main memory with the model's latency and bandwidth) and main memory is compared
   word for word.
4. The cycles of every op on the RTL (from its first instruction's issue to its last
   instruction's end, :func:`measured_cycles`) against the model's schedule, and the
   layer's total (to the edge that takes END, when every unit is idle).
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LayerRun", "run_layer", "top_params", "memory_timing", "measured_cycles",
           "layer_lines"]


@dataclass
class LayerRun:
    """A layer on the RTL: ``case`` (:class:`~tilewright.flows.model.layer_case.LayerCase`),
    ``seed``, ``spans`` (op → ((model start, end), (RTL start, end))), and the total
    ``rtl_cycles`` and ``model_cycles``."""

    case: object
    seed: int
    spans: dict
    rtl_cycles: int
    model_cycles: int

    @property
    def ratio(self):
        return self.rtl_cycles / self.model_cycles

    def rows(self):
        """One dict per op: its spans and cycles on both, and RTL / model."""
        out = []
        for name, ((ms, me), (rs, re)) in self.spans.items():
            model, rtl = me - ms, re - rs
            out.append({"op": name, "model_start": ms, "model_end": me, "rtl_start": rs,
                        "rtl_end": re, "model_cycles": model, "rtl_cycles": rtl,
                        "ratio": rtl / model if model else None})
        return out


def memory_timing(hardware, dma_words):
    """``(latency, rate)`` of main memory for the top's bench: its latency in cycles of
    the accelerator's clock, and the DMA beats per cycle it delivers (at most 1) when a
    beat is ``dma_words`` words — the figures the accelerator model assumes."""
    from tilewright.flows.generate import memory_words_per_cycle
    memory = hardware.main_memory()
    latency = max(1, round(memory.latency_ns * hardware.clock_mhz / 1e3))
    return latency, min(1.0, memory_words_per_cycle(hardware) / dma_words)


def top_params(hardware, program):
    """The top's parameters for ``hardware`` with buffers as deep as ``program`` needs
    (the next power of two)."""
    from tilewright.flows.generate import accelerator_params
    params = dict(accelerator_params(hardware)["top"])
    for which in ("activation", "weight"):
        params[f"{which}_words"] = 1 << max(1, (program.buffer_words[which] - 1).bit_length())
    return params


def run_layer(hardware, layer, *, seq, tau, costs, seed=None, epochs=3, params=None):
    """Lower ``layer`` (:class:`~tilewright.flows.model.workload.Layer`) for ``hardware``,
    one sentence of ``seq`` tokens with DynaTran at ``tau``, check it on the top's
    bit-exact model, run it on the RTL built with ``params`` (default
    :func:`top_params`); a :class:`LayerRun`. Raises
    :class:`~tilewright.cosim.runner.SimulationFailed` when the RTL's main memory differs."""
    from tilewright.flows.model.layer_case import check_program, layer_case
    from tilewright.flows.regress import regress_program
    case = layer_case(hardware, layer, batch=1, seq=seq, costs=costs, tau=tau, epochs=epochs)
    expected = check_program(case, hardware)
    params = params or top_params(hardware, case.program)
    latency, rate = memory_timing(hardware, params["dma_words"])
    result = regress_program(params, case.program.instructions, case.memory.tolist(),
                             expected.tolist(), latency=latency, rate=rate, seed=seed)
    report = result.report["program_file"]
    cycles = measured_cycles(case.program.instructions, report, params["dma_words"])
    spans = case.program.spans(report["issued"], cycles)
    return LayerRun(case, result.seed, spans, report["issued"][-1], case.program.cycles)


def measured_cycles(instructions, report, dma_words):
    """Each instruction's cycles on the RTL: a compute unit's are its static formula,
    which the top's directed regression proves exact (units never wait once issued); a
    LOAD's or STORE's add the cycles its beats waited for main memory, measured from the
    edges of its requests (one beat a cycle would take ``beats`` edges)."""
    cycles, requests = list(report["cycles"]), iter(report["requests"])
    for k, ins in enumerate(instructions):
        if ins.op in ("LOAD", "STORE"):
            edges = [next(requests) for _ in range(-(-ins.n // dma_words))]
            cycles[k] += edges[-1] - edges[0] + 1 - len(edges)
    return cycles


def layer_lines(run):
    """The printed table: per op, cycles on the model and on the RTL, and the total."""
    lines = [f"{'op':26s} {'model':>9s} {'RTL':>9s} {'RTL/model':>9s}"]
    for row in run.rows():
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.3f}"
        lines.append(f"{row['op']:26s} {row['model_cycles']:9,.0f} {row['rtl_cycles']:9,d} "
                     f"{ratio:>9s}")
    lines.append(f"{'layer (total)':26s} {run.model_cycles:9,d} {run.rtl_cycles:9,d} "
                 f"{run.ratio:9.3f}")
    return lines


def write_outputs(run, folder, summary):
    """``layer.json`` (summary and per-op rows), ``layer-ops.csv`` and ``layer-timeline.png``
    in ``folder``; the paths."""
    from tilewright.flows.model.plots import plot_timeline
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows = run.rows()
    (out / "layer.json").write_text(json.dumps({**summary, "ops": rows}, indent=2) + "\n")
    with (out / "layer-ops.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot_timeline(rows, out / "layer-timeline.png",
                  title=f"{summary['model']} layer on {summary['accelerator']}: model "
                        f"{run.model_cycles:,} cycles, RTL {run.rtl_cycles:,}")
    return [out / "layer.json", out / "layer-ops.csv", out / "layer-timeline.png"]
