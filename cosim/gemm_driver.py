"""Tiling driver: folds a GEMM ``A[M×K]·B[K×N]`` of any size onto a simulated
:class:`SystolicArray` and measures it (SCALE-Sim's folding and metrics, DESIGN.md §8).

Folds follow SCALE-Sim's mapping (``Sr × Sc`` spatial, ``T`` streamed): for ``ws`` the
folds run over (N-chunk, K-chunk), for ``is`` over (M-chunk, K-chunk), for ``os`` over
(M-chunk, N-chunk), with partial tiles padded with zeros. Every output beat is compared
with the golden model as it arrives; the partial sums of K-folds are added in ascending
order (the output buffer's job) and the assembled product is compared with
:meth:`SystolicModel.gemm`.

Measurements, per fold and in total, all from the transfer cycle stamps:

- ``cycles``: first input transfer of the fold (``load`` or ``i``) to its last output;
- latency (:meth:`GemmDriver.latencies`): from the transfer of the last input a result
  depends on to the result's transfer;
- ``mapping_efficiency``: used rows × used columns / (R·C);
- ``compute_utilisation``: used rows × used columns × T / (R·C·cycles), SCALE-Sim's
  ``compute_util_this_fold``.
"""

from dataclasses import dataclass

import cocotb
import torch
from amaranth.hdl import signed
from amaranth.lib import data
from cocotb.triggers import RisingEdge

from tilewright.cosim.bench import PERIOD_NS
from tilewright.cosim.scoreboard import Scoreboard
from tilewright.cosim.stream import StreamDriver, StreamMonitor, pack, to_signed
from tilewright.gen.systolic import SystolicArray
from tilewright.golden.systolic import SystolicModel

__all__ = ["Fold", "GemmDriver"]


@dataclass
class Fold:
    """One fold: where its tile sits in the GEMM and how much of the array it uses."""

    index: int
    rows_used: int
    cols_used: int
    t: int
    out_slice: tuple        # (m0, m1, n0, n1) of C this fold's outputs cover
    k_chunk: int            # which K-chunk (ws/is), 0 for os
    first_input: int = 0    # index of its first beat on the port that opens it
    beats: int = 0          # beats it sends on that port (load for ws/is, i for os)
    outputs: int = 0        # output beats it produces


