import torch

from tilewright.golden.models.dynaprop import DynaPropTap, dynaprop
from tilewright.golden.models import Encoder, EncoderConfig, Numerics


def test_forward_prunes_at_tau_i_backward_at_tau_t():
    x = torch.tensor([0.05, -0.2, 0.3, -0.01, 1.0], dtype=torch.float64, requires_grad=True)
    seen = []
    y = dynaprop(x, 0.1, 0.5, seen.append)
    assert y.tolist() == [0.0, -0.2, 0.3, 0.0, 1.0]
    upstream = torch.tensor([0.9, 0.4, -0.6, 2.0, 0.5], dtype=torch.float64)
    y.backward(upstream)
    assert seen[0].tolist() == [0.9, 0.0, -0.6, 2.0, 0.5]      # |g| < τ_T pruned
    assert x.grad.tolist() == [0.0, 0.0, -0.6, 0.0, 0.5]       # and none where x was pruned


def test_training_step_reports_gradient_sparsity():
    torch.manual_seed(0)
    model = Encoder(EncoderConfig(kind="vit", layers=2, hidden=16, heads=2, ff=16))
    tap = DynaPropTap(0.01, 1e-4)
    model.numerics = Numerics(taps=[tap])
    loss = torch.nn.functional.cross_entropy(model(torch.rand(8, 1, 8, 8)),
                                             torch.randint(0, 10, (8,)))
    loss.backward()
    assert 0 < tap.gradient_sparsity() < 1 and 0 < tap.activation_sparsity() < 1
    per = tap.per_matrix()
    assert per["layers.1.ff2"][1] > 0
    assert all(p.grad is not None for p in model.layers[0].parameters())
    dense = DynaPropTap(0.0, 0.0)
    model.numerics = Numerics(taps=[dense])
    torch.nn.functional.cross_entropy(model(torch.rand(8, 1, 8, 8)),
                                      torch.randint(0, 10, (8,))).backward()
    assert dense.gradient_sparsity() < tap.gradient_sparsity()


def test_gradients_flow_through_quantization_ste():
    from tilewright.fixedpoint import FixedFormat
    torch.manual_seed(0)
    model = Encoder(EncoderConfig(kind="vit", layers=1, hidden=8, heads=2, ff=8),
                    Numerics(fmt=FixedFormat(4, 8), taps=[DynaPropTap(0.0, 0.0)]))
    model(torch.rand(4, 1, 8, 8)).sum().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads)
    assert all(float(g.abs().sum()) > 0 for g in grads if g.numel() > 1)
