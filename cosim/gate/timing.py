"""Static timing of a mapped netlist: its critical path and the clock it allows.

AccelTran assumes every module runs at 700 MHz (§IV-A); a cost record should say whether
the generated RTL, mapped to the chosen library, can. :func:`critical_path` is a
block-level static timing analysis on the Yosys JSON netlist of the mapped top module
(:mod:`tilewright.cosim.gate.synth`) with the library's timing arcs
(:class:`~tilewright.cosim.gate.liberty.TimingArc`):

- **Start points**: flip-flop outputs, at their clock-to-output delay (``rising_edge`` /
  ``falling_edge`` arcs), and the block's input ports, at time 0 (as if driven by an
  ideal register of the surrounding design). The clock port is ideal: no skew, no clock
  tree, transition :data:`~tilewright.cosim.gate.energy.NOMINAL_SLEW_NS`.
- **Propagation** through combinational cells in topological order, rising and falling
  edges apart: an output edge's arrival is the latest over the cell's arcs of (arrival
  of the input edge that causes it, by the arc's ``timing_sense``, + the ``cell_rise``
  or ``cell_fall`` delay), read at that input edge's propagated transition and the
  output net's load; its transition comes from ``rise_transition`` / ``fall_transition``
  there. Loads are those of :func:`tilewright.cosim.gate.energy.net_loads`: the input-pin
  capacitances a net drives and, given a wire-load model, its estimated wire
  capacitance ``C``.
- **Wires**: given a wire-load model, a sink also waits for the wire's resistance ``R``
  (per unit length × the model's length for the net's fanout ``N``) by the Elmore delay
  of the library's ``tree_type``: ``R/N · (C/N + C_pin)`` for a ``balanced_tree`` (each
  sink on its own branch), ``R · (C + ΣC_pin)`` for a ``worst_case_tree``, nothing for a
  ``best_case_tree``. The transition at the sink is the driver's (no degradation). A
  placed and routed block is still slower than a wire-load estimate.
- **End points**: flip-flop inputs with a setup (or recovery) check, required one
  ``setup`` before the clock edge, and output ports, required at the edge.

The critical path is the latest end point; its delay is the shortest clock period, and
``fmax_mhz`` = 1000 / period (library times in ns). Given the Verilog that was
synthesized, its start and end flip-flops are named by the register they implement (the
``<=`` target at the cell's ``src`` line), so the path can be found in the RTL.
"""

import re
from collections import deque
from dataclasses import dataclass

from tilewright.cosim.gate.energy import NOMINAL_SLEW_NS, net_fanouts, net_loads

__all__ = ["TimingReport", "TimingError", "critical_path"]

_LAUNCH = ("rising_edge", "falling_edge")
_CHECK = ("setup_rising", "setup_falling", "recovery_rising", "recovery_falling")
_TIME_UNITS_NS = {"1ns": 1.0, "1ps": 1e-3, "10ps": 1e-2, "100ps": 1e-1}
_RESISTANCE_OHM = {"1ohm": 1.0, "10ohm": 10.0, "100ohm": 100.0, "1kohm": 1e3}
_CAPACITANCE_F = {"pf": 1e-12, "ff": 1e-15}
_TREES = ("balanced_tree", "worst_case_tree", "best_case_tree")


class TimingError(ValueError):
    """The netlist cannot be timed (a combinational loop; an unknown time unit, wire
    resistance or capacitance unit, or tree type)."""


@dataclass(frozen=True)
class TimingReport:
    """The critical path of a netlist.

    ``period_ns`` is its delay: launch (clock-to-output or input port at 0) + logic +
    setup of the capturing flip-flop. ``path`` lists its cells from start to end as
    ``(cell type, output pin, arrival ns)``; ``start`` and ``end`` name the launching and
    capturing points (``"input i__payload"``, ``"acc: sky130_fd_sc_hd__dfxtp_1.D"``).
    """

    period_ns: float
    setup_ns: float
    start: str
    end: str
    path: tuple
    endpoints: int

    @property
    def fmax_mhz(self):
        """The highest clock frequency the critical path allows (``None`` without a
        timed path)."""
        return 1e3 / self.period_ns if self.period_ns > 0 else None

    @property
    def logic_depth(self):
        """Combinational cells on the critical path."""
        return sum(1 for _, pin, _ in self.path if pin is not None)


def _time_scale(library):
    unit = (library.units.get("time_unit") or "1ns").replace(" ", "")
    if unit not in _TIME_UNITS_NS:
        raise TimingError(f"{library.name}: time_unit must be one of "
                          f"{', '.join(_TIME_UNITS_NS)}, not {unit!r}")
    return _TIME_UNITS_NS[unit]


