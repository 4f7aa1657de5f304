"""DynaProp: pruning of activations on the forward pass and of gradients on the backward
pass during training (TransCODE §III-A).

:class:`DynaPropTap` is a :class:`~tilewright.golden.models.numerics.Numerics` tap: each
activation matrix is pruned at τ_I (``|v| < τ_I`` → 0; its derivative is 1 where kept and
0 where pruned) and the gradient arriving at it on the backward pass is pruned at τ_T
(``|g| < τ_T`` → 0) before it propagates further; zeros are counted per matrix.
"""

from collections import defaultdict

import torch

__all__ = ["dynaprop", "DynaPropTap"]


class _DynaProp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, tau_i, tau_t, stats):
        keep = x.abs() >= tau_i
        ctx.save_for_backward(keep)
        ctx.tau_t, ctx.stats = tau_t, stats
        return torch.where(keep, x, torch.zeros_like(x))

    @staticmethod
    def backward(ctx, grad):
        (keep,) = ctx.saved_tensors
        g = torch.where(grad.abs() >= ctx.tau_t, grad, torch.zeros_like(grad))
        if ctx.stats is not None:
            ctx.stats(g)
        return torch.where(keep, g, torch.zeros_like(g)), None, None, None


def dynaprop(x, tau_i, tau_t, on_grad=None):
    """Prune ``x`` at ``tau_i``; on backward, prune its incoming gradient at ``tau_t``
    (``on_grad(pruned_gradient)`` sees it) and pass it where ``x`` was kept."""
    return _DynaProp.apply(x, float(tau_i), float(tau_t), on_grad)


class DynaPropTap:
    """Numerics tap applying :func:`dynaprop` to every activation matrix; counts the
    activation zeros (forward) and gradient zeros (backward) per matrix name."""

    def __init__(self, tau_i, tau_t):
        self.tau_i, self.tau_t = float(tau_i), float(tau_t)
        self.act_zeros, self.act_total = defaultdict(int), defaultdict(int)
        self.grad_zeros, self.grad_total = defaultdict(int), defaultdict(int)

    def __call__(self, kind, name, x):
        if kind != "activation":
            return x
        y = dynaprop(x, self.tau_i, self.tau_t, lambda g: self._grad(name, g))
        self.act_zeros[name] += int((y == 0).sum())
        self.act_total[name] += y.numel()
        return y

    def _grad(self, name, g):
        self.grad_zeros[name] += int((g == 0).sum())
        self.grad_total[name] += g.numel()

    @staticmethod
    def _ratio(zeros, total):
        t = sum(total.values())
        return sum(zeros.values()) / t if t else 0.0

    def activation_sparsity(self):
        return self._ratio(self.act_zeros, self.act_total)

    def gradient_sparsity(self):
        """Fraction of zeros over every activation gradient seen on backward passes."""
        return self._ratio(self.grad_zeros, self.grad_total)

    def per_matrix(self):
        """``{name: (activation ρ, gradient ρ)}``."""
        return {k: (self.act_zeros[k] / self.act_total[k],
                    self.grad_zeros[k] / self.grad_total[k] if self.grad_total[k] else 0.0)
                for k in self.act_total}
