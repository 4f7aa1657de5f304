"""Bit-exact model of :class:`tilewright.gen.systolic.SystolicArray` and of a GEMM folded
onto it (SCALE-Sim's mapping, DESIGN.md §8)."""

import torch

from tilewright.golden.fixed import fit

__all__ = ["SystolicModel"]


class SystolicModel:
    """What a :class:`SystolicArray` with the same parameters computes, in torch.

    Parameters
    ----------
    array : SystolicArray
        The generator instance (only its parameters are read; nothing is elaborated).
    """

    def __init__(self, array):
        self.array = array

    def accumulate(self, lhs, rhs):
        """``lhs[P×Q] · rhs[Q×S]`` as the PEs compute it: products added one ``q`` at a
        time in ascending order from zero, wrapped or saturated to ``acc_width`` after
        every addition. Returns a ``torch.int64`` tensor ``(P, S)``."""
        lhs = torch.as_tensor(lhs, dtype=torch.int64)
        rhs = torch.as_tensor(rhs, dtype=torch.int64)
        width, overflow = self.array.acc_width, self.array.overflow
        if overflow == "wrap" and 2 * self.array.fmt.width + lhs.shape[1].bit_length() < 63:
            return fit(lhs @ rhs, width, overflow)     # exact in int64, wraps once
        acc = torch.zeros((lhs.shape[0], rhs.shape[1]), dtype=torch.int64)
        for q in range(lhs.shape[1]):
            acc = fit(acc + torch.outer(lhs[:, q], rhs[q]), width, overflow)
        return acc

    def combine(self, acc, partial):
        """Add a K-fold's partial sums to the running ones (the output buffer)."""
        return fit(torch.as_tensor(acc) + torch.as_tensor(partial), self.array.acc_width,
                   self.array.overflow)

    def gemm(self, a, b):
        """``A[M×K] · B[K×N]`` as the folded array produces it: ``ws``/``is`` split K into
        chunks of R (one fold each, combined in ascending order); ``os`` streams all of K."""
        a = torch.as_tensor(a, dtype=torch.int64)
        b = torch.as_tensor(b, dtype=torch.int64)
        if self.array.dataflow == "os":
            return self.accumulate(a, b)
        rows = self.array.rows
        out = torch.zeros((a.shape[0], b.shape[1]), dtype=torch.int64)
        for k0 in range(0, a.shape[1], rows):
            out = self.combine(out, self.accumulate(a[:, k0:k0 + rows], b[k0:k0 + rows]))
        return out
