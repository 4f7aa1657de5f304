"""Signed n×n-bit multipliers, exact and approximate (TransAxx §III, §V-B; DESIGN.md §3).

TransAxx emulates each approximate multiplier by its full input→output table; here every
multiplier is an RTL generator, so the table can be taken from the RTL itself
(:mod:`tilewright.flows.multiplier_table`) and the golden model
(:mod:`tilewright.golden.multiplier`) states the same integer arithmetic.

Signed operands are handled in **sign-magnitude**, for every approximate kind: the
magnitudes ``|a|``, ``|b|`` (n-bit unsigned; ``|-2**(n-1)| = 2**(n-1)`` fits) go through
the unsigned approximate multiplier ``U``, and the product is ``sign(a)·sign(b)·U(|a|, |b|)``
in ``2n`` bits. So every kind is symmetric (``f(-a, b) = -f(a, b)``) and exact at zero.
``"exact"`` is a plain signed ``a * b``. Kinds and their knob ``k``:

- ``"truncated"`` — broken-array / truncated array multiplier: the ``k`` least significant
  columns of the ``n×n`` partial-product array are dropped (never generated). Worst-case
  error ``(k-1)·2**k + 1`` (all dropped bits set); ``k`` from 1 to ``n-1``.
- ``"mitchell"`` — Mitchell's logarithmic multiplier (Mitchell 1962): ``log2 x ≈ t + f``
  with ``t`` the leading-one position and ``f`` the bits below it as a fraction; the
  characteristic/mantissa sum is taken back by the same piecewise-linear antilog
  (``2**(t1+t2)·(1+f1+f2)`` when ``f1+f2 < 1``, else ``2**(t1+t2+1)·(f1+f2)``), and the
  result is truncated to an integer. ``k`` (1 to ``n-1``, default ``n-1`` = classic
  Mitchell) is the number of fraction bits kept of each operand (the rest truncated).
- ``"drum"`` — DRUM (Hashemi, Bahar, Reda, ICCAD 2015): each magnitude ``≥ 2**k`` is
  reduced to the ``k`` bits starting at its leading one, with the lowest of them forced
  to 1 (unbiasing), and shifted back after a ``k×k`` multiply; smaller magnitudes are
  used exactly. ``k`` from 3 to ``n-1`` (``k ≥ 3`` keeps ``(-2**(n-1))**2`` in range).
- ``"ssm"`` — static segment multiplier (Narayanamoorthy et al., TVLSI 2015): each
  magnitude is replaced by its low ``k`` bits when its high ``n-k`` bits are zero, else
  by its high ``k`` bits (shifted back after a ``k×k`` multiply). ``k`` from
  ``⌈n/2⌉`` to ``n-1``.
"""

from amaranth.hdl import Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Constraint, Param
from tilewright.specs.multiplier import KINDS, MAX_BITS, MIN_BITS, check_multiplier, default_k

__all__ = ["MultiplierCore", "Multiplier"]

def _leading_one(m, x, name):
    """Position of the highest set bit of ``x`` (0 when ``x`` is 0): a priority encoder."""
    pos = Signal(range(len(x)), name=name)
    for i in range(len(x)):           # later assignments win: the highest set bit
        with m.If(x[i]):
            m.d.comb += pos.eq(i)
    return pos


