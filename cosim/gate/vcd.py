"""Read the top-level ports' values, timestep by timestep, from a VCD file.

Verilator's ``--trace`` writes a VCD whose outermost scope (``$rootio``) holds the model's
ports; it dumps the values at the end of every timestep in which something changed.
:func:`read_ports` returns those values per timestep for the ports asked for, which is
what :mod:`tilewright.cosim.gate.replay` drives a gate-level netlist with and checks its
outputs against.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["PortTrace", "read_ports"]


@dataclass(frozen=True)
class PortTrace:
    """``times`` (one per timestep that changed a traced port, ascending, the time unit
    of the file) and ``values[name]`` an array (timesteps, width) of each port's bits,
    LSB first, as they stood at the end of each of those timesteps (``x``/``z`` read as
    0), the first row being time 0's."""

    times: np.ndarray
    values: dict
    timescale: str


def _bits(text, width):
    text = text.lower().replace("x", "0").replace("z", "0")
    return [int(c) for c in text.rjust(width, "0")[::-1][:width]]


def read_ports(path, names, scope="$rootio"):
    """The :class:`PortTrace` of the ports ``names`` (a dict name → width) declared in
    the VCD's scope ``scope``; ``KeyError`` naming a port the file does not trace."""
    codes, depth, timescale = {}, 0, ""
    times, rows = [], []
    current = {n: [0] * w for n, w in names.items()}
    with open(path) as f:
        header, inside = True, False
        for line in f:
            if header:
                words = line.split()
                if not words:
                    continue
                if words[0] == "$timescale":
                    timescale = " ".join(w for w in words[1:] if w != "$end") or \
                        next(f).strip()
                elif words[0] == "$scope":
                    depth += 1
                    inside = depth == 1 and words[2] == scope
                elif words[0] == "$upscope":
                    depth -= 1
                    inside = False
                elif words[0] == "$var" and depth == 1 and inside:
                    ref = words[4]
                    if ref in names:
                        codes.setdefault(words[3], []).append(ref)
                elif words[0] == "$enddefinitions":
                    header = False
                    missing = sorted(set(names) - {r for v in codes.values() for r in v})
                    if missing:
                        raise KeyError(f"{path}: no trace of port(s) {', '.join(missing)}")
                continue
            line = line.strip()
            if not line or line[0] == "$":
                continue
            if line[0] == "#":
                if times:
                    rows.append({n: list(v) for n, v in current.items()})
                times.append(int(line[1:]))
                continue
            if line[0] in "bB":
                value, code = line[1:].split()
            else:
                value, code = line[0], line[1:]
            for ref in codes.get(code, ()):
                current[ref] = _bits(value, names[ref])
    rows.append({n: list(v) for n, v in current.items()})
    values = {n: np.array([r[n] for r in rows], dtype=np.uint8).reshape(len(rows), w)
              for n, w in names.items()}
    return PortTrace(np.array(times, dtype=np.int64), values, timescale)
