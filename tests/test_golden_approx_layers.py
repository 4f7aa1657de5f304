"""Table-driven approximate layers: bit-exact integer products, the exact table against
nn.Linear within quantization error, straight-through gradients, fine-tuning, assignment."""

import pytest
import torch
from torch import nn

from tilewright.golden.models.approx_layers import (ApproxLinear, ApproxMatmul, Matmul, Quantizer,
                                             approximate, calibrate, table_matmul)
from tilewright.golden.multiplier import approx_multiply, golden_table


@pytest.mark.parametrize("kind, bits, k", [("exact", 8, None), ("drum", 8, 3),
                                           ("mitchell", 6, 2), ("truncated", 4, 3)])
def test_table_matmul_is_the_sum_of_table_products(kind, bits, k):
    gen = torch.Generator().manual_seed(bits)
    hi = (1 << (bits - 1))
    a = torch.randint(-hi, hi, (3, 5, 17), generator=gen)
    b = torch.randint(-hi, hi, (17, 6), generator=gen)
    want = approx_multiply(a[..., :, None], b, kind, bits, k).sum(-2)
    assert torch.equal(table_matmul(a, b, golden_table(kind, bits, k), bits), want)


def _layer(seed, bias=True):
    torch.manual_seed(seed)
    return nn.Linear(24, 10, bias=bias).double()


def test_exact_table_matches_linear_to_quantization_error():
    linear = _layer(0)
    x = torch.randn(64, 24, dtype=torch.float64)
    layer = ApproxLinear(linear, golden_table("exact", 8), 8, percentile=100.0)
    with calibrate(layer):
        layer(x)
    y = layer(x)
    # the same integers multiplied exactly: equal to the fake-quantized float layer
    sx, sw = layer.act.scale(), layer.wq.scale(linear.weight)
    qx = torch.round(x / sx).clamp(-127, 127) * sx
    qw = torch.round(linear.weight / sw).clamp(-127, 127) * sw
    assert torch.allclose(y, qx @ qw.t() + linear.bias, rtol=1e-12, atol=1e-12)
    # and within the analytic quantization error of the float layer (nothing clipped)
    bound = (x.abs() @ torch.full((24, 10), float(sw) / 2, dtype=torch.float64)
             + (float(sx) / 2) * linear.weight.abs().sum(1)
             + 24 * float(sx) * float(sw) / 4)
    err = (y - linear(x)).abs()
    assert (err <= bound + 1e-12).all() and err.max() > 0


def test_approximate_table_changes_the_output():
    linear = _layer(1)
    x = torch.randn(32, 24, dtype=torch.float64)
    outs = []
    for kind in ("exact", "ssm"):
        layer = ApproxLinear(linear, golden_table(kind, 8), 8)
        with calibrate(layer):
            layer(x)
        outs.append(layer(x))
    assert not torch.allclose(outs[0], outs[1])


def test_straight_through_gradients():
    linear = _layer(2)
    layer = ApproxLinear(linear, golden_table("drum", 8, 4), 8)
    x = torch.randn(16, 24, dtype=torch.float64)
    with calibrate(layer):
        layer(x)
    x[0, 0] = 100.0                                   # clipped: no gradient there
    x.requires_grad_(True)
    g = torch.randn(16, 10, dtype=torch.float64)
    layer(x).backward(g)
    sx, sw = layer.act.scale(), layer.wq.scale(linear.weight)
    qx = torch.round(x.detach() / sx).clamp(-127, 127) * sx
    qw = torch.round(linear.weight.detach() / sw) * sw
    inside = torch.round(x.detach() / sx).abs() <= 127
    assert not inside[0, 0] and inside.sum() >= x.numel() - 2
    want_x = (g @ qw) * inside
    assert torch.allclose(x.grad, want_x)
    assert torch.allclose(linear.weight.grad, g.t() @ qx)
    assert torch.allclose(linear.bias.grad, g.sum(0))


