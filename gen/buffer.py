"""The on-chip buffers of the ISA's address space: activation, weight and mask (AccelTran
§III-B, Fig. 4; :mod:`tilewright.isa`).

Behavioural SRAM: one :class:`amaranth.lib.memory.Memory` per region of
:data:`tilewright.isa.BUFFERS`, one word per value (``il + fl`` bits; the mask region one
bit per word, as deep as the activation region it mirrors). An address's two top bits
select the region, its low ``log2(depth)`` bits the word (higher offsets wrap).

Port model: every reader of the design (each operand word a unit reads per cycle, see
:class:`tilewright.gen.pe.Pe`) has a read port of its own and every writer a write port of
its own, each reaching the whole address space; nothing is shared and nothing arbitrates.

- Read (:data:`read_port`): ``addr`` and ``en`` at a clock edge, ``data`` valid after it
  (synchronous read, latency 1); with ``en`` low ``data`` holds. A read returns the word
  as it was before a write at the same edge. Mask-region words read as 0 or 1.
- Write (:data:`write_port`): ``addr``, ``data`` and ``en`` at a clock edge; the word
  changes at that edge. With ``mark``, a write to the activation region also writes
  ``mask`` as the word's mask bit (the mask region mirrors the activation region:
  compute results mark, DMA loads do not); a write to the mask region writes ``data``'s
  bit 0. Two writes to one word at one edge are the program's error (which one lands
  is not specified).

The module carries the Verilog attribute ``blackbox`` (when emitted through
:func:`tilewright.gen.hierarchy.convert`): simulators run the behavioural body, synthesis
(Yosys honours the attribute) leaves it as a black box for an SRAM macro.
"""

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from tilewright.gen.instruction import equals
from tilewright.isa import BUFFERS, FIELDS, REGION_BITS

__all__ = ["Buffer", "read_port", "write_port", "check_ports", "ADDRESS_BITS"]

ADDRESS_BITS = FIELDS["a"][1]
#: Amaranth 0.5 numbers the bits of one cell's ports with 16 bits: a module's inputs, and
#: its outputs, are at most this many bits (the buffer's and a PE's ports grow with the
#: readers they serve).
MAX_PORT_BITS = 1 << 16
#: Bits of a module's ports besides the buffer ports (a PE's command and idle bits).
_SPARE_BITS = 256


def check_ports(reads, writes, width, what):
    """``ValueError`` unless ``reads`` read and ``writes`` write ports of ``width``-bit
    words fit one module Amaranth 0.5 can emit (:data:`MAX_PORT_BITS` bits each way)."""
    bits = max(reads * (ADDRESS_BITS + 1) + writes * (ADDRESS_BITS + width + 3), reads * width)
    if bits > MAX_PORT_BITS - _SPARE_BITS:
        raise ValueError(f"{what} must fit {MAX_PORT_BITS - _SPARE_BITS} bits each way "
                         f"(Amaranth 0.5's limit for one module), not {bits!r} ({reads} read "
                         f"and {writes} write ports): fewer PEs, lanes or multipliers")


def read_port(width):
    """A read port as its user sees it: ``addr``, ``en`` out, ``data`` (``width`` bits) in."""
    return wiring.Signature({"addr": Out(ADDRESS_BITS), "en": Out(1), "data": In(width)})


def write_port(width):
    """A write port as its user sees it: ``addr``, ``data``, ``en``, ``mark``, ``mask`` out."""
    return wiring.Signature({"addr": Out(ADDRESS_BITS), "data": Out(width), "en": Out(1),
                             "mark": Out(1), "mask": Out(1)})


class Buffer(wiring.Component):
    """The three buffer regions with ``reads`` read ports and ``writes`` write ports.

    Parameters
    ----------
    reads, writes : int
        Ports, at least 1 each.
    width : int
        Bits of a word (``il + fl``).
    words : tuple of int
        Depth of the activation and weight regions, powers of two from 2 to ``2**18``
        (the mask region's is the activation region's).

    Read latency 1 cycle, one word per port per cycle (module docstring).

    Members
    -------
    rd : In(read_port(width)).array(reads)
    wr : In(write_port(width)).array(writes)
    """

    def __init__(self, *, reads, writes, width, words):
        self._width, self._words = width, (*words, words[0])
        super().__init__({"rd": In(read_port(width)).array(reads),
                          "wr": In(write_port(width)).array(writes)})

    def elaborate(self, platform):
        m = Module()
        for r, (name, depth) in enumerate(zip(BUFFERS, self._words)):
            shape = unsigned(1 if name == "mask" else self._width)
            m.submodules[name] = mem = Memory(shape=shape, depth=depth, init=[])
            bits = ceil_log2(depth)
            for port in self.wr:
                w = mem.write_port()
                region = port.addr[REGION_BITS:]
                here, data = equals(region, r), port.data
                if name == "mask":
                    mirrored = port.mark & equals(region, BUFFERS.index("activation"))
                    here, data = here | mirrored, Mux(mirrored, port.mask, port.data[0])
                m.d.comb += [w.addr.eq(port.addr[:bits]), w.data.eq(data),
                             w.en.eq(port.en & here)]
        for k, port in enumerate(self.rd):
            chosen = Signal(range(len(BUFFERS)), name=f"rd{k}_region")
            with m.If(port.en):
                m.d.sync += chosen.eq(port.addr[REGION_BITS:])
            data = 0
            for r, name in enumerate(BUFFERS):
                mem = m.submodules[name]
                p = mem.read_port()
                m.d.comb += [p.addr.eq(port.addr[:ceil_log2(mem.depth)]), p.en.eq(port.en)]
                data = Mux(equals(chosen, r), p.data, data)
            m.d.comb += port.data.eq(data)
        return m
