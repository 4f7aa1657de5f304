"""Instruction words in hardware: field slices of :data:`tilewright.isa.FIELDS` and the
command handshake every unit sequencer of the PE and the DMA share (AccelTran §III-B,
Fig. 4: the control block issues the schedule to idle units).

A unit takes its instruction on a ``stream.Signature(WORD_BITS)`` port ``cmd`` whose
``ready`` is the unit's ``idle``: low while it runs, high again in the cycle of its last
write (so the next instruction is taken at the very edge that finishes the previous one).
"""

from amaranth.hdl import Signal

from tilewright.isa import FIELDS, OPCODES

__all__ = ["field", "equals", "is_op", "handshake", "latch"]


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


def handshake(m, cmd, finishing):
    """The ``busy`` register of a unit behind ``cmd``: set by the edge taking an
    instruction, cleared by the edge of its last write (``finishing``). Returns
    ``(idle, start)``: ``idle = ~busy | finishing`` (drives ``cmd.ready``), ``start`` the
    transfer."""
    busy = Signal()
    idle = Signal()
    start = Signal()
    m.d.comb += [idle.eq(~busy | finishing), cmd.ready.eq(idle),
                 start.eq(cmd.valid & idle)]
    with m.If(start):
        m.d.sync += busy.eq(1)
    with m.Elif(finishing):
        m.d.sync += busy.eq(0)
    return idle, start


def latch(m, word, start, *names):
    """Registers holding the fields ``names`` of ``word``, loaded at ``start``."""
    regs = []
    for name in names:
        reg = Signal(FIELDS[name][1], name=f"cmd_{name}")
        with m.If(start):
            m.d.sync += reg.eq(field(word, name))
        regs.append(reg)
    return regs
