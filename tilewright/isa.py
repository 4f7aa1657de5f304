"""The accelerator's instruction set: what the top's control block executes (AccelTran
§III-B, Fig. 4: the control block reads the compiled schedule and drives the DMA and the
PEs; TransCODE Fig. 3).

An instruction is one 192-bit word with every field at a fixed position, so the control
block decodes by slicing (bit 0 is the least significant)::

    bits      field   meaning
    [0:4]     op      opcode, :data:`OPCODES`
    [4:10]    pe      the PE that executes it (compute and FENCE)
    [10:16]   unit    the unit of that PE: MAC lane or softmax unit index; FENCE: a kind
    [16:20]   flags   bit 0 BIAS, bit 1 GELU, bit 2 TRANSPOSE (see MATMUL), bit 3 PRUNE
    [20:40]   a       buffer address of the first operand
    [40:60]   b       buffer address of the second operand
    [60:80]   c       buffer address of the third operand (bias, β)
    [80:100]  o       buffer address of the result
    [100:112] x       rows; FENCE: the unit's index
    [112:124] y       row length (the reduction length of MATMUL)
    [124:136] z       output columns of MATMUL; the others: input row stride (0: y)
    [136:148] so      output row stride (words)
    [148:172] mem     main-memory word address (LOAD, STORE)
    [172:192] n       word count (LOAD, STORE); threshold τ (PRUNE op and flag);
                      instructions finished (FENCE)

Addresses are word addresses in one on-chip address space; a word holds one value of
the datapath's format ``(il, fl)``. The space is split into :data:`BUFFERS` regions of
``2**18`` words selected by the address's two top bits (activation, weight, mask). The
mask region's words hold one bit each and mirror the activation region: the mask bit of
activation word ``w`` is mask word ``w`` (1 = pruned, DynaTran's convention).

Operations (for MATMUL, ``A[i][k]`` is the word at ``a + i·y + k``: rows of the full
reduction length are contiguous; ADD, SOFTMAX, LAYERNORM and PRUNE read ``A[i][j]`` at
``a + i·r + j`` with the row stride ``r = z``, or ``y`` when ``z`` is 0, so that they can
work on a tile of a wider matrix):

- ``LOAD``: ``n`` words from main memory at ``mem`` to the buffer at ``o`` (DMA).
- ``STORE``: ``n`` words from the buffer at ``a`` to main memory at ``mem`` (DMA).
- ``MATMUL`` on lane ``unit`` of PE ``pe``: for ``i < x, j < z``,
  ``O[i][j] = lane(Σ_k A[i][k]·B[j][k])`` (``B[j][k]`` at ``b + j·y + k``: the second
  operand is stored transposed, as ``nn.Linear`` stores weights), one dot product of
  ``⌈y/M⌉`` beats per output, rounded and saturated by the MAC lane; with ``BIAS``, one more
  beat adds ``C[i]`` (at ``c + i``: the first operand holds the weight rows, so a
  projection's bias is per row) exactly before rounding (operands ``1.0`` and the bias);
  with ``GELU``, the result goes through the PE's GeLU unit; written at ``o + i·so + j``,
  or with ``TRANSPOSE`` at ``o + j·so + i``.
- ``ADD`` on lane ``unit``: ``O[i][j] = A[i][j] + B[i][j]`` (``b + i·r + j``) for ``i < x,
  j < y``, saturated: per element, ``⌈2/M⌉`` beats (one when ``M ≥ 2``) with operands
  ``(1.0, 1.0)`` and ``(A, B)``.
- ``SOFTMAX`` on softmax unit ``unit``: each of ``x`` rows of ``y`` words (``y`` equal to
  the unit's length) to its softmax, at ``o + i·so``.
- ``LAYERNORM``: each of ``x`` rows of ``y`` words (``y`` equal to the unit's length),
  with ``γ`` at ``b`` and ``β`` at ``c`` (``y`` words each), at ``o + i·so``.
- ``PRUNE`` on the PE's DynaTran module: ``x × y`` words at ``a`` with threshold ``τ = n``
  (same scale as the data): ``v`` where ``|v| ≥ τ``, else 0, at ``o + i·so + j``, and the
  words' mask bits.
- The ``PRUNE`` flag on MATMUL, ADD, SOFTMAX or LAYERNORM sends every result through the
  PE's DynaTran comparators with ``τ = n`` on its way to the buffer (AccelTran §III-B5:
  activations are pruned as they are produced), writing the mask bits too. Without it,
  results written to the activation region clear their mask bits.
- ``FENCE``: issue nothing further until a unit has finished its first ``n``
  instructions: ``unit`` is a kind of :data:`FENCE_KINDS`, ``pe`` and ``x`` (the index
  among that PE's units of the kind: lane or softmax unit; 0 for the others; both 0 for
  the DMA) name the unit. Every unit counts the instructions it has finished since
  reset, so a FENCE waits for exactly the work it depends on, never for later work the
  unit took meanwhile. Kind ``ALL`` waits until every unit and the DMA are idle.
- ``END``: wait as ``FENCE ALL``, then raise ``done``.

Timing contract (what the accelerator model assumes, :mod:`tilewright.flows.model`): a
MAC lane takes one beat per cycle while a MATMUL or ADD streams, back to back across its
dot products; the DMA moves a beat of several words per cycle (a parameter of the top),
so that its bandwidth can match main memory's.

Issue is in order: an instruction leaves the control block when its unit is idle (the
DMA for LOAD/STORE), then runs while the next ones issue. Data dependencies are the
program's business, through FENCE: a unit reads its operands while it runs.
"""

