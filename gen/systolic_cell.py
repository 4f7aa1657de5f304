"""One processing element of the weight-/input-stationary systolic array
(:mod:`tilewright.gen.systolic`; PIVOT §3.4): a stationary operand register, a
multiply-accumulate into the partial sum flowing down the column, and the operand register
that passes the streamed operand to the right.

Every cycle with ``advance`` high the cell registers ``psum_out ← fit(psum_in + a_in·s)``
(``acc_width`` bits, wrapping or saturating) and ``a_out ← a_in``; a cycle with ``load``
high registers ``s ← w_in`` (independently of ``advance``: the array's load handshake
already includes its stall). Latency 1 cycle, one multiply-accumulate per cycle.

The array instantiates R·C of these as submodules, so that a composite's cost can be
composed from the cell's characterized cost plus the array's own glue logic
(:mod:`tilewright.flows.compose`).
"""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Param, accumulator_width, format_params, format_width
from tilewright.fixedpoint import OVERFLOWS, FixedFormat
from tilewright.gen.fixed_ops import fit

__all__ = ["SystolicCell", "Accumulating", "NUMERIC_PARAMS", "numeric_constraints", "MAX_OPERAND_WIDTH", "MAX_ACC_WIDTH"]

MAX_OPERAND_WIDTH = 24
MAX_ACC_WIDTH = 56


class Accumulating:
    """Operand format, accumulator width and overflow mode, shared by the systolic array
    and its cells (checked by the block's :data:`NUMERIC_PARAMS` and
    :func:`numeric_constraints`), read through properties."""

    def _set_numerics(self, il, fl, acc_width, overflow):
        self._fmt = FixedFormat(il, fl)
        self._acc_width = max(32, 2 * self._fmt.width) if acc_width is None else acc_width
        self._overflow = overflow

    @property
    def fmt(self):
        return self._fmt

    @property
    def acc_width(self):
        return self._acc_width

    @property
    def overflow(self):
        return self._overflow


class SystolicCell(Accumulating, wiring.Component):
    """One stationary-dataflow PE (see the module docstring).

    Parameters
    ----------
    il, fl : int
        Operand format (integer bits including sign, fraction bits), ``il + fl`` from 2
        to 24.
    acc_width : int or None
        Partial-sum bits, from ``2·(il+fl)`` to 56; ``None`` means ``max(32, 2·(il+fl))``.
    overflow : str
        ``"wrap"`` or ``"saturate"`` at the accumulation.

    Members
    -------
    advance, load : In(1)
        Advance the pipeline; write ``w_in`` into the stationary register.
    w_in, a_in : In(signed(il+fl))
        Stationary operand to load; streamed operand.
    psum_in : In(signed(acc_width))
        Partial sum from the cell above (0 in the top row).
    a_out : Out(signed(il+fl))
        ``a_in`` one advancing cycle later (to the cell on the right).
    psum_out : Out(signed(acc_width))
        ``fit(psum_in + a_in·s)``, registered (to the cell below).
    """

    def __init__(self, *, il=8, fl=0, acc_width=None, overflow="wrap"):
        BLOCK.check(locals())
        self._set_numerics(il, fl, acc_width, overflow)
        w = self._fmt.width
        super().__init__({"advance": In(1), "load": In(1), "w_in": In(signed(w)),
                          "a_in": In(signed(w)), "psum_in": In(signed(self._acc_width)),
                          "a_out": Out(signed(w)), "psum_out": Out(signed(self._acc_width))})

    @property
    def latency(self):
        return 1

    def elaborate(self, platform):
        m = Module()
        stat = Signal(signed(self._fmt.width), name="s")
        with m.If(self.load):
            m.d.sync += stat.eq(self.w_in)
        with m.If(self.advance):
            m.d.sync += [self.psum_out.eq(fit(self.psum_in + self.a_in * stat,
                                              self._acc_width, self._overflow)),
                         self.a_out.eq(self.a_in)]
        return m


def _facts(cell):
    return {"latency_cycles": cell.latency, "acc_width": cell.acc_width,
            "product_width": 2 * cell.fmt.width}


#: The parameters of :class:`Accumulating`, shared with the array's block.
NUMERIC_PARAMS = (
    *format_params(8, 0, " of the operands"),
    Param("acc_width", int, None, "accumulator bits (default max(32, 2·(il+fl)))",
          optional=True),
    Param("overflow", str, "wrap", "overflow at every accumulation", OVERFLOWS),
)


def numeric_constraints(what):
    """The rules on :data:`NUMERIC_PARAMS` of a block (``what`` names it in messages)."""
    return (format_width(MAX_OPERAND_WIDTH, what), accumulator_width(MAX_ACC_WIDTH))


BLOCK = Block(
    name="systolic-cell",
    summary="one PE of the stationary systolic array: stationary register and MAC "
            "(PIVOT §3.4)",
    component=SystolicCell,
    params=NUMERIC_PARAMS,
    constraints=numeric_constraints("the systolic cell"),
    toplevel="systolic_cell",
    testbench="tilewright.cosim.tb_systolic_cell",
    facts=_facts,
    stimulus="stream",
)
