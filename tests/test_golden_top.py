"""The top's bit-exact model: every instruction against the block models applied by hand,
and the race check on FENCEs."""

import pytest
import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.dynatran import prune
from tilewright.golden.gelu import gelu_pwl
from tilewright.golden.layer_norm import layer_norm_fixed
from tilewright.golden.softmax import softmax_lut
from tilewright.golden.top import ProgramRace, TopModel
from tilewright.isa import FENCE_KINDS, Instruction, address

FMT = FixedFormat(4, 8)
ONE = 1 << FMT.fl
W = address("weight", 0)


def model(macs=4):
    return TopModel(fmt=FMT, macs=macs)


def rand(gen, *shape, scale=2.0):
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * scale
    return torch.round(x * ONE).clamp(FMT.min_int, FMT.max_int).to(torch.int64)


def run(top, program, memory):
    return top.run([*program, Instruction("END")], memory)


def lane_dot(top, u, v):
    a, b = top.lane.beats(u, v)
    return top.lane.dot(a, b)


@pytest.mark.parametrize("macs", [1, 4])
@pytest.mark.parametrize("flags", [(), ("BIAS",), ("BIAS", "GELU", "TRANSPOSE")])
def test_matmul_is_the_lanes_dot_products(macs, flags):
    gen = torch.Generator().manual_seed(macs + len(flags))
    x, y, z = 3, 6, 5
    a, b, c = rand(gen, x, y), rand(gen, z, y), rand(gen, x)
    mem = torch.cat([a.flatten(), b.flatten(), c])
    top = model(macs)
    program = [Instruction("LOAD", o=0, mem=0, n=x * y),
               Instruction("LOAD", o=W, mem=x * y, n=z * y),
               Instruction("LOAD", o=W + 100, mem=x * y + z * y, n=x),
               Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=3),
               Instruction("MATMUL", unit=1, flags=flags, a=0, b=W, c=W + 100, o=200, x=x,
                           y=y, z=z, so=8),
               Instruction("FENCE", unit=FENCE_KINDS["LANE"], x=1, n=1),
               Instruction("STORE", a=200, mem=0, n=8 * max(x, z))]
    out = run(top, program, torch.cat([mem, torch.zeros(64, dtype=torch.int64)]))
    want = torch.empty(x, z, dtype=torch.int64)
    for i in range(x):
        for j in range(z):
            u, v = a[i].tolist(), b[j].tolist()
            if "BIAS" in flags:
                m = macs
                pad = -(-y // m) * m - y
                u = u + [0] * pad + [ONE] + [0] * (m - 1)
                v = v + [0] * pad + [int(c[i])] + [0] * (m - 1)
            want[i, j] = lane_dot(top, u, v)
    if "GELU" in flags:
        want = gelu_pwl(want, FMT)
    if "TRANSPOSE" in flags:
        got = out[:z * 8].view(z, 8)[:, :x].T
    else:
        got = out[:x * 8].view(x, 8)[:, :z]
    assert torch.equal(got, want)


def test_vector_units_and_pruning():
    gen = torch.Generator().manual_seed(3)
    rows, n, tau = 4, 8, 40
    a, b = rand(gen, rows, n), rand(gen, rows, n)
    g, beta = rand(gen, n, scale=0.5), rand(gen, n, scale=0.5)
    top = model()
    mem = torch.cat([a.flatten(), b.flatten(), g, beta])
    program = [Instruction("LOAD", o=0, mem=0, n=len(mem)),
               Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=1),
               Instruction("ADD", unit=0, a=0, b=rows * n, o=100, x=rows, y=n, so=n),
               Instruction("SOFTMAX", pe=1, unit=0, flags=("PRUNE",), n=tau, a=0, o=200,
                           x=rows, y=n, so=n),
               Instruction("LAYERNORM", pe=1, a=rows * n, b=2 * rows * n,
                           c=2 * rows * n + n, o=300, x=rows, y=n, so=n),
               Instruction("PRUNE", pe=0, a=0, o=400, x=rows, y=n, so=n, n=tau),
               Instruction("FENCE"),
               Instruction("STORE", a=100, mem=0, n=rows * n),
               Instruction("STORE", a=200, mem=rows * n, n=rows * n),
               Instruction("STORE", a=300, mem=2 * rows * n, n=rows * n),
               Instruction("STORE", a=400, mem=3 * rows * n, n=rows * n)]
    image = torch.cat([mem, torch.zeros(4 * rows * n - len(mem), dtype=torch.int64)])
    out = run(top, program, image).view(4, rows, n)
    assert torch.equal(out[0], (a + b).clamp(FMT.min_int, FMT.max_int))
    soft, soft_mask = prune(softmax_lut(a, FMT.fl, 256, 16, FMT.fl), tau)
    assert torch.equal(out[1], soft)
    assert torch.equal(out[2], layer_norm_fixed(b, g, beta, FMT.fl, FMT.width))
    kept, mask = prune(a, tau)
    assert torch.equal(out[3], kept)
    assert torch.equal(top.mask(400, rows * n).view(rows, n), mask.to(torch.int64))
    assert torch.equal(top.mask(200, rows * n).view(rows, n), soft_mask.to(torch.int64))
    assert top.mask(100, rows * n).sum() == 0


