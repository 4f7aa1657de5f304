"""The processing element (AccelTran §III-B, Fig. 5; TransCODE Fig. 3): MAC lanes with a
GeLU on their output, softmax units, a layer-norm unit and a DynaTran module, each behind a
small sequencer that executes its kind of :mod:`tilewright.isa` instruction by reading its
operands from buffer read ports and writing its results through buffer write ports.

- ``lanes`` :class:`~tilewright.gen.pe_lane.LaneSlot`: MATMUL, ADD (unit = lane index);
- ``softmax`` :class:`~tilewright.gen.pe_vector.VectorSlot` of length ``seq``: SOFTMAX
  (unit = softmax index);
- one layer-norm ``VectorSlot`` of length ``features``: LAYERNORM;
- one :class:`~tilewright.gen.pe_prune.PruneSlot` pruning M words per cycle: PRUNE.

Units run concurrently; each takes an instruction when idle (``cmd.ready``), the edge of
its last write included. An instruction naming a unit the PE does not have is taken and
ignored. Each unit counts the instructions it has finished; the PE answers a FENCE on one
of its units from that count (``fenced``).

This first version leaves out the pre/post-sparsity path (AccelTran §III-B6: the lanes
compute every product, pruned zeros included) and the local FIFOs between the buffers and
the units (each unit reads its operands from the buffers as it streams them). The ISA's
PRUNE flag passes a unit's results through a DynaTran comparator on its own write path
(:func:`~tilewright.gen.instruction.write_result`), so that units prune concurrently.

Ports (all of the same buffer, :mod:`tilewright.gen.buffer`; read latency 1), in order:
reads — lane ``l``'s ``a`` operands (M) then ``b`` operands (M), for each lane; one per
softmax unit; the layer norm's ``x``, ``γ``, ``β``; the DynaTran's M. Writes — one per
lane, one per softmax unit, the layer norm's, the DynaTran's M (every compute result
marks its mask bit, :mod:`tilewright.gen.buffer`).

Cycles per instruction (from the edge that issues it to the edge of its last write; the
unit takes its next instruction at that edge): :meth:`Pe.matmul_cycles`,
:meth:`Pe.add_cycles`, :meth:`Pe.softmax_cycles`, :meth:`Pe.layernorm_cycles`,
:meth:`Pe.prune_cycles`: the unit's own cycles plus a fixed sequencer overhead of 2.
"""

import math

from amaranth.hdl import Module
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Constraint, Param, format_width
from tilewright.gen import hierarchy
from tilewright.gen.buffer import check_ports, read_port, write_port
from tilewright.gen.instruction import equals, field, is_op
from tilewright.gen.layer_norm import MAX_FL
from tilewright.gen.mac_lane import MAX_MULTIPLIERS
from tilewright.gen.pe_lane import LaneSlot
from tilewright.gen.pe_prune import PruneSlot
from tilewright.gen.pe_vector import VectorSlot
from tilewright.isa import FENCE_KINDS, FIELDS, WORD_BITS

__all__ = ["Pe"]

MAX_UNITS = 1 << FIELDS["unit"][1]
MAX_WIDTH = 20          # the layer-norm unit's


