"""One MAC lane of a PE with its sequencer and GeLU: executes MATMUL and ADD
(AccelTran §III-B4, Fig. 5-6; :mod:`tilewright.isa`).

Three stages, one beat per cycle with no stall (the lane and the GeLU unit are never
back-pressured: the buffer takes a write every cycle):

1. **address**: the beat's operand addresses on the read ports (``rd_a``, ``rd_b``: M
   each). MATMUL: beat ``k`` of output ``(i, j)`` reads ``A[i][kM + t]`` and
   ``B[j][kM + t]`` (ports past the row's end are masked to 0); with BIAS one more beat
   reads ``C[i]`` on ``rd_b[0]`` against the constant 1.0. ADD: ``A[i][j]`` on ``rd_b[0]``
   and ``B[i][j]`` on ``rd_b[1]`` (input row stride ``z``, or ``y`` when ``z`` is 0)
   against (1.0, 1.0), or with M = 1 two beats on ``rd_b[0]``.
2. **read**: the buffer's latency-1 read; the operands enter the
   :class:`~tilewright.gen.mac_lane.MacLane` (activation "none").
3. **result**: each dot product's result passes the
   :class:`~tilewright.gen.gelu_unit.GeluUnit` (latency 1) and a plain register beside it;
   MATMUL's GELU flag picks which is written, at ``o + i·so + j`` (TRANSPOSE:
   ``o + j·so + i``), through a DynaTran comparator with the PRUNE flag
   (:func:`~tilewright.gen.instruction.write_result`).

Cycles from the edge taking the instruction to the edge of its last write:
``beats + (log2(M) + 3) + 2`` (:meth:`LaneSlot.cycles`): the first beat enters the lane
two edges after the instruction is taken (address, read), the last beat's result is
written one GeLU stage after the lane's latency.
"""

import math

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import wiring, stream
from amaranth.lib.wiring import In, Out

from tilewright.gen import hierarchy
from tilewright.gen.buffer import ADDRESS_BITS, read_port, write_port
from tilewright.gen.gelu_unit import GeluUnit
from tilewright.gen.instruction import (COUNT_BITS, equals, field, flag, handshake, is_op,
                                        latch, write_result)
from tilewright.gen.mac_lane import MacLane
from tilewright.isa import WORD_BITS

__all__ = ["LaneSlot"]

ZERO, DATA, ONE = 0, 1, 2           # where a beat's ``a`` operand comes from