def test_a_missing_fence_is_a_race():
    top = model()
    load = Instruction("LOAD", o=0, mem=0, n=8)
    add = Instruction("ADD", a=0, b=0, o=16, x=1, y=8, so=8)
    with pytest.raises(ProgramRace, match=r"instruction 1 \(ADD\) touches words that "
                                          r"instruction 0 \(LOAD, still running on "
                                          r"\('dma',\)\) uses: a FENCE is missing"):
        run(top, [load, add], torch.zeros(8, dtype=torch.int64))
    early = Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=0)
    with pytest.raises(ProgramRace):
        run(top, [load, early, add], torch.zeros(8, dtype=torch.int64))
    run(top, [load, Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=1), add],
        torch.zeros(8, dtype=torch.int64))


def test_a_fence_waits_for_one_unit_only():
    """Lane 1 of PE 0 may still run while the FENCE on lane 0 lets its reader go."""
    top = model()
    program = [Instruction("ADD", unit=0, a=0, b=0, o=16, x=1, y=8, so=8),
               Instruction("ADD", unit=1, a=0, b=0, o=32, x=1, y=8, so=8),
               Instruction("FENCE", unit=FENCE_KINDS["LANE"], x=0, n=1),
               Instruction("ADD", unit=2, a=16, b=16, o=48, x=1, y=8, so=8)]
    run(top, program, torch.zeros(1, dtype=torch.int64))
    with pytest.raises(ProgramRace, match="instruction 3"):
        run(top, [*program[:3], Instruction("ADD", unit=2, a=32, b=0, o=48, x=1, y=8,
                                            so=8)], torch.zeros(1, dtype=torch.int64))


def test_program_must_end():
    with pytest.raises(ValueError, match="program must end with END"):
        model().run([Instruction("LOAD", n=1)], torch.zeros(1, dtype=torch.int64))


def test_vector_instructions_take_a_tile_of_a_wider_matrix():
    """z is the input row stride: a 2×3 tile at column 2 of 4×8 matrices."""
    gen = torch.Generator().manual_seed(5)
    a, b = rand(gen, 4, 8), rand(gen, 4, 8)
    top = model()
    program = [Instruction("LOAD", o=0, mem=0, n=64),
               Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=1),
               Instruction("ADD", a=8 + 2, b=32 + 8 + 2, o=100, x=2, y=3, z=8, so=3),
               Instruction("PRUNE", a=8 + 2, o=200, x=2, y=3, z=8, so=3, n=300),
               Instruction("FENCE"),
               Instruction("STORE", a=100, mem=0, n=6),
               Instruction("STORE", a=200, mem=6, n=6)]
    out = run(top, program, torch.cat([a.flatten(), b.flatten()]))
    tile_a, tile_b = a[1:3, 2:5], b[1:3, 2:5]
    assert torch.equal(out[:6].view(2, 3), (tile_a + tile_b).clamp(FMT.min_int, FMT.max_int))
    assert torch.equal(out[6:12].view(2, 3), prune(tile_a, 300)[0])
