"""Softmax unit with an exponent look-up table (TReX §VI-A, Fig. 9, Eq. 2).

One unit computes ``softmax(x)_i = e^(x_i − x_max) / Σ_j e^(x_j − x_max)`` (TReX Eq. 2) over
a vector of ``t`` features, token by token, as TReX Fig. 9 draws it; ``heads`` units run
in lock step (one per attention head, TReX §VI-A), each input beat carrying one feature of
every head. Per vector the control walks four phases:

1. **load / max select** (``t`` cycles at full input rate): the features are written to an
   input buffer while ``Max_Reg`` keeps the running maximum (``Val_Sel`` on the first).
2. **exponent** (``t`` cycles): ``n = x_max − x_i ≥ 0`` is rounded to the LUT grid,
   ``idx = (n + 2**(s−1)) >> s``, and ``e_i = Exp_LUT[idx]`` (0 past the table) is
   written to the exponent buffer and added to the running sum ``S``.
3. **reciprocal** (``Q = out_fl + G + 1`` cycles): a restoring divider computes
   ``r = floor(2**(E + out_fl + G) / S)``, one quotient bit per cycle (``G`` guard bits,
   :meth:`Softmax.guard_bits`).
4. **divide** (``t`` beats): the buffered exponents are reused,
   ``y_i = round_half_even(e_i · r / 2**(E + G))``, one beat per cycle on the output stream.

The divider is therefore "reciprocal by an iterative divider, then one multiply per
feature": one division per vector instead of ``t``.

The LUT has ``lut_depth`` entries ``round(2**E · exp(−k · 2**s / 2**fl))`` (``E =
exp_bits``); the step ``2**s`` input LSBs is the smallest power of two for which the table
reaches ``(E + 1)·ln 2``, beyond which ``e^(−n) · 2**E`` rounds to 0
(:meth:`Softmax.lut_geometry`). Entry 0 is exactly ``2**E``, so ``S ≥ 2**E``,
``r ≤ 2**(out_fl + G)`` and ``y_i ≤ 2**out_fl`` (1.0): outputs are unsigned
``out_fl + 1``-bit words with ``out_fl`` fraction bits.

Sum of a vector's outputs (:meth:`Softmax.sum_bound`): with ``r = 2**P/S − δ``
(``0 ≤ δ < 1``), ``e_i·r/2**(E+G) = 2**out_fl · e_i/S − e_i·δ/2**(E+G)``; the rounding
adds at most 1/2 LSB per output and the reciprocal's truncation takes away
``S·δ/2**(E+G) < t·2**−G`` LSB in total (``S ≤ t·2**E``). As ``Σ e_i/S = 1`` exactly,
``|Σ y_i − 2**out_fl| ≤ t/2 + t·2**−G`` LSB, whatever the LUT's accuracy.
"""

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Param, format_params, format_width
from tilewright.fixedpoint import FixedFormat
from tilewright.gen.fixed_ops import divider_step, shift_right
from tilewright.specs import softmax as spec

__all__ = ["Softmax"]

MAX_T = 512
MAX_WIDTH = 24
MAX_HEADS = 16
MAX_LUT_DEPTH = 4096
LOAD, EXP, DIV, OUT = 1, 2, 3, 4     # control states (S_Ctrl in TReX Fig. 9)


