"""Layer-norm unit: mean, variance, inverse square root by iteration, scale and shift
(AccelTran Table I, C-OP-8 and C-OP-11; Ba et al., "Layer normalization").

``y_i = γ_i · (x_i − μ) / sqrt(σ² + ε) + β_i`` over a vector of ``n`` features (``n`` a
power of two, as AccelTran's layer-norm tiles of 8/16/32), all values in format
``(il, fl)``. Each input beat carries ``x_i``, ``γ_i`` and ``β_i``. The control walks:

1. **load / mean** (``n`` cycles): ``x, γ, β`` are buffered and ``Σx`` accumulated;
   ``μ = round_half_even(Σx / n)`` (a shift).
2. **variance** (``n`` cycles): ``d_i = x_i − μ`` from the buffer, ``Σd²`` accumulated;
   ``v = floor(Σd² / n) + ε_q`` with ``2·fl`` fraction bits,
   ``ε_q = max(1, round(1e-5 · 2**(2·fl)))`` (torch's default ε).
3. **square root** (``B + 1`` cycles, ``B = ⌈width(v)/2⌉``): ``s = isqrt(v)`` bit by bit (``fl``
   fraction bits).
4. **reciprocal** (``2·fl + G + 1`` cycles, ``G = 8`` guard bits): restoring divider,
   ``r = floor(2**(2·fl + G) / s)`` (``fl + G`` significant bits when ``σ ≈ 1``).
5. **normalize** (``n`` beats): ``z_i = sat(round_half_even(d_i · r / 2**(fl + G)))`` (``fl``
   fraction bits, saturated to ±64), ``y_i = fit(round_half_even(z_i · γ_i / 2**fl) + β_i)``
   saturated to the format.

Every step is an integer operation that :mod:`tilewright.golden.layer_norm` repeats.
"""

import math

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Param, format_params, format_width
from tilewright.fixedpoint import FixedFormat
from tilewright.gen.fixed_ops import divider_step, fit, shift_right
from tilewright.specs import layer_norm as spec
from tilewright.specs.layer_norm import GUARD, Z_IL

__all__ = ["LayerNorm", "GUARD", "Z_IL"]

MAX_N = 1024
MAX_WIDTH = 20
MAX_FL = 16
LOAD, VAR, SQRT, DIV, OUT = 1, 2, 3, 4, 5