def test_fine_tuning_loss_falls_through_an_approximate_layer():
    torch.manual_seed(3)
    teacher = nn.Linear(16, 8)
    student = nn.Sequential(nn.Linear(16, 8))
    with torch.no_grad():
        student[0].weight.copy_(teacher.weight + 0.3 * torch.randn_like(teacher.weight))
    approximate(student, golden_table("mitchell", 8, 4), 8)
    data = torch.randn(256, 16)
    with calibrate(student):
        student(data)
    opt = torch.optim.Adam(student.parameters(), lr=1e-2)
    losses = []
    for step in range(60):
        x = data[torch.randint(256, (32,))]
        loss = nn.functional.mse_loss(student(x), teacher(x).detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.2 * sum(losses[:5]) / 5


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.out = nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 4)
        self.scores = Matmul()

    def forward(self, x):
        return self.out(self.scores(self.q(x), self.k(x).transpose(-1, -2)) @ x)


def test_per_layer_assignment_and_matmul():
    torch.manual_seed(4)
    model = Tiny()
    x = torch.randn(2, 5, 8)
    reference = model(x)
    exact, drum = golden_table("exact", 8), golden_table("drum", 8, 3)
    assert approximate(model, {"q": drum, "scores": exact, "k": None}) == ["q", "scores"]
    assert isinstance(model.q, ApproxLinear) and isinstance(model.scores, ApproxMatmul)
    assert type(model.k) is nn.Linear and type(model.out) is nn.Linear
    with calibrate(model):
        calibrated = model(x)
    assert torch.equal(calibrated, reference)             # calibration runs in float
    y = model(x)
    assert y.shape == reference.shape and not torch.allclose(y, reference)
    with pytest.raises(ValueError) as info:
        approximate(Tiny(), {"v": drum})
    assert str(info.value) == "no nn.Linear or Matmul module named 'v'"


def test_matmul_gradients_are_straight_through():
    torch.manual_seed(6)
    mm = ApproxMatmul(golden_table("exact", 8), 8, percentile=100.0)
    a, b = torch.randn(3, 4, 5, dtype=torch.float64), torch.randn(3, 5, 2, dtype=torch.float64)
    with calibrate(mm):
        mm(a, b)
    a.requires_grad_(True)
    b.requires_grad_(True)
    g = torch.randn(3, 4, 2, dtype=torch.float64)
    mm(a, b).backward(g)
    qa = torch.round(a.detach() / mm.qa.scale()) * mm.qa.scale()
    qb = torch.round(b.detach() / mm.qb.scale()) * mm.qb.scale()
    assert torch.allclose(mm(a, b), qa @ qb, rtol=1e-12, atol=1e-12)
    assert torch.allclose(a.grad, g @ qb.transpose(-1, -2))
    assert torch.allclose(b.grad, qa.transpose(-1, -2) @ g)


def test_benchmark_runs(capsys):
    # Runs the benchmark end to end; its speed ratio is the benchmark's report, not a
    # unit-test assertion (a loaded CI machine can time either side slower).
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_approx_linear.py"
    spec = importlib.util.spec_from_file_location("bench_approx_linear", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    t_float, t_approx = bench.main(["--images", "1", "--depth", "1", "--repeats", "1"])
    assert t_float > 0 and t_approx > 0
    out = capsys.readouterr().out
    # one encoder block: qkv, proj, fc1, fc2 and the two attention matmuls
    assert "TinyViT depth 1, 6 approximate layers (drum, bits=8, k=None)" in out
    assert "approx:" in out and "top-1 agreement" in out


def test_uncalibrated_layer_is_an_error():
    layer = ApproxLinear(_layer(5), golden_table("exact", 8), 8)
    with pytest.raises(RuntimeError) as info:
        layer(torch.randn(2, 24, dtype=torch.float64))
    assert str(info.value) == ("quantizer is not calibrated: run the model inside "
                               "tilewright.golden.models.approx_layers.calibrate(model) first")


def test_percentile_calibration():
    q = Quantizer(8, percentile=99.0)
    q.calibrating = True
    q.observe(torch.arange(1, 101, dtype=torch.float32))
    q.finish()
    assert float(q.amax) == pytest.approx(99.01)
    assert float(q.scale()) == pytest.approx(99.01 / 127)