class Softmax(wiring.Component):
    """Streaming softmax over vectors of ``t`` features, ``heads`` units in lock step.

    Parameters
    ----------
    t : int
        Features per vector (tokens attended to), from 1 to 512.
    il, fl : int
        Input format (integer bits including sign, fraction bits); ``il + fl`` from 2 to 24.
    lut_depth : int
        Entries of the exponent LUT, a power of two from 2 to 4096.
    exp_bits : int
        Fraction bits ``E`` of the LUT entries (entries are unsigned, 1.0 = ``2**E``),
        from 2 to 20.
    out_fl : int
        Fraction bits of the outputs (unsigned ``out_fl + 1`` bits), from 1 to 20.
    heads : int
        Softmax units in parallel (one per attention head), from 1 to 16.

    Cycles per vector: ``3·t + Q`` (:meth:`vector_cycles`) from the first input beat
    accepted to the first beat of the next vector accepted, at full rate with no
    back-pressure; the input is not ready during the exponent, reciprocal and divide
    phases. Throughput ``heads·t / (3·t + Q)`` features per cycle.

    Members
    -------
    i : In(stream.Signature(ArrayLayout(signed(il + fl), heads)))
        One feature of each head per beat, ``t`` beats per vector.
    o : Out(stream.Signature(ArrayLayout(unsigned(out_fl + 1), heads)))
        One probability of each head per beat, ``t`` beats per vector, in input order.
    """

    def __init__(self, *, t=64, il=4, fl=16, lut_depth=256, exp_bits=16, out_fl=16, heads=1):
        BLOCK.check(locals())
        fmt = FixedFormat(il, fl)
        self._t, self._fmt, self._lut_depth = t, fmt, lut_depth
        self._exp_bits, self._out_fl, self._heads = exp_bits, out_fl, heads
        super().__init__({
            "i": In(stream.Signature(data.ArrayLayout(signed(fmt.width), heads))),
            "o": Out(stream.Signature(data.ArrayLayout(unsigned(out_fl + 1), heads))),
        })

    # ------------------------------------------------------------ pure math
    guard_bits = staticmethod(spec.guard_bits)
    divider_cycles = staticmethod(spec.divider_cycles)
    vector_cycles = staticmethod(spec.vector_cycles)
    sum_bound = staticmethod(spec.sum_bound)
    lut_geometry = staticmethod(spec.lut_geometry)
    lut = staticmethod(spec.lut)

    # ------------------------------------------------------------ properties
    @property
    def t(self):
        return self._t

    @property
    def fmt(self):
        return self._fmt

    @property
    def lut_depth(self):
        return self._lut_depth

    @property
    def exp_bits(self):
        return self._exp_bits

    @property
    def out_fl(self):
        return self._out_fl

    @property
    def heads(self):
        return self._heads

    @property
    def cycles_per_vector(self):
        return self.vector_cycles(self._t, self._out_fl)

    @property
    def latency(self):
        """Cycles from the edge accepting a vector's last input beat to the edge where its
        first output is valid: ``t + Q + 2``."""
        return self._t + self.divider_cycles(self._t, self._out_fl) + 2

    # ------------------------------------------------------------ hardware
    def elaborate(self, platform):
        m = Module()
        t, fmt, heads = self._t, self._fmt, self._heads
        e_bits, out_fl = self._exp_bits, self._out_fl
        guard = self.guard_bits(t)
        q_bits = self.divider_cycles(t, out_fl)
        shift = self.lut_geometry(fmt.fl, self._lut_depth, e_bits)
        table = self.lut(fmt.fl, self._lut_depth, e_bits)
        sum_width = e_bits + 1 + max(1, (t - 1).bit_length())

        cnt = Signal(range(max(t, q_bits) + 1))
        # not ``cnt == 0``: Yosys writes that as ``!cnt``, which Verilator calls WIDTHTRUNC
        first = ~cnt.any()
        last_feature = first if t == 1 else cnt == t - 1
        # states are numbered from 1 for the same reason
        state = Signal(range(5), init=LOAD)
        depth = max(t, 2)       # a one-entry memory would have a zero-width address

        for h in range(heads):
            m.submodules[f"x_buf{h}"] = Memory(shape=signed(fmt.width), depth=depth, init=[])
            m.submodules[f"exp_buf{h}"] = Memory(shape=unsigned(e_bits + 1), depth=depth,
                                                 init=[])
            m.submodules[f"exp_lut{h}"] = Memory(shape=unsigned(e_bits + 1),
                                                 depth=self._lut_depth, init=table)
        x_wr = [m.submodules[f"x_buf{h}"].write_port() for h in range(heads)]
        x_rd = [m.submodules[f"x_buf{h}"].read_port(domain="comb") for h in range(heads)]
        e_wr = [m.submodules[f"exp_buf{h}"].write_port() for h in range(heads)]
        e_rd = [m.submodules[f"exp_buf{h}"].read_port(domain="comb") for h in range(heads)]
        lut_rd = [m.submodules[f"exp_lut{h}"].read_port(domain="comb") for h in range(heads)]

        max_reg = [Signal(signed(fmt.width), name=f"max_reg{h}") for h in range(heads)]
        total = [Signal(unsigned(sum_width), name=f"sum{h}") for h in range(heads)]
        rem = [Signal(unsigned(sum_width + 1), name=f"rem{h}") for h in range(heads)]
        recip = [Signal(unsigned(q_bits), name=f"recip{h}") for h in range(heads)]

        for h in range(heads):
            m.d.comb += [x_wr[h].addr.eq(cnt), x_wr[h].data.eq(self.i.payload[h]),
                         x_rd[h].addr.eq(cnt), e_wr[h].addr.eq(cnt), e_rd[h].addr.eq(cnt)]

        with m.If(self.o.ready):
            m.d.sync += self.o.valid.eq(0)

        with m.Switch(state):
            with m.Case(LOAD):
                m.d.comb += self.i.ready.eq(1)
                with m.If(self.i.valid):
                    m.d.sync += cnt.eq(Mux(last_feature, 0, cnt + 1))
                    for h in range(heads):
                        x = self.i.payload[h]
                        m.d.comb += x_wr[h].en.eq(1)
                        m.d.sync += max_reg[h].eq(
                            Mux(first | (x > max_reg[h]), x, max_reg[h]))
                    with m.If(last_feature):
                        m.d.sync += state.eq(EXP)

            with m.Case(EXP):
                m.d.sync += cnt.eq(Mux(last_feature, 0, cnt + 1))
                for h in range(heads):
                    gap = Signal(unsigned(fmt.width), name=f"gap{h}")
                    m.d.comb += gap.eq(max_reg[h] - x_rd[h].data)
                    rounded = gap + ((1 << shift) >> 1)
                    idx = Signal(unsigned(fmt.width + 1), name=f"idx{h}")
                    m.d.comb += [idx.eq(rounded >> shift), lut_rd[h].addr.eq(idx)]
                    e = Mux(idx < self._lut_depth, lut_rd[h].data, 0)
                    m.d.comb += [e_wr[h].en.eq(1), e_wr[h].data.eq(e)]
                    m.d.sync += total[h].eq(Mux(first, 0, total[h]) + e)
                with m.If(last_feature):
                    m.d.sync += [r.eq(1 << (e_bits - 1)) for r in rem]
                    m.d.sync += state.eq(DIV)

            with m.Case(DIV):
                m.d.sync += cnt.eq(Mux(cnt == q_bits - 1, 0, cnt + 1))
                for h in range(heads):
                    divider_step(m, rem[h], recip[h], total[h], 0)
                with m.If(cnt == q_bits - 1):
                    m.d.sync += state.eq(OUT)

            with m.Case(OUT):
                with m.If(~self.o.valid | self.o.ready):
                    m.d.sync += [self.o.valid.eq(1), cnt.eq(Mux(last_feature, 0, cnt + 1))]
                    for h in range(heads):
                        prod = e_rd[h].data * recip[h]
                        y = shift_right(prod, e_bits + guard, "half-even")
                        m.d.sync += self.o.payload[h].eq(y[:out_fl + 1])
                    with m.If(last_feature):
                        m.d.sync += state.eq(LOAD)
        return m


