"""Dynamic energy of a mapped netlist from its switching activity and the Liberty tables.

For every net bit with ``t`` toggles (from :mod:`tilewright.cosim.gate.sim`):

- each cell output pin driving it adds ``t × E_int``, where ``E_int`` is the mean over
  the pin's ``internal_power`` arcs (one per related input pin) of ``(rise + fall) / 2``,
  read from the tables by bilinear interpolation at the nominal input transition
  :data:`NOMINAL_SLEW_NS` and at the net's load ``C`` = the sum of the input-pin
  capacitances it drives plus, given a :class:`~tilewright.cosim.gate.liberty.WireLoad`, the
  wire capacitance that model estimates from the net's fanout (clamped to the table
  range);
- the load itself adds ``t × ½·C·V²`` (switching energy, ``V`` the library voltage);
- each cell input pin on it with its own ``internal_power`` (e.g. flip-flop data pins)
  adds ``t × (rise + fall) / 2`` at the nominal transition.

The clock net is not counted by toggle coverage: it toggles twice per simulated cycle,
and its input-pin energy (flip-flop clock pins) and load are charged that way.
Units follow sky130's: pF × V² = pJ, so the energies are in pJ.
"""

from dataclasses import dataclass

__all__ = ["NOMINAL_SLEW_NS", "EnergyReport", "net_fanouts", "net_loads", "dynamic_energy"]

#: Input transition at which the ``internal_power`` tables are read (ns): a typical
#: slew of lightly loaded sky130 HD gates (the tables span 0.01–1.5 ns).
NOMINAL_SLEW_NS = 0.1


@dataclass(frozen=True)
class EnergyReport:
    """Energy over the whole simulation, in pJ, split by origin."""

    internal_pj: float
    switching_pj: float
    input_pin_pj: float
    clock_pj: float
    toggles: int
    clock_cycles: int
    by_cell_type: dict

    @property
    def total_pj(self):
        return self.internal_pj + self.switching_pj + self.input_pin_pj + self.clock_pj

    def __sub__(self, other):
        """The energy of this run beyond ``other`` (a shorter run of the same netlist),
        component by component."""
        types = sorted(set(self.by_cell_type) | set(other.by_cell_type))
        return EnergyReport(
            self.internal_pj - other.internal_pj, self.switching_pj - other.switching_pj,
            self.input_pin_pj - other.input_pin_pj, self.clock_pj - other.clock_pj,
            self.toggles - other.toggles, self.clock_cycles - other.clock_cycles,
            {t: self.by_cell_type.get(t, 0.0) - other.by_cell_type.get(t, 0.0) for t in types})


def _bit_names(netlist):
    """Net bit id → the signal-bit names toggle coverage reports for it."""
    names = {}
    for name, net in netlist["netnames"].items():
        bits = net["bits"]
        for i, bit in enumerate(bits):
            if isinstance(bit, int):
                names.setdefault(bit, []).append(name if len(bits) == 1 else f"{name}[{i}]")
    return names


def _pins(netlist, library):
    """``(cell type, pin, Pin, bit)`` for every connected cell pin bit."""
    for cell in netlist["cells"].values():
        lib_cell = library.cell(cell["type"])
        for pin_name, bits in cell["connections"].items():
            pin = lib_cell.pins.get(pin_name)
            if pin is None:
                continue
            for bit in bits:
                if isinstance(bit, int):
                    yield cell["type"], pin_name, pin, bit


def net_fanouts(netlist, library):
    """Fanout per net bit id: the cell input pins and output-port bits it drives."""
    fanout = {}
    for _, _, pin, bit in _pins(netlist, library):
        if pin.direction == "input":
            fanout[bit] = fanout.get(bit, 0) + 1
    for port in netlist["ports"].values():
        if port["direction"] == "output":
            for bit in port["bits"]:
                if isinstance(bit, int):
                    fanout[bit] = fanout.get(bit, 0) + 1
    return fanout


def net_loads(netlist, library, wire_load=None):
    """Load capacitance per net bit id (pF): the input pins it drives, plus the wire
    capacitance ``wire_load`` (a :class:`~tilewright.cosim.gate.liberty.WireLoad`, or
    ``None`` for none) estimates for its fanout (:func:`net_fanouts`)."""
    loads = {}
    for _, _, pin, bit in _pins(netlist, library):
        if pin.direction == "input":
            loads[bit] = loads.get(bit, 0.0) + pin.capacitance
    if wire_load is not None:
        for bit, n in net_fanouts(netlist, library).items():
            loads[bit] = loads.get(bit, 0.0) + wire_load.net_capacitance(n)
    return loads


def dynamic_energy(netlist, library, toggles, clock_cycles, clock="clk",
                   slew=NOMINAL_SLEW_NS, wire_load=None):
    """The :class:`EnergyReport` of ``netlist`` (Yosys JSON of the mapped top module) for
    ``toggles`` (signal-bit name → toggles) over ``clock_cycles`` cycles, with net loads
    from :func:`net_loads` (``wire_load`` as there)."""
    names = _bit_names(netlist)
    clock_bits = set(netlist["ports"][clock]["bits"]) if clock in netlist["ports"] else set()
    bit_toggles = {}
    for bit, aliases in names.items():
        if bit in clock_bits:
            bit_toggles[bit] = 2 * clock_cycles
        else:
            bit_toggles[bit] = max(toggles.get(a, 0) for a in aliases)
    loads = net_loads(netlist, library, wire_load)
    volts = library.voltage
    internal = switching = input_pin = clock_e = 0.0
    by_type = {}
    for cell_type, _, pin, bit in _pins(netlist, library):
        t = bit_toggles.get(bit, 0)
        if not t or not pin.power:
            continue
        if pin.direction == "output":
            load = loads.get(bit, 0.0)
            e = t * sum(a.energy(slew, load) for a in pin.power) / len(pin.power)
            internal += e
        else:
            e = t * sum(a.energy(slew, 0.0) for a in pin.power) / len(pin.power)
            if bit in clock_bits:
                clock_e += e
            else:
                input_pin += e
        by_type[cell_type] = by_type.get(cell_type, 0.0) + e
    for bit, load in loads.items():
        t = bit_toggles.get(bit, 0)
        e = t * 0.5 * load * volts * volts
        if bit in clock_bits:
            clock_e += e
        else:
            switching += e
    total_toggles = sum(t for b, t in bit_toggles.items() if b not in clock_bits)
    return EnergyReport(internal, switching, input_pin, clock_e, total_toggles, clock_cycles,
                        dict(sorted(by_type.items())))