class LayerNorm(wiring.Component):
    """Streaming layer normalization over vectors of ``n`` features.

    Parameters
    ----------
    n : int
        Features per vector, a power of two from 2 to 1024.
    il, fl : int
        Format of ``x``, ``γ``, ``β`` and ``y``; ``il + fl`` from 2 to 20, ``fl`` at most 16
        (so that ``d·r`` fits 63 bits).

    Cycles per vector: ``3·n + (B + 1) + (2·fl + G + 1)`` (:meth:`vector_cycles`,
    ``B + 1`` = :meth:`sqrt_cycles`) from the first input beat to the first beat of the
    next vector at full rate; the input is not ready outside the load phase.

    Members
    -------
    i : In(stream.Signature(StructLayout({"x", "gamma", "beta"})))
    o : Out(stream.Signature(signed(il + fl)))
    """

    def __init__(self, *, n=16, il=4, fl=16):
        BLOCK.check(locals())
        fmt = FixedFormat(il, fl)
        self._n, self._fmt = n, fmt
        super().__init__({"i": In(stream.Signature(self.input_layout(fmt.width))),
                          "o": Out(stream.Signature(signed(fmt.width)))})

    @staticmethod
    def input_layout(width):
        return data.StructLayout({"x": signed(width), "gamma": signed(width),
                                  "beta": signed(width)})

    eps = staticmethod(spec.eps)
    var_width = staticmethod(spec.var_width)
    sqrt_cycles = staticmethod(spec.sqrt_cycles)
    divider_cycles = staticmethod(spec.divider_cycles)
    vector_cycles = staticmethod(spec.vector_cycles)

    @property
    def n(self):
        return self._n

    @property
    def fmt(self):
        return self._fmt

    @property
    def cycles_per_vector(self):
        return self.vector_cycles(self._n, self._fmt.il, self._fmt.fl)

    @property
    def latency(self):
        """Cycles from the edge accepting the last input beat to the edge where the first
        output is valid: ``vector_cycles - 2·n + 2``."""
        return self.cycles_per_vector - 2 * self._n + 2

    def elaborate(self, platform):
        m = Module()
        n, fmt = self._n, self._fmt
        w, fl = fmt.width, fmt.fl
        log_n = int(math.log2(n))
        v_width = self.var_width(w, fl)
        s_bits = self.sqrt_cycles(w, fl) - 1
        q_bits = self.divider_cycles(fl)

        cnt = Signal(range(max(n, s_bits, q_bits) + 1))
        first = ~cnt.any()
        last = cnt == n - 1
        state = Signal(range(OUT + 1), init=LOAD)

        bufs = {}
        for name in ("x", "gamma", "beta"):
            m.submodules[f"{name}_buf"] = mem = Memory(shape=signed(w), depth=n, init=[])
            wr, rd = mem.write_port(), mem.read_port(domain="comb")
            m.d.comb += [wr.addr.eq(cnt), wr.data.eq(self.i.payload[name]), rd.addr.eq(cnt)]
            bufs[name] = (wr, rd)

        total = Signal(signed(w + log_n + 1))
        mean = Signal(signed(w))
        m.d.comb += mean.eq(shift_right(total, log_n, "half-even"))
        diff = Signal(signed(w + 1))
        m.d.comb += diff.eq(bufs["x"][1].data - mean)
        squares = Signal(unsigned(2 * w + log_n + 1))
        var = Signal(unsigned(v_width))
        m.d.comb += var.eq((squares >> log_n) + self.eps(fl))

        # isqrt: num, res, one-hot bit
        num = Signal(unsigned(v_width))
        res = Signal(unsigned(v_width))
        bit = Signal(unsigned(2 * s_bits))
        rem = Signal(unsigned(s_bits + 2))
        recip = Signal(unsigned(q_bits))

        with m.If(self.o.ready):
            m.d.sync += self.o.valid.eq(0)

        with m.Switch(state):
            with m.Case(LOAD):
                m.d.comb += self.i.ready.eq(1)
                with m.If(self.i.valid):
                    m.d.comb += [wr.en.eq(1) for wr, _ in bufs.values()]
                    m.d.sync += [total.eq(Mux(first, 0, total) + self.i.payload.x),
                                 cnt.eq(Mux(last, 0, cnt + 1))]
                    with m.If(last):
                        m.d.sync += state.eq(VAR)
            with m.Case(VAR):
                m.d.sync += [squares.eq(Mux(first, 0, squares) + diff * diff),
                             cnt.eq(Mux(last, 0, cnt + 1))]
                with m.If(last):
                    m.d.sync += state.eq(SQRT)
            with m.Case(SQRT):
                # first cycle loads v; then s_bits steps of the digit-by-digit square root
                trial = res + bit
                with m.If(first):
                    m.d.sync += [num.eq(var), res.eq(0), bit.eq(1 << (2 * s_bits - 2)),
                                 cnt.eq(1)]
                with m.Else():
                    with m.If(num >= trial):
                        m.d.sync += [num.eq(num - trial), res.eq((res >> 1) + bit)]
                    with m.Else():
                        m.d.sync += res.eq(res >> 1)
                    m.d.sync += [bit.eq(bit >> 2), cnt.eq(Mux(cnt == s_bits, 0, cnt + 1))]
                    with m.If(cnt == s_bits):
                        m.d.sync += [state.eq(DIV), rem.eq(0)]
            with m.Case(DIV):
                # numerator 2**(2·fl + G): a one on the first step, zeros after
                divider_step(m, rem, recip, res, first)
                m.d.sync += cnt.eq(Mux(cnt == q_bits - 1, 0, cnt + 1))
                with m.If(cnt == q_bits - 1):
                    m.d.sync += state.eq(OUT)
            with m.Case(OUT):
                with m.If(~self.o.valid | self.o.ready):
                    z = Signal(signed(fl + Z_IL))
                    m.d.comb += z.eq(fit(shift_right(diff * recip, fl + GUARD, "half-even"),
                                         fl + Z_IL, "saturate"))
                    scaled = shift_right(z * bufs["gamma"][1].data, fl, "half-even")
                    y = fit(scaled + bufs["beta"][1].data, w, "saturate")
                    m.d.sync += [self.o.valid.eq(1), self.o.payload.eq(y),
                                 cnt.eq(Mux(last, 0, cnt + 1))]
                    with m.If(last):
                        m.d.sync += state.eq(LOAD)
        return m


def _facts(unit):
    return {"cycles_per_vector": unit.cycles_per_vector, "latency_cycles": unit.latency,
            "eps_lsb": LayerNorm.eps(unit.fmt.fl)}


BLOCK = Block(
    name="layer-norm",
    summary="layer norm: mean, variance, iterative inverse square root, scale and shift "
            "(AccelTran Table I)",
    component=LayerNorm,
    params=(
        Param("n", int, 16, "features per vector, a power of two from 2 to 1024",
              low=2, high=MAX_N, power_of_two=True),
        *format_params(4, 16, fl_high=MAX_FL),
    ),
    constraints=(format_width(MAX_WIDTH, "the layer-norm unit"),),
    toplevel="layer_norm",
    testbench="tilewright.cosim.tb_layer_norm",
    facts=_facts,
    stimulus="vector_throughput",
)