def _wire_delay(netlist, library, wire_load, loads):
    """``delay(bit, pin_capacitance)``: the wire's Elmore delay (ns) from the driver of
    net ``bit`` to a sink pin of that capacitance (see the module's **Wires**)."""
    if wire_load is None or library.tree_type == "best_case_tree":
        return lambda bit, pin_cap: 0.0
    if library.tree_type not in _TREES:
        raise TimingError(f"{library.name}: tree_type must be one of {', '.join(_TREES)}, "
                          f"not {library.tree_type!r}")
    r_unit = (library.units.get("pulling_resistance_unit") or "1kohm").replace(" ", "")
    value, _, c_unit = (library.units.get("capacitive_load_unit") or "1 pf").partition(" ")
    if r_unit.lower() not in _RESISTANCE_OHM or c_unit.lower() not in _CAPACITANCE_F:
        raise TimingError(f"{library.name}: pulling_resistance_unit must be one of "
                          f"{', '.join(_RESISTANCE_OHM)} and capacitive_load_unit's unit one "
                          f"of {', '.join(_CAPACITANCE_F)}, not {r_unit!r} and {c_unit!r}")
    ohm, farad = _RESISTANCE_OHM[r_unit.lower()], float(value) * _CAPACITANCE_F[c_unit.lower()]
    scale = ohm * farad * 1e9
    fanout = net_fanouts(netlist, library)

    def delay(bit, pin_cap):
        n = fanout.get(bit, 0)
        if not n:
            return 0.0
        length = wire_load.length(n)
        r, c = wire_load.resistance * length, wire_load.capacitance * length
        if library.tree_type == "worst_case_tree":
            return r * loads.get(bit, 0.0) * scale
        return r / n * (c / n + pin_cap) * scale
    return delay


_RISE, _FALL = 0, 1
_EDGES = (_RISE, _FALL)


def _at(table, slew, load):
    return table.at(slew, load) if table is not None else 0.0


def _launch(arc, slew, load):
    """(arrival, transition) of the rising and falling edge an arc drives from an input
    edge of transition ``slew``."""
    return ((_at(arc.rise, slew, load), _at(arc.rise_slew, slew, load)),
            (_at(arc.fall, slew, load), _at(arc.fall_slew, slew, load)))


def _effects(sense, edge):
    """The output edges an input ``edge`` can cause through an arc of ``sense``."""
    if sense == "positive_unate":
        return (edge,)
    if sense == "negative_unate":
        return (1 - edge,)
    return _EDGES


class _Timing:
    """Arrival, transition and predecessor of every (net bit, edge) reached so far."""

    def __init__(self):
        self.arrival, self.slew, self.came_from = {}, {}, {}

    def offer(self, node, arrival, slew, how):
        if arrival > self.arrival.get(node, float("-inf")):
            self.arrival[node], self.slew[node], self.came_from[node] = arrival, slew, how


_SRC = re.compile(r"(\d+)\.\d+-(\d+)\.\d+$")
_ASSIGNED = re.compile(r"([\\\w$.]+)\s*<=")


def _register(cell, lines):
    """The register a flip-flop cell implements, from its ``src`` line range in the
    synthesized Verilog ``lines`` (``None`` when that cannot be told)."""
    found = _SRC.search(cell.get("attributes", {}).get("src", "")) if lines else None
    if found:
        for line in lines[int(found[1]) - 1:int(found[2])]:
            target = _ASSIGNED.search(line)
            if target:
                return target[1].lstrip("\\")
    return None


