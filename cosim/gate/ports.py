"""The ports of a module in Verilog text, and the error a netlist that does not reproduce
its RTL raises: what characterization needs of :mod:`tilewright.cosim.gate.replay` before
it simulates (without numpy, so a warm lookup stays quick)."""

import re

__all__ = ["GateMismatch", "top_ports"]

_DECLARATION = re.compile(r"^\s*(input|output)\s+(?:(?:wire|reg|signed)\s+)*"
                          r"(?:\[(\d+):(\d+)\]\s*)?([A-Za-z_][A-Za-z0-9_$]*)\s*;", re.M)


class GateMismatch(AssertionError):
    """The gate-level netlist did not reproduce the RTL's behaviour on the stimulus."""


def top_ports(verilog, top):
    """Port name → (direction, width) of module ``top`` in Verilog text ``verilog``
    (declarations in the module body, as Amaranth and Yosys write them)."""
    m = re.search(rf"^module\s+{re.escape(top)}\s*\(.*?^endmodule", verilog, re.M | re.S)
    if m is None:
        raise ValueError(f"no module {top!r} in the Verilog")
    return {name: (direction, abs(int(msb) - int(lsb)) + 1 if msb else 1)
            for direction, msb, lsb, name in _DECLARATION.findall(m.group())}