class GemmDriver:
    """Drives one :class:`SystolicArray` DUT with folded GEMMs.

    Parameters
    ----------
    dut : the cocotb DUT.
    array : the :class:`SystolicArray` with the DUT's parameters.
    rand : ``random.Random`` for valid gaps and back-pressure.
    gap, stall : probabilities of an idle input cycle and of ``o.ready`` low.
    """

    def __init__(self, dut, array, rand, gap=0.0, stall=0.0):
        self.array, self.model = array, SystolicModel(array)
        a = array
        self.in_layout = SystolicArray.input_layout(a.rows, a.cols, a.dataflow, a.fmt.width)
        self.load_layout = data.ArrayLayout(signed(a.fmt.width), a.cols)
        self.board = Scoreboard("systolic", dut._log)
        self.driver = StreamDriver(dut, "i", dut.clk, PERIOD_NS, rand, gap)
        self.loader = (None if a.dataflow == "os"
                       else StreamDriver(dut, "load", dut.clk, PERIOD_NS, rand, gap))
        self.monitor = StreamMonitor(dut, "o", dut.clk, PERIOD_NS, rand, stall,
                                     callback=self._observe)
        self.outputs = []
        self.folds = []
        self.gemms = []     # (a, b, folds)

    def _observe(self, word, cycle):
        w = self.array.acc_width
        row = [to_signed(word >> (w * c), w) for c in range(self.array.cols)]
        self.outputs.append((row, cycle))
        self.board.observe(row, cycle)

    def start(self):
        cocotb.start_soon(self.driver.run())
        cocotb.start_soon(self.monitor.run())
        if self.loader:
            cocotb.start_soon(self.loader.run())

    # -- stimulus ------------------------------------------------------------------------

    def _pad(self, t, rows, cols):
        out = torch.zeros((rows, cols), dtype=torch.int64)
        out[:t.shape[0], :t.shape[1]] = t
        return out

    def gemm(self, a, b):
        """Queue every fold of ``A·B`` and the expected output beats."""
        a = torch.as_tensor(a, dtype=torch.int64)
        b = torch.as_tensor(b, dtype=torch.int64)
        arr = self.array
        R, C = arr.rows, arr.cols
        M, K = a.shape
        N = b.shape[1]
        folds = []
        if arr.dataflow == "os":
            for m0 in range(0, M, R):
                for n0 in range(0, N, C):
                    at = self._pad(a[m0:m0 + R], R, K)
                    bt = self._pad(b[:, n0:n0 + C], K, C)
                    fold = self._fold(min(R, M - m0), min(C, N - n0), K,
                                      (m0, min(M, m0 + R), n0, min(N, n0 + C)), 0)
                    for k in range(K):
                        self.driver.append(pack(self.in_layout, {
                            "a": at[:, k].tolist(), "b": bt[k].tolist(),
                            "last": int(k == K - 1)}))
                    fold.outputs = R
                    self._expect(self.model.accumulate(at, bt), fold)
                    folds.append(fold)
        else:
            # ws: S = B tile (k × n), X = A[:, k-chunk]; is: S = Aᵀ tile (k × m), X = Bᵀ
            lhs, rhs = (a, b) if arr.dataflow == "ws" else (b.T, a.T)
            T, other = lhs.shape[0], rhs.shape[1]
            for c0 in range(0, other, C):
                for k0 in range(0, K, R):
                    s = self._pad(rhs[k0:k0 + R, c0:c0 + C], R, C)
                    x = self._pad(lhs[:, k0:k0 + R], T, R)
                    span = (c0, min(other, c0 + C))
                    fold = self._fold(min(R, K - k0), span[1] - span[0], T,
                                      span if arr.dataflow == "is" else (0, T, *span),
                                      k0 // R)
                    for r in range(R):
                        self.loader.append(pack(self.load_layout, s[r].tolist()))
                    for t in range(T):
                        self.driver.append(pack(self.in_layout, {
                            "data": x[t].tolist(), "last": int(t == T - 1)}))
                    fold.outputs = T
                    self._expect(self.model.accumulate(x, s), fold)
                    folds.append(fold)
        self.gemms.append((a, b, folds))

    def _fold(self, rows_used, cols_used, t, out_slice, k_chunk):
        arr = self.array
        beats = t if arr.dataflow == "os" else arr.rows
        first = sum(f.beats for f in self.folds)
        fold = Fold(len(self.folds), rows_used, cols_used, t, out_slice, k_chunk, first,
                    beats)
        self.folds.append(fold)
        return fold

    def _expect(self, partial, fold):
        for n, row in enumerate(partial.tolist()):
            self.board.expect(row, f"(fold #{fold.index}, output beat {n})")

    async def drain(self, timeout_cycles=1_000_000):
        for _ in range(timeout_cycles):
            if self.driver.idle() and not self.board.expected:
                return
            await RisingEdge(self.driver.clk)
        raise AssertionError("timed out waiting for outputs")

    # -- results -------------------------------------------------------------------------

    def results(self):
        """Assembled products of every queued GEMM, K-fold partials added in order."""
        arr, done, products = self.array, 0, []
        for a, b, folds in self.gemms:
            M, N = a.shape[0], b.shape[1]
            c = torch.zeros((M, N), dtype=torch.int64)
            for fold in folds:
                rows = torch.tensor([o[0] for o in self.outputs[done:done + fold.outputs]],
                                    dtype=torch.int64)
                done += fold.outputs
                if arr.dataflow == "is":     # rows of Cᵀ: beat t is column t of C
                    m0, m1 = fold.out_slice
                    c[m0:m1] = self.model.combine(c[m0:m1], rows[:, :m1 - m0].T)
                else:
                    m0, m1, n0, n1 = fold.out_slice
                    part = rows[:m1 - m0, :n1 - n0]
                    c[m0:m1, n0:n1] = self.model.combine(c[m0:m1, n0:n1], part)
            products.append(c)
        return products

    def fold_report(self):
        """Per-fold measured cycles, mapping efficiency and compute utilisation."""
        arr, pes = self.array, self.array.rows * self.array.cols
        opener = self.driver if arr.dataflow == "os" else self.loader
        report, done = [], 0
        for fold in self.folds:
            first = opener.sent[fold.first_input]
            done += fold.outputs
            last = self.outputs[done - 1][1]
            cycles = last - first
            used = fold.rows_used * fold.cols_used
            report.append({"fold": fold.index, "first_cycle": first, "last_cycle": last,
                           "cycles": cycles, "t": fold.t,
                           "mapping_efficiency": used / pes,
                           "compute_utilisation": used * fold.t / (pes * cycles)})
        return report

    def latencies(self):
        """The set of cycles from the last input a result depends on to the result: for
        ``ws``/``is`` each output beat from its streamed beat on ``i``, for ``os`` each
        fold's first output beat from the fold's last beat on ``i``."""
        if self.array.dataflow != "os":
            return {out - acc for acc, (_, out) in zip(self.driver.sent, self.outputs)}
        found, done = set(), 0
        for fold in self.folds:
            last_input = self.driver.sent[fold.first_input + fold.beats - 1]
            found.add(self.outputs[done][1] - last_input)
            done += fold.outputs
        return found

    def total_cycles(self):
        opener = self.driver if self.array.dataflow == "os" else self.loader
        return self.outputs[-1][1] - opener.sent[0]