def critical_path(netlist, library, verilog=None, clock="clk", slew=NOMINAL_SLEW_NS,
                  wire_load=None):
    """The :class:`TimingReport` of ``netlist`` (Yosys JSON of the mapped top module)
    under ``library``'s timing arcs; ``verilog``, the synthesized source, names the
    registers at the path's ends; ``clock`` names the ideal clock port; ``wire_load``
    (a :class:`~tilewright.cosim.gate.liberty.WireLoad` or ``None``) adds wire capacitance to
    the loads and wire delay to the sinks."""
    scale = _time_scale(library)
    lines = verilog.splitlines() if verilog else None
    loads = net_loads(netlist, library, wire_load)
    wire = _wire_delay(netlist, library, wire_load, loads)
    timing = _Timing()
    clock_bits = set(netlist["ports"].get(clock, {}).get("bits", ()))
    for name, port in netlist["ports"].items():
        if port["direction"] == "input" and name != clock:
            for bit in port["bits"]:
                if isinstance(bit, int):
                    for edge in _EDGES:
                        timing.offer((bit, edge), 0.0, slew, (f"input {name}", None))

    checks = []         # (data bit, pin capacitance, setup arc, capturing cell type.pin)
    combinational = []  # (lib cell, connections)
    for cell in netlist["cells"].values():
        lib_cell = library.cell(cell["type"])
        conn = {p: b[0] for p, b in cell["connections"].items() if isinstance(b[0], int)}
        if not lib_cell.sequential:
            combinational.append((lib_cell, conn))
            continue
        register = _register(cell, lines)
        for pin_name, bit in conn.items():
            pin = lib_cell.pins.get(pin_name)
            where = f"{register + ': ' if register else ''}{cell['type']}.{pin_name}"
            for arc in (pin.timing if pin else ()):
                if arc.kind in _LAUNCH and pin.direction == "output":
                    how = (f"{where} (clock to output)", None)
                    for edge, (t, s) in zip(_EDGES, _launch(arc, slew, loads.get(bit, 0.0))):
                        timing.offer((bit, edge), t * scale, s, how)
                elif arc.kind in _CHECK and bit not in clock_bits:
                    checks.append((bit, pin.capacitance, arc, where))

    _propagate(combinational, loads, wire, timing, scale)

    ends = []
    for bit, pin_cap, arc, where in checks:
        for edge, table in zip(_EDGES, (arc.rise, arc.fall)):
            if (bit, edge) in timing.arrival:
                setup = _at(table, slew, timing.slew[bit, edge]) * scale
                ends.append((timing.arrival[bit, edge] + wire(bit, pin_cap) + setup, setup,
                             (bit, edge), where))
    for name, port in netlist["ports"].items():
        if port["direction"] == "output":
            ends += [(timing.arrival[b, e] + wire(b, 0.0), 0.0, (b, e), f"output {name}")
                     for b in port["bits"] for e in _EDGES if (b, e) in timing.arrival]
    if not ends:
        return TimingReport(0.0, 0.0, "", "", (), 0)
    period, setup, node, end = max(ends, key=lambda e: (e[0], e[2]))
    path = []
    while True:
        how, prev = timing.came_from[node]
        path.append((how, prev and prev[1], timing.arrival[node]))
        if prev is None:
            break
        node = prev[0]
    return TimingReport(period, setup, path[-1][0], end, tuple(reversed(path)), len(ends))


def _memoized_launch():
    """:func:`_launch` remembering what it returned for each (arc, input transition,
    load): a datapath's repeated slices launch the same cell arcs from the same
    transitions into the same loads (most of a 16-multiplier MAC lane's 1.07 million
    table lookups), and each returns the same figures as before."""
    memo = {}

    def launch(arc, slew, load):
        key = (id(arc), slew, load)
        found = memo.get(key)
        if found is None:
            found = memo[key] = _launch(arc, slew, load)
        return found
    return launch


def _propagate(cells, loads, wire, timing, scale):
    """Arrivals and transitions of every combinational cell output, in topological order
    (Kahn's algorithm over the cells' input nets); ``wire(bit, pin_cap)`` is the wire
    delay to an input pin."""
    launch = _memoized_launch()
    drivers = {bit for lib_cell, conn in cells for p, bit in conn.items()
               if p in lib_cell.pins and lib_cell.pins[p].direction == "output"}
    waiting = [0] * len(cells)
    readers = {}
    for k, (lib_cell, conn) in enumerate(cells):
        for pin_name, bit in conn.items():
            pin = lib_cell.pins.get(pin_name)
            if pin is not None and pin.direction == "input" and bit in drivers:
                waiting[k] += 1
                readers.setdefault(bit, []).append(k)
    ready = deque(k for k, n in enumerate(waiting) if n == 0)
    done = 0
    while ready:
        k = ready.popleft()
        done += 1
        lib_cell, conn = cells[k]
        for pin_name, out in conn.items():
            pin = lib_cell.pins.get(pin_name)
            if pin is None or pin.direction != "output":
                continue
            load = loads.get(out, 0.0)
            for arc in pin.timing:
                src = conn.get(arc.related_pin)
                if arc.kind != "combinational" or src is None:
                    continue
                related = lib_cell.pins.get(arc.related_pin)
                on_wire = wire(src, related.capacitance if related else 0.0)
                for cause in _EDGES:
                    if (src, cause) not in timing.arrival:
                        continue
                    launched = launch(arc, timing.slew[src, cause], load)
                    for edge in _effects(arc.sense, cause):
                        delay, out_slew = launched[edge]
                        timing.offer((out, edge),
                                     timing.arrival[src, cause] + on_wire + delay * scale,
                                     out_slew, (lib_cell.name, ((src, cause), pin_name)))
            for reader in readers.get(out, ()):
                waiting[reader] -= 1
                if waiting[reader] == 0:
                    ready.append(reader)
    if done != len(cells):
        stuck = sorted({cells[k][0].name for k, n in enumerate(waiting) if n})[:5]
        raise TimingError(f"combinational loop through cells of type {', '.join(stuck)}")