def _facts(unit):
    return {"cycles_per_vector": unit.cycles_per_vector, "latency_cycles": unit.latency,
            "divider_cycles": Softmax.divider_cycles(unit.t, unit.out_fl),
            "lut_step_lsb": 1 << Softmax.lut_geometry(unit.fmt.fl, unit.lut_depth,
                                                       unit.exp_bits),
            "sum_bound": Softmax.sum_bound(unit.t, unit.out_fl)}


BLOCK = Block(
    name="softmax",
    summary="softmax with max select, exponent LUT, exponent buffer, running sum and "
            "reciprocal divider, one unit per head (TReX §VI-A, Fig. 9)",
    component=Softmax,
    params=(
        Param("t", int, 64, "features per vector, from 1 to 512", low=1, high=MAX_T),
        *format_params(4, 16, " of the inputs"),
        Param("lut_depth", int, 256, "exponent LUT entries, a power of two",
              low=2, high=MAX_LUT_DEPTH, power_of_two=True),
        Param("exp_bits", int, 16, "fraction bits of the LUT entries", low=2, high=20),
        Param("out_fl", int, 16, "fraction bits of the outputs", low=1, high=20),
        Param("heads", int, 1, "softmax units in parallel (one per attention head)",
              low=1, high=MAX_HEADS),
    ),
    constraints=(format_width(MAX_WIDTH, "the softmax unit"),),
    toplevel="softmax",
    testbench="tilewright.cosim.tb_softmax",
    facts=_facts,
    stimulus="vector_throughput",
)
