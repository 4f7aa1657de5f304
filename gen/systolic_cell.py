"""One processing element of the weight-/input-stationary systolic array
(:mod:`tilewright.gen.systolic`; PIVOT §3.4): a stationary operand register, a
multiply-accumulate into the partial sum flowing down the column, and the operand register
that passes the streamed operand to the right.

Every cycle with ``advance`` high the cell registers ``psum_out ← fit(psum_in + a_in·s)``
(``acc_width`` bits, wrapping or saturating) and ``a_out ← a_in``; a cycle with ``load``
high registers ``s ← w_in`` (independently of ``advance``: the array's load handshake
already includes its stall). Latency 1 cycle, one multiply-accumulate per cycle.

Partial sums narrower than the accumulator. The partial sum leaving row ``r`` of the array
is the sum of ``r + 1`` products of two ``w = il + fl``-bit signed operands, each of
magnitude at most ``2^(2w−2)`` (``(−2^(w−1))²``), so its magnitude is at most
``(r+1)·2^(2w−2) ≤ 2^(2w−2+⌈log2(r+1)⌉)``: half the range of the signed width
``2w + ⌈log2(r+1)⌉`` (:func:`row_cell_params`, capped at ``acc_width``). Where
that width is below ``acc_width``, no partial sum of rows ``0..r`` can reach the
accumulator's range, so neither wrapping nor saturating ever changes it: the row keeps
only that many bits (``psum_width``) and adds with plain wrap-around, and the array's
results are those of the full-width accumulator, bit for bit, in both overflow modes.
The first row that needs ``acc_width`` bits adds its (sign-extended) input as before,
wrapping or saturating. A cell of the top row has no partial sum to add
(``accumulate=False``): it registers its product alone.

The array instantiates R·C of these as submodules, so that a composite's cost can be
composed from the characterized costs of its distinct cells plus the array's own glue
logic (:mod:`tilewright.flows.compose`).
"""

import math

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import (Block, Constraint, Param, accumulator_width, format_params,
                               format_width)
from tilewright.fixedpoint import OVERFLOWS, FixedFormat, check_int
from tilewright.gen.fixed_ops import fit

__all__ = ["SystolicCell", "Accumulating", "row_cell_params", "NUMERIC_PARAMS",
           "numeric_constraints", "MAX_OPERAND_WIDTH", "MAX_ACC_WIDTH"]

MAX_OPERAND_WIDTH = 24
MAX_ACC_WIDTH = 56


def _acc_width(il, fl, acc_width):
    """``acc_width``, or its default ``max(32, 2·(il+fl))`` for ``None``."""
    return max(32, 2 * (il + fl)) if acc_width is None else acc_width


def row_cell_params(row, *, il, fl, acc_width, overflow):
    """The :class:`SystolicCell` parameters of the array's ``row`` (from 0) with these
    numerics: the partial sum of ``row + 1`` products exact in
    ``min(acc_width, 2·(il+fl) + ⌈log2(row+1)⌉)`` bits (see the module docstring), and
    nothing to add in the top row."""
    acc_width = _acc_width(il, fl, acc_width)
    width = min(acc_width, 2 * (il + fl) + math.ceil(math.log2(row + 1)))
    return {"il": il, "fl": fl, "acc_width": acc_width, "overflow": overflow,
            "psum_width": width, "accumulate": row > 0}


class Accumulating:
    """Operand format, accumulator width and overflow mode, shared by the systolic array
    and its cells (checked by the block's :data:`NUMERIC_PARAMS` and
    :func:`numeric_constraints`), read through properties."""

    def _set_numerics(self, il, fl, acc_width, overflow):
        self._fmt = FixedFormat(il, fl)
        self._acc_width = _acc_width(il, fl, acc_width)
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
        Accumulator bits, from ``2·(il+fl)`` to 56; ``None`` means ``max(32, 2·(il+fl))``.
    overflow : str
        ``"wrap"`` or ``"saturate"`` at the accumulation.
    psum_width : int or None
        Bits of ``psum_in`` and ``psum_out``, from ``2·(il+fl)`` to ``acc_width``; ``None``
        means ``acc_width``. Below ``acc_width`` the sum wraps at ``psum_width`` bits (the
        array gives a row the width its sums never exceed: module docstring).
    accumulate : bool
        Whether the cell adds ``psum_in`` (``False``: the array's top row, no
        ``psum_in``).

    Members
    -------
    advance, load : In(1)
        Advance the pipeline; write ``w_in`` into the stationary register.
    w_in, a_in : In(signed(il+fl))
        Stationary operand to load; streamed operand.
    psum_in : In(signed(psum_width))
        Partial sum from the cell above (only with ``accumulate``).
    a_out : Out(signed(il+fl))
        ``a_in`` one advancing cycle later (to the cell on the right).
    psum_out : Out(signed(psum_width))
        ``fit(psum_in + a_in·s)`` (or ``a_in·s`` alone), registered (to the cell below).
    """

    def __init__(self, *, il=8, fl=0, acc_width=None, overflow="wrap", psum_width=None,
                 accumulate=True):
        BLOCK.check(locals())
        self._set_numerics(il, fl, acc_width, overflow)
        self._psum_width = self._acc_width if psum_width is None else psum_width
        self._accumulate = accumulate
        w = self._fmt.width
        members = {"advance": In(1), "load": In(1), "w_in": In(signed(w)),
                   "a_in": In(signed(w)), "a_out": Out(signed(w)),
                   "psum_out": Out(signed(self._psum_width))}
        if accumulate:
            members["psum_in"] = In(signed(self._psum_width))
        super().__init__(members)

    @property
    def psum_width(self):
        return self._psum_width

    @property
    def accumulate(self):
        return self._accumulate

    @property
    def latency(self):
        return 1

    def elaborate(self, platform):
        m = Module()
        stat = Signal(signed(self._fmt.width), name="s")
        with m.If(self.load):
            m.d.sync += stat.eq(self.w_in)
        total = self.a_in * stat
        if self._accumulate:
            total = self.psum_in + total
        if self._psum_width < self._acc_width:       # exact in the array: plain wrap-around
            total = fit(total, self._psum_width, "wrap")
        else:
            total = fit(total, self._acc_width, self._overflow)
        with m.If(self.advance):
            m.d.sync += [self.psum_out.eq(total), self.a_out.eq(self.a_in)]
        return m


def _facts(cell):
    return {"latency_cycles": cell.latency, "acc_width": cell.acc_width,
            "psum_width": cell.psum_width, "product_width": 2 * cell.fmt.width}


def _psum_width_range(values):
    il, fl = values["il"], values["fl"]
    if values["psum_width"] is not None:
        check_int("psum_width", values["psum_width"], 2 * (il + fl),
                  _acc_width(il, fl, values["acc_width"]))


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
    params=(*NUMERIC_PARAMS,
            Param("psum_width", int, None, "partial-sum bits, from 2·(il+fl) to acc_width "
                  "(default acc_width)", optional=True),
            Param("accumulate", bool, True, "add a partial sum from above (false: the "
                  "array's top row)")),
    constraints=(*numeric_constraints("the systolic cell"),
                 Constraint(("psum_width", "acc_width", "il", "fl"),
                            "psum_width from 2·(il + fl) to acc_width", _psum_width_range)),
    toplevel="systolic_cell",
    testbench="tilewright.cosim.tb_systolic_cell",
    facts=_facts,
    stimulus="stream",
)