class MultiplierCore(wiring.Component):
    """Combinational signed ``bits × bits → 2·bits`` multiplier of one ``kind``.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    bits : int
        Operand width n, from 4 to 16.
    k : int or None
        The kind's knob (see the module docstring); ``None`` takes :func:`default_k`.

    Latency 0 (combinational).

    Members
    -------
    a, b : In(signed(bits))
    p : Out(signed(2·bits))
    """

    def __init__(self, kind="exact", bits=8, k=None):
        self._k = check_multiplier(kind, bits, k)
        self._kind, self._bits = kind, bits
        super().__init__({"a": In(signed(bits)), "b": In(signed(bits)),
                          "p": Out(signed(2 * bits))})

    @property
    def kind(self):
        return self._kind

    @property
    def bits(self):
        return self._bits

    @property
    def k(self):
        return self._k

    def elaborate(self, platform):
        m = Module()
        n = self._bits
        if self._kind == "exact":
            m.d.comb += self.p.eq(self.a * self.b)
            return m
        a_mag, b_mag = Signal(n, name="a_mag"), Signal(n, name="b_mag")
        negative = Signal()
        mag = Signal(2 * n, name="mag")
        m.d.comb += [
            a_mag.eq(Mux(self.a < 0, -self.a, self.a)),
            b_mag.eq(Mux(self.b < 0, -self.b, self.b)),
            negative.eq(self.a[n - 1] ^ self.b[n - 1]),
            mag.eq(getattr(self, f"_{self._kind}")(m, a_mag, b_mag)),
            self.p.eq(Mux(negative, -mag, mag)),
        ]
        return m

    def _truncated(self, m, a, b):
        n, k = self._bits, self._k
        keep = Const(((1 << (2 * n)) - 1) & ~((1 << k) - 1), 2 * n)
        rows = [Mux(a[i], (b << i) & keep, 0) for i in range(n)]
        return sum(rows[1:], rows[0])

    def _mitchell(self, m, a, b):
        n, k = self._bits, self._k
        top = Const(((1 << (n - 1)) - 1) & ~((1 << (n - 1 - k)) - 1), n - 1)
        parts = []
        for name, x in (("a", a), ("b", b)):
            lead = _leading_one(m, x, f"{name}_lead")
            shift = Signal(range(n), name=f"{name}_norm")
            frac = Signal(n - 1, name=f"{name}_frac")
            m.d.comb += [shift.eq(n - 1 - lead), frac.eq((x << shift)[:n - 1] & top)]
            parts.append((lead, frac))
        total = Signal(n, name="frac_sum")
        m.d.comb += total.eq(parts[0][1] + parts[1][1])
        carry = total[n - 1]
        mantissa = Signal(n + 1, name="mantissa")
        exponent = Signal(range(2 * n), name="exponent")
        m.d.comb += [mantissa.eq(Mux(carry, total, (1 << (n - 1)) + total)),
                     exponent.eq(parts[0][0] + parts[1][0] + carry)]
        wide = (mantissa << exponent) >> (n - 1)
        return Mux(a.any() & b.any(), wide[:2 * n], 0)

    def _segments(self, m, a, b, reduce):
        (va, sa), (vb, sb) = reduce(m, a, "a"), reduce(m, b, "b")
        return (va * vb) << (sa + sb)

    def _drum(self, m, a, b):
        n, k = self._bits, self._k

        def reduce(m, x, name):
            lead = _leading_one(m, x, f"{name}_lead")
            big = Signal(name=f"{name}_big")
            shift = Signal(range(n), name=f"{name}_shift")
            value = Signal(k, name=f"{name}_seg")
            m.d.comb += [big.eq((x >> k) != 0),
                         shift.eq(Mux(big, lead - (k - 1), 0)),
                         value.eq(Mux(big, (x >> shift)[:k] | 1, x[:k]))]
            return value, shift
        return self._segments(m, a, b, reduce)

    def _ssm(self, m, a, b):
        n, k = self._bits, self._k

        def reduce(m, x, name):
            high = Signal(name=f"{name}_high")
            value = Signal(k, name=f"{name}_seg")
            m.d.comb += [high.eq((x >> k) != 0), value.eq(Mux(high, x >> (n - k), x[:k]))]
            return value, Mux(high, n - k, 0)
        return self._segments(m, a, b, reduce)


class Multiplier(wiring.Component):
    """A :class:`MultiplierCore` between stream ports, with one output register.

    Parameters
    ----------
    kind, bits, k : see :class:`MultiplierCore`.

    Latency 1 cycle (the edge that accepts ``a``, ``b`` registers ``p``); throughput one
    product per cycle; back-pressure on ``o`` stalls ``i``.

    Members
    -------
    i : In(stream.Signature(StructLayout({"a": signed(bits), "b": signed(bits)})))
    o : Out(stream.Signature(signed(2·bits)))
    """

    def __init__(self, *, kind="exact", bits=8, k=None):
        BLOCK.check(locals())
        self._core_args = dict(kind=kind, bits=bits, k=default_k(kind, bits) if k is None else k)
        super().__init__({
            "i": In(stream.Signature(self.input_layout(bits))),
            "o": Out(stream.Signature(signed(2 * bits))),
        })

    @staticmethod
    def input_layout(bits):
        return data.StructLayout({"a": signed(bits), "b": signed(bits)})

    @property
    def kind(self):
        return self._core_args["kind"]

    @property
    def bits(self):
        return self._core_args["bits"]

    @property
    def k(self):
        return self._core_args["k"]

    latency = 1

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = MultiplierCore(**self._core_args)
        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance),
                     core.a.eq(self.i.payload.a), core.b.eq(self.i.payload.b)]
        with m.If(advance):
            m.d.sync += self.o.valid.eq(self.i.valid)
            with m.If(self.i.valid):
                m.d.sync += self.o.payload.eq(core.p)
        return m


def _facts(mul):
    return {"latency_cycles": mul.latency, "product_width": 2 * mul.bits, "k": mul.k}


BLOCK = Block(
    name="multiplier",
    summary="signed n×n multiplier, exact or approximate (truncated, Mitchell, DRUM, SSM; "
            "TransAxx §III)",
    component=Multiplier,
    params=(
        Param("kind", str, "exact", "multiplier family", KINDS),
        Param("bits", int, 8, "operand width n, from 4 to 16", low=MIN_BITS, high=MAX_BITS),
        Param("k", int, None, "the kind's knob: dropped columns (truncated), fraction bits "
                              "(mitchell), kept bits (drum, ssm); default depends on kind",
              optional=True),
    ),
    constraints=(Constraint(("kind", "bits", "k"), "k in the kind's range at bits "
                            "(tilewright.specs.multiplier.k_range); exact takes no k",
                            lambda v: check_multiplier(v["kind"], v["bits"], v["k"])),),
    toplevel="multiplier",
    testbench="tilewright.cosim.tb_multiplier",
    facts=_facts,
    stimulus="throughput",
)
