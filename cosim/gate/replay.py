"""Replay an RTL simulation's port values on the mapped gate-level netlist, natively.

The RTL runs the block's cocotb testbench (whose scoreboard checks it against the golden
model) with its ports traced (:mod:`tilewright.cosim.gate.vcd`). The netlist is then
driven, timestep by timestep, with the inputs the testbench drove, and its outputs must
equal the RTL's at the end of every timestep — so the netlist is checked against the
RTL, and through it against the golden model — while every net bit's toggles are counted
(:mod:`tilewright.cosim.gate.native`), as Verilator's ``--coverage-toggle`` counts them
on the netlist (:mod:`tilewright.cosim.gate.sim`).

A timestep in which the clock changed is applied as cocotb applies it on Verilator: the
clock edge first (one evaluation), then the inputs the testbench wrote in reaction to it
(a second evaluation in the same timestep). Time 0 is the exception: what the testbench
wrote before the simulation started (reset asserted, inputs at rest) reaches the model
together with the clock's first rising edge, in one evaluation in which Verilator settles
the logic fed by the inputs before the clocked logic, so flip-flops take the values the new
inputs give (a synchronous reset already active); there the inputs come first.
"""

import numpy as np

from tilewright.cosim.gate.native import NativeNetlist
from tilewright.cosim.gate.ports import GateMismatch, top_ports

__all__ = ["GateMismatch", "replay", "bit_names", "top_ports"]

def bit_names(netlist):
    """Value-array row → the signal-bit names toggle coverage reports for it (the named
    nets' bits, ``name`` or ``name[i]``, constant bits included)."""
    names = {}
    for name, net in netlist["netnames"].items():
        if net.get("hide_name"):
            continue
        bits = net["bits"]
        for i, bit in enumerate(bits):
            names.setdefault(bit, []).append(name if len(bits) == 1 else f"{name}[{i}]")
    return names


def _phases(trace, inputs, clock):
    """The input rows' values of each evaluation, and for each the trace row whose
    outputs it must reproduce (``None`` for a timestep's first evaluation of two: the
    clock edge, or at time 0 the other inputs)."""
    steps, checks = [], []
    widths = [trace.values[n].shape[1] for n in inputs]
    prev = np.zeros(sum(widths), dtype=np.uint8)
    at = np.cumsum([0] + widths)
    clock_bits = np.concatenate([np.arange(at[k], at[k + 1])
                                 for k, n in enumerate(inputs) if n == clock] or [[]])
    clock_bits = clock_bits.astype(np.int64)
    for r in range(len(trace.times)):
        new = np.concatenate([trace.values[n][r] for n in inputs])
        first = new.copy() if r == 0 else prev.copy()     # time 0: inputs, then the edge
        first[clock_bits] = prev[clock_bits] if r == 0 else new[clock_bits]
        if not np.array_equal(first, prev) and not np.array_equal(first, new):
            steps.append(first)
            checks.append(None)
        steps.append(new)
        checks.append(r)
        prev = new
    return steps, checks


def replay(netlist, library, traces, clock="clk"):
    """Toggles per signal-bit name of ``netlist`` (Yosys JSON of the mapped top module)
    in each of ``traces`` (:class:`~tilewright.cosim.gate.vcd.PortTrace` of the RTL's
    ports), evaluated side by side; raises :class:`GateMismatch` at the first timestep
    whose outputs differ from the trace's."""
    net = NativeNetlist(netlist, library)
    ports = net.ports
    inputs = [n for n, (d, _) in ports.items() if d == "input"]
    outputs = [n for n, (d, _) in ports.items() if d == "output"]
    in_rows = np.array([r for n in inputs for r in ports[n][1]], dtype=np.int64)
    out_rows = np.array([r for n in outputs for r in ports[n][1]], dtype=np.int64)
    plans = [_phases(t, inputs, clock) for t in traces]
    lanes, length = len(traces), max(len(p[0]) for p in plans)
    values = net.initial(lanes)
    toggles = values.astype(np.int64)    # from 0, as coverage starts
    for k in range(length):
        new = np.stack([steps[min(k, len(steps) - 1)] for steps, _ in plans], axis=1)
        before = net.step(values, in_rows, new)
        toggles += values != before
        for lane, (steps, checks) in enumerate(plans):
            if k < len(steps) and checks[k] is not None:
                _check(values[out_rows, lane], traces[lane], checks[k], outputs, lane)
    names = bit_names(netlist)
    index = net.index
    out = []
    for lane in range(lanes):
        counts = {}
        for bit, aliases in names.items():
            t = int(toggles[index[bit], lane])
            for a in aliases:
                counts[a] = t
        out.append(counts)
    return out


def _check(got, trace, row, outputs, lane):
    want = np.concatenate([trace.values[n][row] for n in outputs])
    if np.array_equal(got, want):
        return
    at, bad = 0, []
    for n in outputs:
        w = trace.values[n].shape[1]
        if not np.array_equal(got[at:at + w], want[at:at + w]):
            bad.append(n)
        at += w
    raise GateMismatch(f"gate-level netlist differs from the RTL at time {trace.times[row]} "
                       f"({trace.timescale}) of run {lane} on output(s) {', '.join(bad)}")