class LaneSlot(wiring.Component):
    """A MAC lane of ``macs`` multipliers behind a MATMUL/ADD sequencer.

    Parameters
    ----------
    macs : int
        Multipliers M of the lane, a power of two from 1 to 64.
    il, fl : int
        Datapath format (``il`` ≥ 2, so that 1.0 is a value).

    Members
    -------
    cmd : In(stream.Signature(WORD_BITS))
        The instruction; ``ready`` is the slot's idle.
    rd_a, rd_b : Out(read_port(il + fl)).array(macs)
    wr : Out(write_port(il + fl))
    finished : Out(COUNT_BITS)
        Instructions finished since reset (:func:`~tilewright.gen.instruction.handshake`).
    """

    def __init__(self, *, macs, il, fl):
        self._macs, self._il, self._fl = macs, il, fl
        width = il + fl
        super().__init__({"cmd": In(stream.Signature(WORD_BITS)),
                          "rd_a": Out(read_port(width)).array(macs),
                          "rd_b": Out(read_port(width)).array(macs),
                          "wr": Out(write_port(width)),
                          "finished": Out(COUNT_BITS)})

    @staticmethod
    def cycles(beats, macs):
        """Cycles from the edge taking an instruction of ``beats`` beats to the edge of its
        last write: ``beats + latency + 2`` (the lane's latency; the address stage and the
        GeLU stage)."""
        return beats + MacLane.pipeline_latency(macs) + 2

    @staticmethod
    def parts(macs, il, fl):
        """The slot's blocks (AccelTran §III-B4): ``{submodule: (block, parameters,
        module)}``, the module named as :func:`tilewright.gen.hierarchy.instance` places it
        (the composed characterization black-boxes them by that name)."""
        fmt = f"il{il}_fl{fl}"
        return {"mac_lane": ("mac-lane", {"multipliers": macs, "il": il, "fl": fl},
                             f"mac_lane_m{macs}_{fmt}"),
                "gelu": ("gelu", {"lanes": 1, "il": il, "fl": fl}, f"gelu_l1_{fmt}")}

    def elaborate(self, platform):
        m = Module()
        macs, il, fl = self._macs, self._il, self._fl
        width = il + fl
        word = self.cmd.payload

        finishing = Signal()
        start, finished = handshake(m, self.cmd, finishing)
        m.d.comb += self.finished.eq(finished)
        b, c, x, y, z, so, flags, tau = latch(m, word, start, "b", "c", "x", "y", "z", "so",
                                              "flags", "n")
        add = Signal()
        with m.If(start):
            m.d.sync += add.eq(is_op(word, "ADD"))
        bias, gelu = ~add & flag(flags, "BIAS"), ~add & flag(flags, "GELU")
        transpose = ~add & flag(flags, "TRANSPOSE")
        stride = Mux(equals(z, 0), y, z)        # ADD's input row stride

        # ---- stage 1: beat counters and operand addresses
        shift = int(math.log2(macs))
        data_beats = Signal(13)
        m.d.comb += data_beats.eq((y + macs - 1) >> shift)
        last_k = Signal(13)
        m.d.comb += last_k.eq(Mux(add, int(macs == 1), data_beats - 1 + bias))
        cols = Mux(add, y, z)
        issuing = Signal()
        i, j = Signal(12), Signal(12)
        k, koff = Signal(13), Signal(ADDRESS_BITS)
        row_a, row_b = Signal(ADDRESS_BITS), Signal(ADDRESS_BITS)
        last_beat = k == last_k
        with m.If(start):
            m.d.sync += [issuing.eq(1), i.eq(0), j.eq(0), k.eq(0), koff.eq(0),
                         row_a.eq(field(word, "a")), row_b.eq(field(word, "b"))]
        with m.Elif(issuing):
            m.d.sync += [k.eq(k + 1), koff.eq(koff + macs)]
            with m.If(last_beat):
                m.d.sync += [k.eq(0), koff.eq(0), j.eq(j + 1)]
                with m.If(~add):
                    m.d.sync += row_b.eq(row_b + y)
                with m.If(j == cols - 1):
                    m.d.sync += [j.eq(0), i.eq(i + 1), row_a.eq(row_a + Mux(add, stride, y)),
                                 row_b.eq(Mux(add, row_b + stride, b))]
                    with m.If(i == x - 1):
                        m.d.sync += issuing.eq(0)

        a_mode = [Signal(2, name=f"a_mode{t}") for t in range(macs)]
        b_on = [Signal(name=f"b_on{t}") for t in range(macs)]
        bias_beat = bias & (k == data_beats)
        for t in range(macs):
            inside = ~bias_beat & (koff + t < y)
            b_addr = Signal(ADDRESS_BITS, name=f"b_addr{t}")
            m.d.comb += [self.rd_a[t].addr.eq(row_a + koff + t), self.rd_a[t].en.eq(issuing),
                         self.rd_b[t].addr.eq(b_addr), self.rd_b[t].en.eq(issuing)]
            with m.If(add):
                ones = range(2) if macs > 1 else range(1)
                m.d.comb += a_mode[t].eq(ONE if t in ones else ZERO)
                if t == 0:
                    m.d.comb += [b_on[t].eq(1), b_addr.eq(Mux(equals(k, 0), row_a, row_b) + j)]
                elif t == 1:
                    m.d.comb += [b_on[t].eq(1), b_addr.eq(row_b + j)]
            with m.Elif(bias_beat):
                m.d.comb += a_mode[t].eq(ONE if t == 0 else ZERO)
                if t == 0:
                    m.d.comb += [b_on[t].eq(1), b_addr.eq(c + i)]
            with m.Else():
                m.d.comb += [a_mode[t].eq(Mux(inside, DATA, ZERO)), b_on[t].eq(inside),
                             b_addr.eq(row_b + koff + t)]

        # ---- stage 2: the read; operands into the lane
        parts = self.parts(macs, il, fl)
        _, params, module = parts["mac_lane"]
        lane = hierarchy.instance(m, "mac_lane", module, MacLane(**params))
        a_q = [Signal(2, name=f"a_mode{t}_q") for t in range(macs)]
        b_q = [Signal(name=f"b_on{t}_q") for t in range(macs)]
        m.d.sync += [lane.i.valid.eq(issuing), lane.i.payload.last.eq(last_beat)]
        m.d.sync += [q.eq(v) for q, v in zip(a_q + b_q, a_mode + b_on)]
        for t in range(macs):
            a_data = self.rd_a[t].data.as_signed()
            m.d.comb += [
                lane.i.payload.a[t].eq(Mux(a_q[t] == DATA, a_data,
                                           Mux(a_q[t] == ONE, 1 << fl, 0))),
                lane.i.payload.b[t].eq(Mux(b_q[t], self.rd_b[t].data.as_signed(), 0))]

        # ---- stage 3: GeLU (or its bypass register) and the write
        _, params, module = parts["gelu"]
        unit = hierarchy.instance(m, "gelu", module, GeluUnit(**params))
        raw = Signal(signed(width))
        m.d.comb += [lane.o.ready.eq(1), unit.i.valid.eq(lane.o.valid),
                     unit.i.payload[0].eq(lane.o.payload), unit.o.ready.eq(1)]
        with m.If(lane.o.valid):
            m.d.sync += raw.eq(lane.o.payload)
        oi, oj = Signal(12), Signal(12)
        obase, ooff = Signal(ADDRESS_BITS), Signal(ADDRESS_BITS)
        result = Signal(signed(width))
        m.d.comb += [result.eq(Mux(gelu, unit.o.payload[0], raw)),
                     finishing.eq(unit.o.valid & (oi == x - 1) & (oj == cols - 1))]
        write_result(m, self.wr, obase + ooff, result, unit.o.valid, flag(flags, "PRUNE"),
                     tau, width)
        with m.If(start):
            m.d.sync += [oi.eq(0), oj.eq(0), obase.eq(field(word, "o")), ooff.eq(0)]
        with m.Elif(unit.o.valid):
            m.d.sync += [oj.eq(oj + 1), ooff.eq(ooff + Mux(transpose, so, 1))]
            with m.If(oj == cols - 1):
                m.d.sync += [oj.eq(0), oi.eq(oi + 1), ooff.eq(0),
                             obase.eq(obase + Mux(transpose, 1, so))]
        return m
