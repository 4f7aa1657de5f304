import pytest

from tilewright.gen.gelu_unit import GeluUnit


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"lanes": 0}, ValueError, "lanes must be an integer from 1 to 64, not 0"),
    ({"lanes": 65}, ValueError, "lanes must be an integer from 1 to 64, not 65"),
    ({"il": 8, "fl": 20}, ValueError,
     "il + fl must be from 2 to 24 bits for the GeLU unit, not 28"),
    ({"gelu_segments": 48}, ValueError,
     "gelu_segments must be a power of two from 2 to 256, not 48"),
])
def test_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        GeluUnit(**kwargs)
    assert str(info.value) == msg


def test_cycles_and_signature():
    assert GeluUnit.stream_cycles(64, 16) == 4 and GeluUnit.stream_cycles(65, 16) == 5
    unit = GeluUnit(lanes=4, il=8, fl=0)
    assert unit.latency == 1 and unit.throughput == 4
    assert unit.i.payload.shape().size == 32 and unit.o.payload.shape().size == 32
