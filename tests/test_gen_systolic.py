"""Systolic array generator: parameter checks, signature, and the closed-form cycle model
(its values against hand-derived timelines and SCALE-Sim's formulas, DESIGN.md §8)."""

import pytest

from tilewright.gen.systolic import SystolicArray


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"rows": 0}, ValueError, "rows must be an integer from 1 to 64, not 0"),
    ({"cols": 65}, ValueError, "cols must be an integer from 1 to 64, not 65"),
    ({"rows": 2.0}, TypeError, "rows must be an integer, not 2.0"),
    ({"dataflow": "rs"}, ValueError, "dataflow must be one of 'ws', 'is', 'os', not 'rs'"),
    ({"il": 16, "fl": 16}, ValueError,
     "il + fl must be from 2 to 24 bits for the systolic array, not 32"),
    ({"il": 0, "fl": 4}, ValueError, "il must be an integer from 1 to 32, not 0"),
    ({"acc_width": 15}, ValueError, "acc_width must be an integer from 16 to 56, not 15"),
    ({"acc_width": 57}, ValueError, "acc_width must be an integer from 16 to 56, not 57"),
    ({"overflow": "clip"}, ValueError, "overflow must be one of 'wrap', 'saturate', not 'clip'"),
])
def test_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        SystolicArray(**kwargs)
    assert str(info.value) == msg


def test_signature_stationary_and_output():
    ws = SystolicArray(rows=3, cols=5, dataflow="ws", il=8, fl=0)
    assert ws.acc_width == 32 and ws.latency == 8 and ws.throughput == 15
    assert ws.load.payload.shape().size == 5 * 8
    assert ws.i.payload.shape().size == 3 * 8 + 1
    assert ws.o.payload.shape().size == 5 * 32
    os_ = SystolicArray(rows=3, cols=5, dataflow="os", il=4, fl=16)
    assert os_.acc_width == 40 and os_.latency == 7
    assert not hasattr(os_, "load")
    assert os_.i.payload.shape().size == (3 + 5) * 20 + 1


@pytest.mark.parametrize("m, k, n, flow, mapping, folds", [
    (197, 384, 384, "is", (384, 197, 384), 6 * 6),      # DeiT-S QKV on PIVOT's 64x36
    (197, 384, 384, "ws", (384, 384, 197), 6 * 11),
    (197, 384, 384, "os", (197, 384, 384), 4 * 11),
    (1, 1, 1, "ws", (1, 1, 1), 1),
])
def test_mapping_and_folds(m, k, n, flow, mapping, folds):
    assert SystolicArray.mapping(m, k, n, flow) == mapping
    assert SystolicArray.folds(64, 36, m, k, n, flow) == folds


@pytest.mark.parametrize("r, c, t", [(1, 1, 1), (1, 1, 7), (2, 3, 4), (64, 36, 384), (5, 1, 2)])
def test_fold_cycles_against_timelines(r, c, t):
    # ws/is: R load beats, T stream beats, the last output R + C cycles after the last beat
    assert SystolicArray.fold_cycles(r, c, t, "ws") == (r + t - 1) + (r + c)
    assert SystolicArray.fold_cycles(r, c, t, "is") == SystolicArray.fold_cycles(r, c, t, "ws")
    # os: last beat at T-1, reaches PE (R-1, C-1) R+C-2 later, R drain beats follow
    assert SystolicArray.fold_cycles(r, c, t, "os") == (t - 1) + (r + c - 1) + (r - 1)
    # SCALE-Sim v2 per fold: 2R + C + T - 2 (ws/is), R + C + T - 2 (os)
    assert SystolicArray.scalesim_fold_cycles(r, c, t, "ws") == 2 * r + c + t - 2
    assert SystolicArray.scalesim_fold_cycles(r, c, t, "os") == r + c + t - 2
    # our ws/is fold is one cycle longer than SCALE-Sim's (registered output); os R - 1
    assert SystolicArray.fold_cycles(r, c, t, "ws") - SystolicArray.scalesim_fold_cycles(
        r, c, t, "ws") == 1
    assert SystolicArray.fold_cycles(r, c, t, "os") - SystolicArray.scalesim_fold_cycles(
        r, c, t, "os") == r - 1


def test_gemm_cycles_back_to_back():
    # one fold: the fold's own cycles
    assert SystolicArray.gemm_cycles(4, 4, 4, 4, 4, "ws") == 2 * 4 + 4 + 4 - 1
    # PIVOT: 36 folds of T = 384, period 64 + 384 + 34, last fold 2*64 + 36 + 384 - 1
    assert SystolicArray.gemm_cycles(64, 36, 197, 384, 384, "is") == 35 * 482 + 547
    assert SystolicArray.scalesim_gemm_cycles(64, 36, 197, 384, 384, "is") == 36 * 546
    # os: tiles overlap their drain with the next tile's stream
    assert SystolicArray.fold_period(3, 2, 5, "os") == 5 + 3 + 2 - 2
    assert SystolicArray.gemm_cycles(3, 2, 6, 5, 4, "os") == 3 * 8 + 2 * 3 + 2 + 5 - 3
    # 1x1 array, C = 1: no wait between folds
    assert SystolicArray.fold_period(1, 1, 3, "ws") == 1 + 3
