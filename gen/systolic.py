"""Systolic array of R×C multiply-accumulate PEs: weight-, input- or output-stationary.

The array computes GEMMs ``C[M×N] = A[M×K] · B[K×N]`` one *fold* at a time; the mapping
of the GEMM onto rows and columns is SCALE-Sim's (``Sr × Sc`` spatial, ``T`` streamed;
DESIGN.md §8) and PIVOT runs every linear layer of a ViT on a 64×36
input-stationary array (PIVOT §3.4, Table 1):

========  ===================================  =========  =========  ======
dataflow  PE (r, c) holds                      Sr         Sc         T
========  ===================================  =========  =========  ======
``ws``    weight ``B[k=r, n=c]``               K          N          M
``is``    input ``A[m=c, k=r]``                K          M          N
``os``    output ``C[m=r, n=c]``               M          N          K
========  ===================================  =========  =========  ======

Weight- and input-stationary share one datapath (input-stationary is weight-stationary on
the transposed problem ``Cᵀ = Bᵀ·Aᵀ``): the stationary tile ``S[R×C]`` is loaded row by
row on ``load`` (R beats of C operands, row 0 first), then T beats of R operands stream in
on ``i`` (``A`` rows for ``ws``, ``B`` columns for ``is``; ``last`` on the final one) and T
beats of C accumulators come out on ``o`` (the ``C`` rows or columns, ``X·S``). Output-
stationary streams K beats of an ``A`` column (R operands) and a ``B`` row (C operands)
on ``i`` and then drains the R×C tile as R beats (row 0 first) of C accumulators.

Operands are skewed inside the block (row r of the array sees its operand r cycles late,
column c c cycles late) and results de-skewed, so users stream plain rows and columns.
Each PE adds its product to the partial sum in ``acc_width`` bits, wrapping or saturating
on every addition, in ascending k order; outputs are raw accumulators (``2·fl`` fraction
bits). In ``ws``/``is`` row r holds its partial sum in only the
``min(acc_width, 2·(il+fl) + ⌈log2(r+1)⌉)`` bits it can ever need
(:mod:`tilewright.gen.systolic_cell`), which gives the same results. Partial sums of
different K-folds are added outside the array (in the output buffer, as SCALE-Sim
assumes), which :mod:`tilewright.cosim.gemm_driver` does.

Back-pressure: one global stall. When ``o`` is valid and not ready the whole array, the
skew/de-skew registers and the load/stream handshakes freeze for that cycle; with ``o``
ready the array runs at one beat per cycle, and input gaps travel through as bubbles.

Cycle model (``cycles`` = last output transfer minus first input transfer, in clock
cycles, at full rate; :meth:`SystolicArray.gemm_cycles`), for F folds of T beats:

- ``ws``/``is``: ``(F−1)·(R + T + max(C−2, 0)) + 2R + C + T − 1``. A fold loads R rows,
  streams T beats, and its last output leaves R + C cycles (the latency) after the last
  beat. The next fold's load cannot overlap the stream (one stationary buffer) but starts
  ``max(C−2, 0)`` cycles after it, as soon as the last wavefront has passed each row.
- ``os``: ``(F−1)·(K + R + C − 2) + 2R + C + K − 3``. The last wavefront reaches the
  bottom-right PE R + C − 2 cycles after the last beat; the drain then takes R cycles, and
  the next tile streams in while the previous one drains.

SCALE-Sim charges every fold separately, ``2R + C + T − 2`` (``ws``/``is``) and
``R + C + T − 2`` (``os``, which omits the drain its maintainers admit is missing).
This block differs because (1) it counts transfer to transfer, with one registered output
stage, (2) back-to-back folds overlap the drain of one with the load/stream of the next,
and (3) output-stationary pays the R-cycle drain.
"""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Param
from tilewright.fixedpoint import check_choice
from tilewright.gen.fixed_ops import fit
from tilewright.gen.systolic_cell import (NUMERIC_PARAMS, Accumulating, SystolicCell,
                                          numeric_constraints, row_cell_params)

