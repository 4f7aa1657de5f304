"""Bit-exact model of :class:`tilewright.gen.mac_lane.MacLane`."""

import torch

from tilewright.golden.fixed import fit, shift_right
from tilewright.golden.gelu import gelu_pwl
from tilewright.golden.multiplier import approx_multiply

__all__ = ["MacLaneModel"]


class MacLaneModel:
    """What a :class:`MacLane` with the same parameters outputs, computed in torch.

    Parameters
    ----------
    lane : MacLane
        The generator instance (only its parameters are read; nothing is elaborated).
    """

    def __init__(self, lane):
        self.lane = lane

    def dot(self, a, b):
        """Result of one dot product.

        ``a``, ``b``: integer tensors of shape ``(beats, M)``, the operands of each beat.
        The accumulator wraps or saturates after every beat, as in the RTL.
        """
        return int(self.dots(a, b))

    def dots(self, a, b):
        """Results of many dot products at once: ``a``, ``b`` of shape ``(..., beats, M)``
        → outputs of shape ``(...)``, each exactly as :meth:`dot` computes it."""
        lane = self.lane
        a = torch.as_tensor(a, dtype=torch.int64)
        b = torch.as_tensor(b, dtype=torch.int64)
        sums = self.products(a, b).sum(dim=-1)
        acc = torch.zeros(sums.shape[:-1], dtype=torch.int64)
        for beat in range(sums.shape[-1]):
            acc = fit(acc + sums[..., beat], lane.acc_width, lane.overflow)
        return self.output(acc)

    def products(self, a, b):
        """Element-wise products as the lane's multipliers compute them."""
        lane = self.lane
        if lane.multiplier == "exact":
            return a * b
        return approx_multiply(a, b, lane.multiplier, lane.fmt.width, lane.multiplier_k)

    def output(self, acc):
        """Accumulator value(s) → output word(s): round, fit, activation."""
        lane = self.lane
        fmt = lane.fmt
        q = fit(shift_right(acc, fmt.fl, lane.rounding), fmt.width, lane.overflow)
        if lane.activation == "relu":
            q = q.clamp(min=0)
        elif lane.activation == "gelu":
            q = gelu_pwl(q, fmt, lane.gelu_segments)
        return q

    def tile(self, w, a):
        """Tile product ``W[x×y] · A[y×z]`` streamed as dot products (row-major over
        ``(i, j)``), each padded with zeros to whole beats of M. Returns ``(x, z)`` outputs."""
        w = torch.as_tensor(w, dtype=torch.int64)
        a = torch.as_tensor(a, dtype=torch.int64)
        out = torch.empty((w.shape[0], a.shape[1]), dtype=torch.int64)
        for i in range(w.shape[0]):
            for j in range(a.shape[1]):
                out[i, j] = self.dot(*self.beats(w[i], a[:, j]))
        return out

    def beats(self, u, v):
        """Split vectors ``u``, ``v`` into zero-padded beats of M operands."""
        m = self.lane.multipliers
        n = -(-len(u) // m) * m
        pad = torch.zeros(n - len(u), dtype=torch.int64)
        return (torch.cat([torch.as_tensor(u), pad]).view(-1, m),
                torch.cat([torch.as_tensor(v), pad]).view(-1, m))