class Pe(wiring.Component):
    """A processing element executing MATMUL, ADD, SOFTMAX, LAYERNORM and PRUNE.

    Parameters
    ----------
    lanes : int
        MAC lanes, 1 to 64.
    macs : int
        Multipliers per lane M, a power of two from 1 to 64 (also DynaTran's words per cycle).
    softmax : int
        Softmax units, 1 to 64.
    seq : int
        Softmax length (tokens), 2 to 512.
    features : int
        Layer-norm length, a power of two from 2 to 1024.
    il, fl : int
        Datapath format (AccelTran: 4, 16): ``il`` ≥ 2 (1.0 is a value), ``fl`` from 1
        to 16, ``il + fl`` at most 20.

    Throughput: each lane one beat (M multiply-accumulates) per cycle while streaming;
    latencies and cycles per instruction in the static methods.

    Members
    -------
    cmd : In(stream.Signature(WORD_BITS))
        Instructions for this PE; ``ready`` when the unit named is idle.
    idle : Out(idle_layout(lanes, softmax))
        ``lane``, ``softmax`` (a bit per unit), ``layernorm``, ``dynatran``.
    rd : Out(read_port(il + fl)).array(read_ports(lanes, macs, softmax))
    wr : Out(write_port(il + fl)).array(write_ports(lanes, macs, softmax))
    fenced : Out(1)
        For a FENCE word on ``cmd.payload`` (valid or not): whether the unit it names
        (kind ``unit``, index ``x``) has finished ``n`` instructions, this cycle's
        included; 1 when this PE has no such unit.
    """

    def __init__(self, *, lanes=2, macs=4, softmax=1, seq=8, features=16, il=4, fl=16):
        BLOCK.check(locals())
        self._lanes, self._macs, self._softmax = lanes, macs, softmax
        self._seq, self._features, self._il, self._fl = seq, features, il, fl
        width = il + fl
        super().__init__({
            "cmd": In(stream.Signature(WORD_BITS)),
            "idle": Out(self.idle_layout(lanes, softmax)),
            "rd": Out(read_port(width)).array(self.read_ports(lanes, macs, softmax)),
            "wr": Out(write_port(width)).array(self.write_ports(lanes, macs, softmax)),
            "fenced": Out(1),
        })

    # ------------------------------------------------------------ pure maths
    @staticmethod
    def idle_layout(lanes, softmax):
        return data.StructLayout({"lane": lanes, "softmax": softmax, "layernorm": 1,
                                  "dynatran": 1})

    @staticmethod
    def read_ports(lanes, macs, softmax):
        return lanes * 2 * macs + softmax + 3 + macs

    @staticmethod
    def write_ports(lanes, macs, softmax):
        return lanes + softmax + 1 + macs

    @staticmethod
    def matmul_cycles(x, y, z, macs, bias=False):
        """MATMUL: ``x·z·(⌈y/M⌉ + bias)`` beats, plus the lane's latency ``log2 M + 3``,
        plus 2 (the address and GeLU stages)."""
        return LaneSlot.cycles(x * z * (math.ceil(y / macs) + int(bias)), macs)

    @staticmethod
    def add_cycles(x, y, macs):
        """ADD: ``x·y`` beats (``2·x·y`` when M = 1), plus the lane's latency, plus 2."""
        return LaneSlot.cycles(x * y * (2 if macs == 1 else 1), macs)

    @staticmethod
    def softmax_cycles(x, seq, fl):
        """SOFTMAX of ``x`` rows: ``x·(3·seq + Q) + 2`` (:meth:`Softmax.vector_cycles`)."""
        return VectorSlot.cycles("softmax", x, seq, None, fl)

    @staticmethod
    def layernorm_cycles(x, features, il, fl):
        """LAYERNORM of ``x`` rows: ``x·V + 2`` (:meth:`LayerNorm.vector_cycles`)."""
        return VectorSlot.cycles("layernorm", x, features, il, fl)

    @staticmethod
    def prune_cycles(x, y, macs):
        """PRUNE of ``x × y`` words: ``x·⌈y/M⌉ + 2``."""
        return PruneSlot.cycles(x, y, macs)

    @staticmethod
    def parts(lanes, macs, softmax, seq, features, il, fl):
        """The PE's blocks (AccelTran §III-B, Fig. 5), below its slots:
        ``{"<slot>.<submodule>": (block, parameters, module)}`` (the slots are
        ``lane<k>``, ``softmax<k>``, ``layer_norm`` and ``dynatran``; the rest of the PE,
        its sequencers and instruction decode, is glue to them)."""
        slots = {**{f"lane{k}": LaneSlot.parts(macs, il, fl) for k in range(lanes)},
                 **{f"softmax{k}": VectorSlot.parts("softmax", seq, il, fl)
                    for k in range(softmax)},
                 "layer_norm": VectorSlot.parts("layernorm", features, il, fl),
                 "dynatran": PruneSlot.parts(macs, il, fl)}
        return {f"{slot}.{sub}": part for slot, parts in slots.items()
                for sub, part in parts.items()}

    # ------------------------------------------------------------ properties
    @property
    def lanes(self):
        return self._lanes

    @property
    def macs(self):
        return self._macs

    @property
    def softmax(self):
        return self._softmax

    @property
    def seq(self):
        return self._seq

    @property
    def features(self):
        return self._features

    @property
    def il(self):
        return self._il

    @property
    def fl(self):
        return self._fl

    # ------------------------------------------------------------ hardware
    def elaborate(self, platform):
        m = Module()
        macs, il, fl = self._macs, self._il, self._fl
        fmt = f"il{il}_fl{fl}"
        word = self.cmd.payload
        unit = field(word, "unit")
        reads, writes = iter(self.rd), iter(self.wr)

        slots = []          # (slot, selected by this instruction, idle bit, fence kind, index)
        for k in range(self._lanes):
            slot = hierarchy.instance(m, f"lane{k}", f"pe_lane_m{macs}_{fmt}",
                                      LaneSlot(macs=macs, il=il, fl=fl))
            self._wire(m, [*slot.rd_a, *slot.rd_b], [slot.wr], reads, writes)
            slots.append((slot, is_op(word, "MATMUL", "ADD") & equals(unit, k),
                          self.idle.lane[k], "LANE", k))
        for k in range(self._softmax):
            slot = hierarchy.instance(m, f"softmax{k}", f"pe_softmax_t{self._seq}_{fmt}",
                                      VectorSlot(kind="softmax", length=self._seq,
                                                 il=il, fl=fl))
            self._wire(m, slot.rd, [slot.wr], reads, writes)
            slots.append((slot, is_op(word, "SOFTMAX") & equals(unit, k),
                          self.idle.softmax[k], "SOFTMAX", k))
        slot = hierarchy.instance(m, "layer_norm", f"pe_layernorm_n{self._features}_{fmt}",
                                  VectorSlot(kind="layernorm", length=self._features,
                                             il=il, fl=fl))
        self._wire(m, slot.rd, [slot.wr], reads, writes)
        slots.append((slot, is_op(word, "LAYERNORM"), self.idle.layernorm, "LAYERNORM", 0))
        slot = hierarchy.instance(m, "dynatran", f"pe_prune_w{macs}_{fmt}",
                                  PruneSlot(width=macs, il=il, fl=fl))
        self._wire(m, slot.rd, slot.wr, reads, writes)
        slots.append((slot, is_op(word, "PRUNE"), self.idle.dynatran, "DYNATRAN", 0))

        ready = 1           # an instruction for no unit of this PE is taken and ignored
        fenced = 1          # a FENCE on no unit of this PE waits for nothing
        for slot, selected, idle, kind, index in slots:
            m.d.comb += [slot.cmd.payload.eq(word), slot.cmd.valid.eq(self.cmd.valid & selected),
                         idle.eq(slot.cmd.ready)]
            ready = (selected & slot.cmd.ready) | (~selected & ready)
            named = equals(field(word, "unit"), FENCE_KINDS[kind]) & equals(field(word, "x"),
                                                                             index)
            fenced = (named & (slot.finished >= field(word, "n"))) | (~named & fenced)
        m.d.comb += [self.cmd.ready.eq(ready), self.fenced.eq(fenced)]
        return m

    @staticmethod
    def _wire(m, rd, wr, reads, writes):
        for port in rd:
            wiring.connect(m, port, wiring.flipped(next(reads)))
        for port in wr:
            wiring.connect(m, port, wiring.flipped(next(writes)))