__all__ = ["SystolicArray", "DATAFLOWS"]

DATAFLOWS = ("ws", "is", "os")
MAX_DIM = 64


def _ceil(a, b):
    return -(-a // b)


class SystolicArray(Accumulating, wiring.Component):
    """R×C systolic array with stream interfaces (see the module docstring).

    Parameters
    ----------
    rows, cols : int
        Array rows R and columns C, each from 1 to 64.
    dataflow : str
        ``"ws"`` (weight-stationary), ``"is"`` (input-stationary) or ``"os"``
        (output-stationary).
    il, fl : int
        Operand format (integer bits including sign, fraction bits), ``il + fl`` from 2
        to 24; ``il=8, fl=0`` is int8.
    acc_width : int or None
        Accumulator bits, from ``2·(il+fl)`` to 56; ``None`` means ``max(32, 2·(il+fl))``.
    overflow : str
        ``"wrap"`` or ``"saturate"`` at every accumulation.

    Latency (:meth:`pipeline_latency`) is R + C cycles from the edge accepting a beat on
    ``i`` to the edge where its output beat is valid (``ws``/``is``), R + C − 1 from a
    fold's last beat to its first output row (``os``); throughput is one beat (R·C
    multiply-accumulates) per cycle.

    Members
    -------
    load : In(stream.Signature(ArrayLayout(signed(il+fl), C)))
        ``ws``/``is`` only: one row of the stationary tile per beat, R beats per fold.
    i : In(stream.Signature(...))
        ``ws``/``is``: ``data`` (R operands) and ``last``; ``os``: ``a`` (R operands),
        ``b`` (C operands) and ``last``.
    o : Out(stream.Signature(ArrayLayout(signed(acc_width), C)))
        One row (``ws``, ``os``) or column (``is``) of partial sums per beat.
    """

    def __init__(self, *, rows=8, cols=8, dataflow="ws", il=8, fl=0, acc_width=None,
                 overflow="wrap"):
        BLOCK.check(locals())
        self._set_numerics(il, fl, acc_width, overflow)
        self._rows, self._cols, self._dataflow = rows, cols, dataflow
        fmt, acc_width = self._fmt, self._acc_width
        members = {"i": In(stream.Signature(self.input_layout(rows, cols, dataflow,
                                                                fmt.width))),
                   "o": Out(stream.Signature(data.ArrayLayout(signed(acc_width), cols)))}
        if dataflow != "os":
            members["load"] = In(stream.Signature(data.ArrayLayout(signed(fmt.width),
                                                                   cols)))
        super().__init__(members)

    # -- pure maths: nothing elaborated -------------------------------------------------

    @staticmethod
    def input_layout(rows, cols, dataflow, width):
        if dataflow == "os":
            return data.StructLayout({"a": data.ArrayLayout(signed(width), rows),
                                      "b": data.ArrayLayout(signed(width), cols),
                                      "last": 1})
        return data.StructLayout({"data": data.ArrayLayout(signed(width), rows), "last": 1})

    @staticmethod
    def mapping(m, k, n, dataflow):
        """SCALE-Sim's ``(Sr, Sc, T)`` of a GEMM ``A[m×k]·B[k×n]``."""
        check_choice("dataflow", dataflow, DATAFLOWS)
        return {"ws": (k, n, m), "is": (k, m, n), "os": (m, n, k)}[dataflow]

    @staticmethod
    def folds(rows, cols, m, k, n, dataflow):
        """``⌈Sr/R⌉·⌈Sc/C⌉``."""
        sr, sc, _ = SystolicArray.mapping(m, k, n, dataflow)
        return _ceil(sr, rows) * _ceil(sc, cols)

    @staticmethod
    def fold_usage(rows, cols, m, k, n, dataflow):
        """``(rows used, columns used)`` of every fold, in the tiling driver's order."""
        sr, sc, _ = SystolicArray.mapping(m, k, n, dataflow)
        return [(min(rows, sr - r0), min(cols, sc - c0))
                for c0 in range(0, sc, cols) for r0 in range(0, sr, rows)]

    @staticmethod
    def mapping_efficiency(rows, cols, m, k, n, dataflow):
        """SCALE-Sim's average over folds of used PEs / (R·C)."""
        usage = SystolicArray.fold_usage(rows, cols, m, k, n, dataflow)
        return sum(r * c for r, c in usage) / (len(usage) * rows * cols)

    @staticmethod
    def compute_utilisation(rows, cols, m, k, n, dataflow):
        """SCALE-Sim's average over folds of used PEs · T / (R·C · fold cycles)."""
        _, _, t = SystolicArray.mapping(m, k, n, dataflow)
        cycles = SystolicArray.fold_cycles(rows, cols, t, dataflow)
        return (SystolicArray.mapping_efficiency(rows, cols, m, k, n, dataflow)
                * t / cycles)

    @staticmethod
    def pipeline_latency(rows, cols, dataflow):
        """Cycles from the edge accepting the last input a result depends on to the edge
        where it is first valid: ``ws``/``is``, a streamed beat to its output beat,
        ``R + C``; ``os``, a fold's last beat to its first output row, ``R + C − 1``."""
        check_choice("dataflow", dataflow, DATAFLOWS)
        return rows + cols - (dataflow == "os")

    @staticmethod
    def fold_period(rows, cols, t, dataflow):
        """Cycles between the first input transfers of back-to-back folds, full rate."""
        check_choice("dataflow", dataflow, DATAFLOWS)
        if dataflow == "os":
            return t + rows + cols - 2
        return rows + t + max(cols - 2, 0)

    @staticmethod
    def fold_cycles(rows, cols, t, dataflow):
        """Cycles of one fold, first input transfer to last output transfer, full rate."""
        check_choice("dataflow", dataflow, DATAFLOWS)
        if dataflow == "os":
            return 2 * rows + cols + t - 3
        return 2 * rows + cols + t - 1

    @staticmethod
    def gemm_cycles(rows, cols, m, k, n, dataflow):
        """Cycles of a whole GEMM folded onto the array, folds back to back, full rate."""
        _, _, t = SystolicArray.mapping(m, k, n, dataflow)
        f = SystolicArray.folds(rows, cols, m, k, n, dataflow)
        return ((f - 1) * SystolicArray.fold_period(rows, cols, t, dataflow)
                + SystolicArray.fold_cycles(rows, cols, t, dataflow))

    @staticmethod
    def scalesim_fold_cycles(rows, cols, t, dataflow):
        """SCALE-Sim v2's cycles per fold (DESIGN.md §8), for comparison only."""
        check_choice("dataflow", dataflow, DATAFLOWS)
        return (rows if dataflow == "os" else 2 * rows) + cols + t - 2

    @staticmethod
    def scalesim_gemm_cycles(rows, cols, m, k, n, dataflow):
        _, _, t = SystolicArray.mapping(m, k, n, dataflow)
        return (SystolicArray.folds(rows, cols, m, k, n, dataflow)
                * SystolicArray.scalesim_fold_cycles(rows, cols, t, dataflow))

    # -- properties ----------------------------------------------------------------------

    @property
    def rows(self):
        return self._rows

    @property
    def cols(self):
        return self._cols

    @property
    def dataflow(self):
        return self._dataflow

    @property
    def latency(self):
        return self.pipeline_latency(self._rows, self._cols, self._dataflow)

    @property
    def throughput(self):
        """Multiply-accumulates per cycle at full rate."""
        return self._rows * self._cols

    # -- hardware ------------------------------------------------------------------------

    def _mac(self, acc, a, b):
        return fit(acc + a * b, self._acc_width, self._overflow)

    @staticmethod
    def _skew(m, advance, value, depth, name):
        """``value`` delayed by ``depth`` advancing cycles."""
        for j in range(depth):
            reg = Signal.like(value, name=f"{name}_d{j}")
            with m.If(advance):
                m.d.sync += reg.eq(value)
            value = reg
        return value

    def elaborate(self, platform):
        m = Module()
        if self._dataflow == "os":
            self._elaborate_os(m)
        else:
            self._elaborate_stationary(m)
        return m

    def _elaborate_stationary(self, m):
        R, C, w = self._rows, self._cols, self._fmt.width
        advance = Signal()
        m.d.comb += advance.eq(~self.o.valid | self.o.ready)

        # Stationary tile (in the cells, tilewright.gen.systolic_cell), loaded one row per
        # beat, then streaming until `last`, then a wait of max(C-2, 0) cycles until the
        # last wavefront has passed every row.
        load_sel = Signal(R, init=1)        # one-hot: the row the next load beat writes
        loading, streaming, waiting = Signal(init=1), Signal(), Signal()
        gap = max(C - 2, 0)
        wait = Signal(range(max(gap, 2)))
        m.d.comb += [self.load.ready.eq(advance & loading),
                     self.i.ready.eq(advance & streaming)]
        load_fire = Signal()
        m.d.comb += load_fire.eq(self.load.valid & self.load.ready)
        with m.If(load_fire):
            m.d.sync += load_sel.eq(load_sel.rotate_left(1))
            with m.If(load_sel[R - 1]):
                m.d.sync += [loading.eq(0), streaming.eq(1)]
        with m.If(self.i.valid & self.i.ready & self.i.payload.last):
            m.d.sync += streaming.eq(0)
            if gap:
                m.d.sync += [waiting.eq(1), wait.eq(gap - 1)]
            else:
                m.d.sync += loading.eq(1)
        with m.If(waiting & advance):
            m.d.sync += wait.eq(wait - 1)
            with m.If(~wait.any()):
                m.d.sync += [waiting.eq(0), loading.eq(1)]

        take = Signal()
        m.d.comb += take.eq(self.i.valid & self.i.ready)
        psum = [None] * C
        for r in range(R):
            x = Signal(signed(w), name=f"x_{r}")
            m.d.comb += x.eq(Mux(take, self.i.payload.data[r], 0))
            a_in = self._skew(m, advance, x, r, f"skew_{r}")
            for c in range(C):
                cell = SystolicCell(**row_cell_params(
                    r, il=self._fmt.il, fl=self._fmt.fl, acc_width=self._acc_width,
                    overflow=self._overflow))
                m.submodules[f"pe_{r}_{c}"] = cell
                m.d.comb += [cell.advance.eq(advance), cell.load.eq(load_fire & load_sel[r]),
                             cell.w_in.eq(self.load.payload[c]), cell.a_in.eq(a_in)]
                if r:
                    m.d.comb += cell.psum_in.eq(psum[c])
                psum[c], a_in = cell.psum_out, cell.a_out

        valid = take
        for j in range(R + C - 1):
            valid = self._skew(m, advance, valid, 1, f"valid_{j}")
        # the bottom row's sums, de-skewed and registered in their own width, then
        # sign-extended to the accumulator's
        aligned = [self._skew(m, advance, psum[c], C - 1 - c, f"deskew_{c}") for c in range(C)]
        out = [Signal.like(psum[c], name=f"out_{c}") for c in range(C)]
        with m.If(advance):
            m.d.sync += self.o.valid.eq(valid)
            m.d.sync += [out[c].eq(aligned[c]) for c in range(C)]
        m.d.comb += [self.o.payload[c].eq(out[c]) for c in range(C)]

    def _elaborate_os(self, m):
        R, C, w = self._rows, self._cols, self._fmt.width
        emitting, draining = Signal(), Signal()
        advance = Signal()
        wait = Signal(range(R + C + 1))
        row = Signal(range(max(R, 2)))
        sel = Signal(range(max(R, 2)))
        m.d.comb += [
            emitting.eq((wait == 1) | draining),
            advance.eq(~emitting | self.o.ready),
            self.i.ready.eq(advance & (wait <= 1)),
            self.o.valid.eq(emitting),
            sel.eq(Mux(draining, row, 0)),
        ]
        take = Signal()
        fresh = Signal(init=1)
        m.d.comb += take.eq(self.i.valid & self.i.ready)
        with m.If(advance):
            with m.If(take & self.i.payload.last):
                m.d.sync += wait.eq(R + C - 1)
            with m.Elif(wait.any()):
                m.d.sync += wait.eq(wait - 1)
            with m.If(take):
                m.d.sync += fresh.eq(self.i.payload.last)
            with m.If(emitting):
                with m.If(sel == R - 1):
                    m.d.sync += [draining.eq(0), row.eq(0)]
                with m.Else():
                    m.d.sync += [draining.eq(1), row.eq(sel + 1)]

        b_in = []
        for c in range(C):
            y = Signal(signed(w), name=f"y_{c}")
            m.d.comb += y.eq(Mux(take, self.i.payload.b[c], 0))
            b_in.append(self._skew(m, advance, y, c, f"bskew_{c}"))
        acc = [[Signal(signed(self._acc_width), name=f"acc_{r}_{c}") for c in range(C)]
               for r in range(R)]
        for r in range(R):
            x, first = Signal(signed(w), name=f"x_{r}"), Signal(name=f"first_{r}")
            m.d.comb += [x.eq(Mux(take, self.i.payload.a[r], 0)), first.eq(take & fresh)]
            a_in = self._skew(m, advance, x, r, f"askew_{r}")
            f_in = self._skew(m, advance, first, r, f"fskew_{r}")
            for c in range(C):
                with m.If(advance):
                    m.d.sync += acc[r][c].eq(self._mac(Mux(f_in, 0, acc[r][c]), a_in,
                                                       b_in[c]))
                if c < C - 1:
                    a_reg = Signal(signed(w), name=f"a_{r}_{c}")
                    f_reg = Signal(name=f"f_{r}_{c}")
                    with m.If(advance):
                        m.d.sync += [a_reg.eq(a_in), f_reg.eq(f_in)]
                    a_in, f_in = a_reg, f_reg
                if r < R - 1:
                    b_reg = Signal(signed(w), name=f"b_{r}_{c}")
                    with m.If(advance):
                        m.d.sync += b_reg.eq(b_in[c])
                    b_in[c] = b_reg

        with m.Switch(sel):
            for r in range(R):
                with m.Case(r):
                    m.d.comb += [self.o.payload[c].eq(acc[r][c]) for c in range(C)]


def _facts(array):
    return {"dataflow": array.dataflow, "pes": array.rows * array.cols,
            "latency_cycles": array.latency, "macs_per_cycle": array.throughput,
            "acc_width": array.acc_width, "product_width": 2 * array.fmt.width}


BLOCK = Block(
    name="systolic",
    summary="R×C systolic array, weight-/input-/output-stationary (PIVOT §3.4, SCALE-Sim)",
    component=SystolicArray,
    params=(
        Param("rows", int, 8, "array rows R, from 1 to 64", low=1, high=MAX_DIM),
        Param("cols", int, 8, "array columns C, from 1 to 64", low=1, high=MAX_DIM),
        Param("dataflow", str, "ws", "weight-, input- or output-stationary", DATAFLOWS),
        *NUMERIC_PARAMS,
    ),
    constraints=numeric_constraints("the systolic array"),
    toplevel="systolic",
    testbench="tilewright.cosim.tb_systolic",
    facts=_facts,
    stimulus="gemm_throughput",
    # Verilator's merge_cond pass grows faster than linearly with the array (15.1 s of
    # 16.6 s verilating a 24x24 array); without it PIVOT's 64x36 verilates in ~11 s.
    verilator_args=("-fno-merge-cond",),
)
