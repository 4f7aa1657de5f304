"""Instruction words in hardware: field slices of :data:`tilewright.isa.FIELDS`, and what
every unit sequencer of the PE and the DMA shares (AccelTran §III-B, Fig. 4: the control
block issues the schedule to idle units).

A unit takes its instruction on a ``stream.Signature(WORD_BITS)`` port ``cmd`` whose
``ready`` is the unit's ``idle``: low while it runs, high again in the cycle of its last
write (so the next instruction is taken at the very edge that finishes the previous one).
It counts the instructions it has finished (for FENCE), the one finishing in the current
cycle included. Compute results are written marking their mask bits, through a DynaTran
comparator when the instruction has the PRUNE flag (:func:`write_result`).
"""

from amaranth.hdl import Mux, Signal

from tilewright.gen.dynatran import comparator
from tilewright.isa import FIELDS, FLAGS, OPCODES

__all__ = ["field", "equals", "is_op", "flag", "handshake", "latch", "write_result",
           "COUNT_BITS"]

#: Bits of a unit's count of finished instructions (FENCE's ``n``; it wraps).
COUNT_BITS = FIELDS["n"][1]


def field(word, name):
    """The slice of ``word`` (an Amaranth value) holding field ``name``."""
    low, width = FIELDS[name]
    return word[low:low + width]


def equals(value, constant):
    """``value == constant``, written for 0 as ``~value.any()`` (Yosys writes ``value ==
    0`` as ``!value``, which Verilator calls WIDTHTRUNC)."""
    return ~value.any() if constant == 0 else value == constant


def is_op(word, *names):
    """Whether the opcode of ``word`` is one of ``names``."""
    op = field(word, "op")
    result = equals(op, OPCODES[names[0]])
    for name in names[1:]:
        result = result | equals(op, OPCODES[name])
    return result


def flag(value, name):
    """Bit ``name`` of :data:`tilewright.isa.FLAGS` in the ``flags`` field ``value``."""
    return value[FLAGS[name].bit_length() - 1]


def handshake(m, cmd, finishing):
    """The ``busy`` register of a unit behind ``cmd``: set by the edge taking an
    instruction, cleared by the edge of its last write (``finishing``). Returns
    ``(start, finished)``: ``start`` the transfer (``cmd.ready = ~busy | finishing``),
    ``finished`` the instructions finished since reset, this cycle's included."""
    busy = Signal()
    start = Signal()
    count, finished = Signal(COUNT_BITS), Signal(COUNT_BITS)
    m.d.comb += [cmd.ready.eq(~busy | finishing), start.eq(cmd.valid & cmd.ready),
                 finished.eq(count + finishing)]
    m.d.sync += count.eq(finished)
    with m.If(start):
        m.d.sync += busy.eq(1)
    with m.Elif(finishing):
        m.d.sync += busy.eq(0)
    return start, finished


def latch(m, word, start, *names):
    """Registers holding the fields ``names`` of ``word``, loaded at ``start``."""
    regs = []
    for name in names:
        reg = Signal(FIELDS[name][1], name=f"cmd_{name}")
        with m.If(start):
            m.d.sync += reg.eq(field(word, name))
        regs.append(reg)
    return regs


def write_result(m, port, addr, value, en, prune, tau, width):
    """Drive write ``port`` with a compute result ``value`` (signed, ``width`` bits) at
    ``addr`` when ``en``, marking its mask bit: with ``prune``, ``value`` passes a DynaTran
    comparator with threshold ``tau`` (0 and mask bit 1 when ``|value| < τ``)."""
    keep = comparator(m, value, tau, width, "_result")
    pruned = prune & ~keep
    m.d.comb += [port.addr.eq(addr), port.en.eq(en), port.data.eq(Mux(pruned, 0, value)),
                 port.mark.eq(1), port.mask.eq(pruned)]
