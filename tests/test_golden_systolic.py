"""Golden model of the systolic array: exact GEMMs, wrap/saturate order, K-folds."""

import pytest
import torch

from tilewright.gen.systolic import SystolicArray
from tilewright.golden.fixed import quantize
from tilewright.golden.systolic import SystolicModel


def _rand(shape, lo, hi, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(lo, hi + 1, shape, generator=g, dtype=torch.int64)


@pytest.mark.parametrize("flow", ["ws", "is", "os"])
def test_int8_gemm_is_exact_matmul(flow):
    model = SystolicModel(SystolicArray(rows=4, cols=3, dataflow=flow))
    a, b = _rand((9, 11), -128, 127, 1), _rand((11, 7), -128, 127, 2)
    assert torch.equal(model.gemm(a, b), a @ b)     # 32 bits never overflow here


def test_wrap_matches_sequential_wrap():
    model = SystolicModel(SystolicArray(rows=2, cols=2, il=8, fl=0, acc_width=16))
    a, b = torch.full((1, 4), -128), torch.full((4, 1), -128)
    # 4 * 16384 = 65536 wraps to 0 in 16 bits
    assert model.accumulate(a, b).item() == 0
    assert model.gemm(a, b).item() == 0


def test_saturation_is_per_addition_in_ascending_k():
    model = SystolicModel(SystolicArray(rows=4, cols=1, dataflow="os", il=8, fl=0,
                                        acc_width=16, overflow="saturate"))
    a = torch.tensor([[-128, -128, -128, 127]])
    b = torch.tensor([[-128], [-128], [-128], [-128]])
    # 16384, 32767 (saturated), 32767, 32767 - 16256 = 16511; a plain sum would give 32896
    assert model.accumulate(a, b).item() == 16511
    assert model.gemm(a, b).item() == 16511


def test_k_folds_saturate_per_chunk_then_combine():
    model = SystolicModel(SystolicArray(rows=2, cols=1, dataflow="ws", il=8, fl=0,
                                        acc_width=16, overflow="saturate"))
    a = torch.tensor([[-128, -128, 127, 127]])
    b = torch.tensor([[-128], [-128], [-128], [-128]])
    # chunk 0: 16384 + 16384 -> 32767; chunk 1: -16256 - 16256 = -32512; sum 255
    assert model.gemm(a, b).item() == 32767 - 32512


def test_fixed_point_accumulator_has_twice_the_fraction_bits():
    array = SystolicArray(rows=2, cols=2, il=4, fl=4)
    assert array.acc_width == 32
    a = quantize(array.fmt, torch.tensor([[1.5, -0.25]]))
    b = quantize(array.fmt, torch.tensor([[2.0], [4.0]]))
    assert SystolicModel(array).gemm(a, b).item() == (3.0 - 1.0) * 2 ** 8