from dataclasses import dataclass, fields

__all__ = ["Instruction", "OPCODES", "FLAGS", "FENCE_KINDS", "BUFFERS", "WORD_BITS",
           "FIELDS", "encode", "decode", "address", "region"]

WORD_BITS = 192
OPCODES = {"END": 0, "LOAD": 1, "STORE": 2, "MATMUL": 3, "ADD": 4, "SOFTMAX": 5,
           "LAYERNORM": 6, "PRUNE": 7, "FENCE": 8}
FLAGS = {"BIAS": 1, "GELU": 2, "TRANSPOSE": 4, "PRUNE": 8}
FENCE_KINDS = {"ALL": 0, "LANE": 1, "SOFTMAX": 2, "LAYERNORM": 3, "DYNATRAN": 4, "DMA": 5}
#: Buffer regions of the on-chip address space, by the address's two top bits.
BUFFERS = ("activation", "weight", "mask")
REGION_BITS = 18

#: Field name → (low bit, width).
FIELDS = {"op": (0, 4), "pe": (4, 6), "unit": (10, 6), "flags": (16, 4), "a": (20, 20),
          "b": (40, 20), "c": (60, 20), "o": (80, 20), "x": (100, 12), "y": (112, 12),
          "z": (124, 12), "so": (136, 12), "mem": (148, 24), "n": (172, 20)}


@dataclass(frozen=True)
class Instruction:
    """One instruction; unused fields stay 0. ``op`` is a name of :data:`OPCODES`,
    ``flags`` a tuple of names of :data:`FLAGS`; every other field an unsigned integer
    of its width in :data:`FIELDS`."""

    op: str
    pe: int = 0
    unit: int = 0
    flags: tuple = ()
    a: int = 0
    b: int = 0
    c: int = 0
    o: int = 0
    x: int = 0
    y: int = 0
    z: int = 0
    so: int = 0
    mem: int = 0
    n: int = 0

    def __post_init__(self):
        if self.op not in OPCODES:
            allowed = ", ".join(repr(k) for k in OPCODES)
            raise ValueError(f"op must be one of {allowed}, not {self.op!r}")
        for flag in self.flags:
            if flag not in FLAGS:
                allowed = ", ".join(repr(k) for k in FLAGS)
                raise ValueError(f"flags must be among {allowed}, not {flag!r}")
        for f in fields(self):
            if f.name in ("op", "flags"):
                continue
            value, width = getattr(self, f.name), FIELDS[f.name][1]
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{f.name} must be an integer, not {value!r}")
            if not 0 <= value < 1 << width:
                raise ValueError(f"{f.name} must be an integer from 0 to {(1 << width) - 1}, "
                                 f"not {value!r}")

    def has(self, flag):
        return flag in self.flags


def encode(instruction):
    """The 192-bit word of ``instruction`` (an ``int``)."""
    word = 0
    for name, (low, _) in FIELDS.items():
        if name == "op":
            value = OPCODES[instruction.op]
        elif name == "flags":
            value = sum(FLAGS[f] for f in instruction.flags)
        else:
            value = getattr(instruction, name)
        word |= value << low
    return word


def decode(word):
    """The :class:`Instruction` of a 192-bit word; ``ValueError`` on an unknown opcode."""
    if not isinstance(word, int) or not 0 <= word < 1 << WORD_BITS:
        raise ValueError(f"word must be an integer from 0 to 2**{WORD_BITS} - 1, not {word!r}")
    values = {name: (word >> low) & ((1 << width) - 1) for name, (low, width) in FIELDS.items()}
    names = {v: k for k, v in OPCODES.items()}
    if values["op"] not in names:
        raise ValueError(f"op must be one of {sorted(names)}, not {values['op']!r}")
    values["op"] = names[values["op"]]
    values["flags"] = tuple(k for k, bit in FLAGS.items() if values["flags"] & bit)
    return Instruction(**values)


def address(buffer, offset):
    """The on-chip address of word ``offset`` of ``buffer`` (a name of :data:`BUFFERS`)."""
    if buffer not in BUFFERS:
        allowed = ", ".join(repr(b) for b in BUFFERS)
        raise ValueError(f"buffer must be one of {allowed}, not {buffer!r}")
    if not isinstance(offset, int) or not 0 <= offset < 1 << REGION_BITS:
        raise ValueError(f"offset must be an integer from 0 to {(1 << REGION_BITS) - 1}, "
                         f"not {offset!r}")
    return BUFFERS.index(buffer) << REGION_BITS | offset


def region(addr):
    """``(buffer, offset)`` of an on-chip address."""
    index = addr >> REGION_BITS
    if index >= len(BUFFERS):
        raise ValueError(f"address {addr:#x} is beyond the {len(BUFFERS)} buffers")
    return BUFFERS[index], addr & ((1 << REGION_BITS) - 1)
