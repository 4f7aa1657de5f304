"""GOBI: gradient-based optimisation of the acquisition on the input (TransCODE §IV-C).

The surrogate's weights are frozen; the query point x in the unit cube moves up the
acquisition function by L-BFGS (a quasi-Newton method: a second-order step from curvature
estimated from successive gradients, as BOSHCODE's "second-order gradients" — COSCO [38],
Liu & Nocedal [63]), projected back into the cube after every iteration. The result is
still continuous; :meth:`~.problem.Problem.snap` turns it into the nearest valid design.
"""

import torch

__all__ = ["gobi"]


def gobi(acquisition, x0, *, iterations=10, steps=5):
    """Maximise ``acquisition`` (tensor ``(n, d)`` → ``(n,)``) from the rows of ``x0``.

    Each of ``iterations`` rounds runs ``steps`` L-BFGS steps with a strong-Wolfe line
    search on the summed acquisition (rows are independent), then clamps to [0, 1].
    Returns the final points (a detached tensor of the shape of ``x0``).
    """
    x = torch.as_tensor(x0, dtype=torch.float32).clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = -acquisition(x).sum()
        loss.backward()
        return loss

    for _ in range(iterations):
        opt.step(closure)
        with torch.no_grad():
            x.clamp_(0.0, 1.0)
    return x.detach()
