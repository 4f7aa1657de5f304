"""BOSHCODE's heteroscedastic surrogate (TransCODE §II-C, §III-C; CODEBench BOSHCODE).

Three small networks on the unit-cube embedding of a pair:

- a **natural-parameter network** (NPN, Wang et al. 2016): every weight is a Gaussian
  (mean, variance) and every layer propagates the mean and variance of its activations in
  closed form (linear layers exactly, ReLU by moment matching); trained by the Gaussian
  negative log-likelihood, it predicts the mean performance μ(x) and the **aleatoric**
  variance σ_a²(x) (noise of the measurement itself: training recipes, initialisations);
- a **teacher** network with dropout, whose Monte-Carlo-dropout spread over the space is
  the **epistemic** uncertainty (what the data have not pinned down yet);
- a **student** network that learns the teacher's spread, so the epistemic term ξ(x) is a
  single differentiable forward pass for GOBI.

:meth:`Surrogate.ucb` combines them: UCB(x) = μ(x) + k_e·ξ(x) + k_a·σ_a(x).
Training is seeded and single-threaded, hence reproducible.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Surrogate", "SurrogateSettings", "NPN"]


@dataclass(frozen=True)
class SurrogateSettings:
    hidden: int = 32
    epochs: int = 200
    lr: float = 1e-2
    dropout: float = 0.2
    mc_samples: int = 32
    spread_points: int = 256
    k_epistemic: float = 0.5
    k_aleatoric: float = 0.5


class _NPNLinear(nn.Module):
    """A linear layer with Gaussian weights: (a_m, a_s) → (o_m, o_s)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.w_m = nn.Parameter(torch.randn(n_in, n_out) / math.sqrt(n_in))
        self.w_p = nn.Parameter(torch.full((n_in, n_out), -6.0))   # softplus → variance
        self.b_m = nn.Parameter(torch.zeros(n_out))
        self.b_p = nn.Parameter(torch.full((n_out,), -6.0))

    def forward(self, a_m, a_s):
        w_s, b_s = nn.functional.softplus(self.w_p), nn.functional.softplus(self.b_p)
        o_m = a_m @ self.w_m + self.b_m
        o_s = a_s @ (self.w_m ** 2 + w_s) + (a_m ** 2) @ w_s + b_s
        return o_m, o_s


def _relu_moments(m, s):
    """Mean and variance of ReLU(x) for x ~ N(m, s)."""
    sd = torch.sqrt(s + 1e-8)
    z = m / sd
    cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2)))
    pdf = torch.exp(-0.5 * z ** 2) / math.sqrt(2 * math.pi)
    mean = m * cdf + sd * pdf
    var = (m ** 2 + s) * cdf + m * sd * pdf - mean ** 2
    return mean, var.clamp_min(1e-8)


class NPN(nn.Module):
    """``x → (mean, variance)``, ``(n, outputs)`` each, with two hidden layers."""

    def __init__(self, d, hidden, outputs=1):
        super().__init__()
        self.l1, self.l2, self.l3 = (_NPNLinear(d, hidden), _NPNLinear(hidden, hidden),
                                     _NPNLinear(hidden, outputs))

    def forward(self, x):
        m, s = self.l1(x, torch.zeros_like(x))
        m, s = self.l2(*_relu_moments(m, s))
        m, s = self.l3(*_relu_moments(m, s))
        return m, s + 1e-6


def _mlp(d, hidden, outputs, dropout=0.0):
    return nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, outputs))


def _fit(params, loss_fn, epochs, lr):
    params = list(params)
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()


def _nll(mean_var, y):
    mean, var = mean_var
    return nn.functional.gaussian_nll_loss(mean, y, var)


class Surrogate:
    """Fit with :meth:`fit` ``(X, y)``; query :meth:`predict` and :meth:`ucb` (tensors).

    ``y`` is ``(n,)`` for one objective or ``(n, m)`` for ``m`` (one output each); the
    predictions have the same trailing shape.
    """

    def __init__(self, d, settings=SurrogateSettings(), seed=0):
        self.d, self.settings, self.seed = d, settings, seed

    def fit(self, x, y):
        s = self.settings
        x = torch.as_tensor(x, dtype=torch.float32)
        y = torch.as_tensor(y, dtype=torch.float32)
        self.single = y.dim() == 1
        y = y.reshape(len(y), -1)
        self.y_mean = y.mean(0)
        self.y_std = y.std(0).nan_to_num(1.0).clamp_min(1e-6) if len(y) > 1 else \
            torch.ones(y.shape[1])
        y = (y - self.y_mean) / self.y_std
        m = y.shape[1]
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            g = torch.manual_seed(self.seed)
            self.npn = NPN(self.d, s.hidden, m)
            _fit(self.npn.parameters(), lambda: _nll(self.npn(x), y), s.epochs, s.lr)
            self.teacher = _mlp(self.d, s.hidden, m, s.dropout)
            _fit(self.teacher.parameters(),
                 lambda: nn.functional.mse_loss(self.teacher(x), y), s.epochs, s.lr)
            # the teacher's MC-dropout spread on the data and across the space
            pts = torch.cat([x, torch.rand(s.spread_points, self.d, generator=g)])
            target = self._mc_spread(pts)
            self.student = _mlp(self.d, s.hidden, m)
            _fit(self.student.parameters(), lambda: nn.functional.mse_loss(
                nn.functional.softplus(self.student(pts)), target), s.epochs, s.lr)
            for net in (self.npn, self.teacher, self.student):
                net.eval()
                net.requires_grad_(False)
        finally:
            torch.set_num_threads(threads)
        return self

    @torch.no_grad()
    def _mc_spread(self, x):
        self.teacher.train()
        out = torch.stack([self.teacher(x) for _ in range(self.settings.mc_samples)])
        self.teacher.eval()
        return out.std(0)

    def predict(self, x):
        """``(mean, epistemic ξ, aleatoric σ_a)`` at points ``x`` (differentiable in x)."""
        x = torch.as_tensor(x, dtype=torch.float32)
        m, v = self.npn(x)
        xi = nn.functional.softplus(self.student(x))
        out = (self.y_mean + self.y_std * m, self.y_std * xi, self.y_std * v.sqrt())
        return tuple(t.squeeze(-1) for t in out) if self.single else out

    def ucb(self, x):
        m, xi, sa = self.predict(x)
        return m + self.settings.k_epistemic * xi + self.settings.k_aleatoric * sa