def _facts(pe):
    return {"read_ports": Pe.read_ports(pe.lanes, pe.macs, pe.softmax),
            "write_ports": Pe.write_ports(pe.lanes, pe.macs, pe.softmax),
            "multiplications_per_cycle": pe.lanes * pe.macs}


#: The PE's parameters (the top's too).
PE_PARAMS = (
    Param("lanes", int, 2, "MAC lanes per PE", low=1, high=MAX_UNITS),
    Param("macs", int, 4, "multipliers per lane, a power of two",
          low=1, high=MAX_MULTIPLIERS, power_of_two=True),
    Param("softmax", int, 1, "softmax units per PE", low=1, high=MAX_UNITS),
    Param("seq", int, 8, "softmax length (tokens)", low=2, high=512),
    Param("features", int, 16, "layer-norm length, a power of two", low=2, high=1024,
          power_of_two=True),
    Param("il", int, 4, "integer bits of the datapath, sign included (1.0 must be a "
          "value)", low=2, high=MAX_WIDTH - 1),
    Param("fl", int, 16, "fraction bits of the datapath", low=1, high=MAX_FL),
)

BLOCK = Block(
    name="pe",
    summary="processing element: MAC lanes with GeLU, softmax, layer norm and DynaTran, "
            "each behind an ISA sequencer (AccelTran §III-B, Fig. 5)",
    component=Pe,
    params=PE_PARAMS,
    constraints=(format_width(MAX_WIDTH, "the PE"),
                 Constraint(("lanes", "macs", "softmax", "il", "fl"),
                            "the PE's buffer ports fit one module",
                            lambda v: check_ports(
                                Pe.read_ports(v["lanes"], v["macs"], v["softmax"]),
                                Pe.write_ports(v["lanes"], v["macs"], v["softmax"]),
                                v["il"] + v["fl"], "the PE's buffer ports")),),
    toplevel="pe",
    facts=_facts,
)
