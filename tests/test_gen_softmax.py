import pytest

from tilewright.gen.softmax import Softmax


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"t": 0}, ValueError, "t must be an integer from 1 to 512, not 0"),
    ({"t": 513}, ValueError, "t must be an integer from 1 to 512, not 513"),
    ({"t": 4.0}, TypeError, "t must be an integer, not 4.0"),
    ({"il": 0, "fl": 0}, ValueError, "il must be an integer from 1 to 32, not 0"),
    ({"il": 8, "fl": 20}, ValueError,
     "il + fl must be from 2 to 24 bits for the softmax unit, not 28"),
    ({"lut_depth": 100}, ValueError, "lut_depth must be a power of two from 2 to 4096, not 100"),
    ({"lut_depth": 8192}, ValueError, "lut_depth must be an integer from 2 to 4096, not 8192"),
    ({"exp_bits": 1}, ValueError, "exp_bits must be an integer from 2 to 20, not 1"),
    ({"out_fl": 21}, ValueError, "out_fl must be an integer from 1 to 20, not 21"),
    ({"heads": 17}, ValueError, "heads must be an integer from 1 to 16, not 17"),
    ({"heads": "2"}, TypeError, "heads must be an integer, not '2'"),
])
def test_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        Softmax(**kwargs)
    assert str(info.value) == msg


@pytest.mark.parametrize("t, out_fl, q", [(1, 4, 4 + 1 + 1), (16, 16, 16 + 5 + 1),
                                          (197, 10, 10 + 8 + 1), (512, 20, 20 + 10 + 1)])
def test_cycle_formulas(t, out_fl, q):
    assert Softmax.guard_bits(t) == q - out_fl - 1 and (t >> Softmax.guard_bits(t)) == 0
    assert Softmax.divider_cycles(t, out_fl) == q
    # TReX Fig. 9: t max-select + t exponent + reciprocal + t divide
    assert Softmax.vector_cycles(t, out_fl) == 3 * t + q
    unit = Softmax(t=t, out_fl=out_fl)
    assert unit.cycles_per_vector == 3 * t + q and unit.latency == t + q + 2


def test_sum_bound():
    # t/2 + t·2**-G LSB of 2**-out_fl: half an LSB of rounding per output, < 1 LSB in all
    # from the truncated reciprocal
    assert Softmax.sum_bound(1, 8) == (0.5 + 0.5) / 256
    assert Softmax.sum_bound(197, 16) == (98.5 + 197 / 256) / 65536


@pytest.mark.parametrize("fl, depth, e, step", [(16, 256, 16, 4096), (0, 16, 8, 1),
                                                (10, 1024, 12, 16), (4, 2, 4, 32)])
def test_lut_covers_the_range(fl, depth, e, step):
    shift = Softmax.lut_geometry(fl, depth, e)
    assert 1 << shift == step
    reach = (e + 1) * 0.6931471805599453 * (1 << fl)
    assert depth * step >= reach and (step == 1 or depth * step / 2 < reach)
    table = Softmax.lut(fl, depth, e)
    assert table[0] == 1 << e and table == sorted(table, reverse=True)


def test_signature():
    unit = Softmax(t=8, il=8, fl=0, out_fl=7, heads=3)
    assert unit.i.payload.shape().size == 3 * 8
    assert unit.o.payload.shape().size == 3 * 8
