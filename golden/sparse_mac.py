"""Bit-exact model of :class:`tilewright.gen.sparse_mac.SparseMac`: pre-compute sparsity
(:func:`tilewright.golden.sparsity.pre_sparsity`) then the MAC lane
(:class:`tilewright.golden.mac_lane.MacLaneModel`) over ``max(1, ⌈c/M⌉)`` beats."""

import torch

from tilewright.golden.mac_lane import MacLaneModel
from tilewright.golden.sparsity import pre_sparsity

__all__ = ["SparseMacModel"]


class SparseMacModel:
    """What a :class:`SparseMac` with the same parameters outputs."""

    def __init__(self, unit):
        self.unit = unit
        self.lane = MacLaneModel(unit.lane)

    def beats(self, a, a_mask, b, b_mask):
        """The lane beats ``(a_beats, b_beats)``, each ``(max(1, ⌈c/M⌉), M)``."""
        a_eff, b_eff, _, count = pre_sparsity(a, a_mask, b, b_mask)
        m = self.unit.multipliers
        n = max(1, -(-count // m)) * m
        pad = torch.zeros(n, dtype=torch.int64)
        a_pad, b_pad = pad.clone(), pad.clone()
        a_pad[:count], b_pad[:count] = a_eff[:count], b_eff[:count]
        return a_pad.view(-1, m), b_pad.view(-1, m)

    def dot(self, a, a_mask, b, b_mask):
        """Result of one dot product of zero-free vectors with their masks."""
        return self.lane.dot(*self.beats(a, a_mask, b, b_mask))
