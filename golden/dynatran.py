"""Bit-exact model of :class:`tilewright.gen.dynatran.DynaTran` (AccelTran §III-A,
§III-B5; TransCODE §III-A).

Masks are boolean tensors with **True = ineffectual** (the papers' mask bit 1).
"""

import torch

__all__ = ["prune", "sparsity", "transpose_tile", "mask_bits", "ThresholdCalculatorModel",
           "DynaTranModel"]


def prune(tile, tau):
    """DynaTran: keep ``v`` where ``|v| ≥ τ``, else 0. Returns ``(pruned, mask)``."""
    tile = torch.as_tensor(tile, dtype=torch.int64)
    keep = tile.abs() >= int(tau)
    return torch.where(keep, tile, torch.zeros_like(tile)), ~keep


def sparsity(tile):
    """The pruning ratio ρ of AccelTran §III-A: the fraction of zeros in ``tile``."""
    tile = torch.as_tensor(tile)
    return float((tile == 0).sum()) / tile.numel()


def transpose_tile(tile):
    """``b×x×y`` → ``b×y×x`` (TransCODE Fig. 4, the DynaProp transpose block)."""
    return torch.as_tensor(tile).transpose(-1, -2).contiguous()


def mask_bits(mask):
    """Boolean mask (any shape, row-major) → integer whose bit ``k`` is element ``k``."""
    word = 0
    for k, bit in enumerate(torch.as_tensor(mask).flatten().tolist()):
        word |= int(bit) << k
    return word


class ThresholdCalculatorModel:
    """Register file of ``points`` transfer-curve entries ``(ρ_k, τ_k)`` and the look-up rule
    of :mod:`tilewright.gen.dynatran`: the loaded point with the smallest ``ρ_k ≥ ρ``;
    otherwise the one with the largest ``ρ_k``; ties to the lowest index; none loaded → 0."""

    def __init__(self, points):
        self.curve = [None] * points

    def load(self, index, rho, tau):
        self.curve[index] = (int(rho), int(tau))

    def lookup(self, rho):
        loaded = [(k, p) for k, p in enumerate(self.curve) if p is not None]
        if not loaded:
            return 0
        above = [(p[0], k, p[1]) for k, p in loaded if p[0] >= rho]
        if above:
            return min(above)[2]
        return min((-p[0], k, p[1]) for k, p in loaded)[2]


class DynaTranModel:
    """What a :class:`DynaTran` with the same parameters outputs, tile by tile.

    Parameters
    ----------
    unit : DynaTran
        The generator instance (only its parameters are read).
    """

    def __init__(self, unit):
        self.unit = unit
        self.calculator = ThresholdCalculatorModel(unit.curve_points)

    def load(self, index, rho, tau):
        """A point written through the ``load`` stream."""
        self.calculator.load(index, rho, tau)

    def step(self, tile, tau=None, rho=None, transpose=False):
        """One tile (shape ``b×x×y``) → ``(pruned tile, mask, τ used)``; the pruned tile and
        the mask have the output shape (``b×y×x`` when transposed)."""
        tile = torch.as_tensor(tile, dtype=torch.int64).view(*self.unit.shape)
        if self.unit.threshold == "calculator":
            tau = self.calculator.lookup(rho)
        if transpose:
            tile = transpose_tile(tile)
        pruned, mask = prune(tile, tau)
        return pruned, mask, int(tau)

    def word(self, tile, tau=None, rho=None, transpose=False):
        """The expected output payload as a dict of plain integers."""
        pruned, mask, tau = self.step(tile, tau, rho, transpose)
        return {"tile": pruned.flatten().tolist(), "mask": mask_bits(mask), "tau": tau}
