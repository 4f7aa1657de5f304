"""Levelized, bit-parallel evaluation of a mapped gate-level netlist (numpy).

The cells' behaviour comes from the Liberty library (:mod:`tilewright.cosim.gate.liberty`):
every output pin's ``function`` becomes a truth table (:mod:`tilewright.cosim.gate.logic`)
over the input pins (or the ``IQ``/``IQ_N`` state of a flip-flop or latch) it reads. The
combinational nodes are sorted into levels (a node's level is one more than the highest
level of the nodes driving its inputs), so settling the netlist is one gather and one
table lookup per level, for every node of the level at once. Several independent runs
(*lanes*: e.g. the workload once, twice, and two idle runs) are evaluated side by side,
a net's values in all lanes forming one row.

Semantics are those of an event-driven simulator observed once per evaluation, as
Verilator's toggle coverage observes them: a *step* applies new values to some inputs,
settles the combinational logic, fires the flip-flops whose ``clocked_on`` rose (they
take ``next_state`` from the values before the step), applies asynchronous ``clear`` /
``preset`` and transparent latches, and settles again until nothing changes. Each net
bit's toggles are counted between the settled values of consecutive steps.
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from tilewright.cosim.gate.logic import parse, truth_table, variables

__all__ = ["NativeNetlist", "NativeError", "Trace"]

#: Settling rounds (storage updates followed by re-evaluation) before a step is declared
#: unstable (a latch loop or a combinational path through asynchronous set/clear).
MAX_ROUNDS = 64


class NativeError(ValueError):
    """A netlist the native evaluator cannot evaluate (a combinational loop, a cell
    without a function, an unsupported storage element)."""


@dataclass
class Trace:
    """What :meth:`NativeNetlist.run` observed: ``toggles`` (net, lane) counts and the
    ``outputs`` (output bit, lane) after each step."""

    toggles: np.ndarray
    outputs: np.ndarray


class _Group:
    """Storage cells of one type: their state nets and the tables of their trigger,
    data, clear and preset over the nets they read."""

    def __init__(self, storage, cells, init, index):
        self.kind = storage.kind
        self.state = np.array([index.state(c, 0) for c in cells])
        self.state_n = np.array([index.state(c, 1) for c in cells])
        self.clear_preset = storage.clear_preset
        self.init = np.array([init.get(c, 0) for c in cells], dtype=np.uint8)

        def table(expr):
            if expr is None:
                return None
            names = variables(parse(expr))
            nets = np.array([[index.pin(c, n, storage) for n in names] for c in cells],
                            dtype=np.int64).reshape(len(cells), len(names))
            return nets, truth_table(expr, names)
        self.trigger = table(storage.trigger)
        self.data = table(storage.data)
        self.clear = table(storage.clear)
        self.preset = table(storage.preset)


def _inits(netlist):
    """Net bit → its ``init`` attribute (the RTL register's reset value, which the
    simulatable netlist's flip-flops also start from)."""
    inits = {}
    for net in netlist["netnames"].values():
        init = net.get("attributes", {}).get("init")
        if init is not None:
            for i, bit in enumerate(net["bits"]):
                if init[len(init) - 1 - i] in "01":
                    inits[bit] = int(init[len(init) - 1 - i])
    return inits


def _look_up(table, values):
    nets, lut = table
    index = np.zeros((nets.shape[0], values.shape[1]), dtype=np.int64)
    for k in range(nets.shape[1]):
        index |= values[nets[:, k]].astype(np.int64) << k
    return lut[index]


class _Index:
    """Net bit ids (and the constants ``"0"``/``"1"``, and each storage cell's two state
    variables) → rows of the value array."""

    def __init__(self, netlist):
        self.rows = {"0": 0, "1": 1, "x": 0, "z": 0}
        self.cells = netlist["cells"]
        for net in netlist["netnames"].values():
            for bit in net["bits"]:
                self.row(bit)
        for port in netlist["ports"].values():
            for bit in port["bits"]:
                self.row(bit)

    def row(self, bit):
        if bit not in self.rows:
            self.rows[bit] = len(self.rows) - 2
        return self.rows[bit]

    def state(self, cell, which):
        return self.row(("state", cell, which))

    def pin(self, cell, name, storage=None):
        if storage is not None and name in (storage.state, storage.state_n):
            return self.state(cell, 0 if name == storage.state else 1)
        bits = self.cells[cell]["connections"].get(name)
        if bits is None or len(bits) != 1:
            raise NativeError(f"cell {cell} ({self.cells[cell]['type']}): pin {name} "
                              f"is not connected to one net bit")
        return self.row(bits[0])


class NativeNetlist:
    """``netlist`` (Yosys JSON of the mapped top module) compiled against ``library``
    for :meth:`run`."""

    def __init__(self, netlist, library):
        index = _Index(netlist)
        nodes, storage = [], defaultdict(list)     # nodes: (out row, input rows, table)
        inits, init = _inits(netlist), {}      # init: storage cell -> initial IQ
        tables = {}                             # (cell type, pin) -> (inputs, truth table)
        for name, cell in netlist["cells"].items():
            lib_cell = library.cell(cell["type"])
            store = lib_cell.storage
            if lib_cell.sequential and store is None:
                raise NativeError(f"cell type {cell['type']} has no ff or latch group")
            if store is not None:
                storage[cell["type"]].append(name)
            for pin_name, pin in lib_cell.pins.items():
                if pin.direction != "output" or pin_name not in cell["connections"]:
                    continue
                if not pin.function:
                    raise NativeError(f"cell type {cell['type']}: output {pin_name} has "
                                      f"no function")
                bit = cell["connections"][pin_name][0]
                if store is not None and pin.function in (store.state, store.state_n) \
                        and bit in inits:
                    init[name] = inits[bit] ^ (pin.function == store.state_n)
                if (cell["type"], pin_name) not in tables:
                    names = variables(parse(pin.function))
                    tables[cell["type"], pin_name] = names, truth_table(pin.function, names)
                names, lut = tables[cell["type"], pin_name]
                nodes.append((index.pin(name, pin_name), [index.pin(name, n, store)
                                                          for n in names], lut))
        self.groups = [_Group(library.cell(t).storage, cells, init, index)
                       for t, cells in sorted(storage.items())]
        self.rows = len(index.rows) - 2
        self.index = index.rows
        self.levels = self._levelize(nodes)
        self.read = np.zeros(self.rows, dtype=bool)     # rows some logic function reads
        for level in self.levels:
            self.read[level[1].ravel()] = True
        self.ports = {n: (p["direction"], [index.row(b) for b in p["bits"]])
                      for n, p in netlist["ports"].items()}

    def _levelize(self, nodes):
        driver = {}
        for k, (out, _, _) in enumerate(nodes):
            if out in driver:
                raise NativeError(f"net row {out} has several drivers")
            driver[out] = k
        level = [None] * len(nodes)
        for start in range(len(nodes)):
            stack = [start]
            while stack:
                k = stack[-1]
                if level[k] is not None:
                    stack.pop()
                    continue
                pending = [driver[i] for i in nodes[k][1]
                           if i in driver and level[driver[i]] is None]
                if not pending:
                    level[k] = 1 + max((level[driver[i]] for i in nodes[k][1] if i in driver),
                                       default=0)
                    stack.pop()
                elif len(stack) > len(nodes):
                    raise NativeError("combinational loop in the netlist")
                else:
                    stack.extend(pending)
        groups = defaultdict(list)         # (level, inputs) -> nodes: no padding
        for k, lv in enumerate(level):
            groups[lv, len(nodes[k][1])].append(nodes[k])
        return [self._pack(groups[g]) for g in sorted(groups)]

    @staticmethod
    def _pack(nodes):
        """Nodes of one level and input count as arrays: out rows, input rows, tables."""
        outs = np.array([o for o, _, _ in nodes], dtype=np.int64)
        ins = np.array([rows for _, rows, _ in nodes], dtype=np.int64).reshape(
            len(nodes), len(nodes[0][1]))
        luts = np.array([lut for _, _, lut in nodes], dtype=np.uint8)
        weights = (1 << np.arange(ins.shape[1])).astype(np.int16)   # input k is bit k
        return outs, ins, luts, weights, np.arange(len(nodes))[:, None]

    def _settle(self, values):
        for outs, ins, luts, weights, cells in self.levels:
            index = np.matmul(values[ins].transpose(0, 2, 1), weights)   # (nodes, lanes)
            values[outs] = luts[cells, index]

    def _store(self, before, values):
        """Update flip-flops (edge) and latches and async clear/preset; True if any
        state changed."""
        changed = False
        for g in self.groups:
            state = values[g.state]
            new = state.copy()
            if g.kind == "ff":
                fired = (_look_up(g.trigger, values) & (1 - _look_up(g.trigger, before))) == 1
                new = np.where(fired, _look_up(g.data, before), new)
            else:
                new = np.where(_look_up(g.trigger, values) == 1, _look_up(g.data, values), new)
            new_n = 1 - new
            clear = _look_up(g.clear, values) == 1 if g.clear else None
            preset = _look_up(g.preset, values) == 1 if g.preset else None
            if clear is not None:
                new, new_n = np.where(clear, 0, new), np.where(clear, 1, new_n)
            if preset is not None:
                new, new_n = np.where(preset, 1, new), np.where(preset, 0, new_n)
            if clear is not None and preset is not None and (clear & preset).any():
                both = clear & preset
                for target, var in ((0, g.clear_preset[0]), (1, g.clear_preset[1])):
                    if var not in ("L", "H"):
                        raise NativeError(f"clear and preset both active with "
                                          f"clear_preset_var {var!r}: unsupported")
                    arr = new if target == 0 else new_n
                    arr[both] = 1 if var == "H" else 0
            new, new_n = new.astype(np.uint8), new_n.astype(np.uint8)
            if not (np.array_equal(new, state) and np.array_equal(new_n, values[g.state_n])):
                values[g.state], values[g.state_n] = new, new_n
                changed = True
        return changed

    def initial(self, lanes):
        """The settled values of ``lanes`` runs with every input at 0 and every storage
        cell at its ``init`` (or 0)."""
        values = np.zeros((self.rows, lanes), dtype=np.uint8)
        values[1] = 1
        for g in self.groups:
            values[g.state] = g.init[:, None]
            values[g.state_n] = 1 - g.init[:, None]
        self._settle(values)
        return values

    def step(self, values, rows, new):
        """Apply ``new`` ((len(rows), lanes) values) to input ``rows`` and settle; returns
        the values before (``values`` is updated in place)."""
        before = values.copy()
        changed = (values[rows] != new).any(axis=1)
        values[rows] = new
        if self.read[rows[changed]].any():      # e.g. not when only the clock moved
            self._settle(values)
        for _ in range(MAX_ROUNDS):
            if not self._store(before, values):
                return before
            self._settle(values)
        raise NativeError("the netlist does not settle (latch or set/clear loop)")
