import pytest

from tilewright.gen.layer_norm import LayerNorm
from tilewright.specs.layer_norm import GUARD


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"n": 12}, ValueError, "n must be a power of two from 2 to 1024, not 12"),
    ({"n": 1}, ValueError, "n must be an integer from 2 to 1024, not 1"),
    ({"n": 2048}, ValueError, "n must be an integer from 2 to 1024, not 2048"),
    ({"n": "8"}, TypeError, "n must be an integer, not '8'"),
    ({"il": 8, "fl": 16}, ValueError,
     "il + fl must be from 2 to 20 bits for the layer-norm unit, not 24"),
    ({"il": 1, "fl": 18}, ValueError, "fl must be an integer from 0 to 16, not 18"),
])
def test_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        LayerNorm(**kwargs)
    assert str(info.value) == msg


@pytest.mark.parametrize("n, il, fl", [(2, 2, 2), (16, 4, 16), (128, 8, 8), (1024, 20, 0)])
def test_cycle_formulas(n, il, fl):
    width = il + fl
    v_bits = max(2 * width + 1, LayerNorm.eps(fl).bit_length()) + 1
    assert LayerNorm.sqrt_cycles(width, fl) == (v_bits + 1) // 2 + 1
    assert LayerNorm.divider_cycles(fl) == 2 * fl + GUARD + 1
    total = 3 * n + LayerNorm.sqrt_cycles(width, fl) + 2 * fl + GUARD + 1
    assert LayerNorm.vector_cycles(n, il, fl) == total
    unit = LayerNorm(n=n, il=il, fl=fl)
    assert unit.cycles_per_vector == total and unit.latency == total - 2 * n + 2


def test_eps_is_torch_default():
    assert LayerNorm.eps(16) == round(1e-5 * 2**32) and LayerNorm.eps(2) == 1


def test_signature():
    unit = LayerNorm(n=8, il=8, fl=0)
    assert unit.i.payload.shape().size == 3 * 8 and unit.o.payload.shape().width == 8
