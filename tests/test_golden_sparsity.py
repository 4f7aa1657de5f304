"""Golden pre/post-compute sparsity models against plain-list restatements of Fig. 8."""

import random

import torch

from tilewright.golden.sparse_mac import SparseMacModel
from tilewright.golden.sparsity import compress, expand, pre_sparsity
from tilewright.gen.sparse_mac import SparseMac


def test_round_trip_and_junk_slots_ignored():
    rand = random.Random(7)
    for n in (1, 2, 5, 16):
        for _ in range(200):
            dense = [rand.randint(-50, 50) for _ in range(n)]
            mask = [rand.random() < 0.5 for _ in range(n)]
            zf = compress(dense, mask)
            count = n - sum(mask)
            assert zf[:count].tolist() == [v for v, m in zip(dense, mask) if not m]
            zf[count:] = 99
            assert expand(zf, mask).tolist() == [0 if m else v for v, m in zip(dense, mask)]


def test_pre_sparsity_against_reference():
    rand = random.Random(8)
    for n in (1, 3, 8, 16):
        for _ in range(300):
            a = [rand.randint(-9, 9) for _ in range(n)]
            b = [rand.randint(-9, 9) for _ in range(n)]
            am = [rand.random() < 0.5 for _ in range(n)]
            bm = [rand.random() < 0.5 for _ in range(n)]
            pairs = [(x, y) for x, y, p, q in zip(a, b, am, bm) if not (p or q)]
            a_eff, b_eff, mask, count = pre_sparsity(compress(a, am), am, compress(b, bm), bm)
            assert count == len(pairs)
            assert a_eff.tolist() == [x for x, _ in pairs] + [0] * (n - count)
            assert b_eff.tolist() == [y for _, y in pairs] + [0] * (n - count)
            assert mask.tolist() == [p or q for p, q in zip(am, bm)]


def test_sparse_mac_is_the_masked_dot_product():
    unit = SparseMac(length=10, multipliers=4, il=8, fl=0, acc_width=32)
    model = SparseMacModel(unit)
    rand = random.Random(9)
    for _ in range(200):
        a = [rand.randint(-5, 5) for _ in range(10)]
        b = [rand.randint(-5, 5) for _ in range(10)]
        am = [rand.random() < 0.4 for _ in range(10)]
        bm = [rand.random() < 0.4 for _ in range(10)]
        want = sum(x * y for x, y, p, q in zip(a, b, am, bm) if not (p or q))
        assert model.dot(compress(a, am), am, compress(b, bm), bm) == max(-128, min(127, want))
        beats = model.beats(compress(a, am), am, compress(b, bm), bm)[0].shape[0]
        effectual = sum(not (p or q) for p, q in zip(am, bm))
        assert beats == SparseMac.beats(effectual, 4) == max(1, -(-effectual // 4))


def test_all_masked_gives_one_beat_of_zeros():
    unit = SparseMac(length=4, multipliers=2, il=8, fl=0)
    ones = torch.ones(4, dtype=torch.bool)
    a, b = SparseMacModel(unit).beats([1, 2, 3, 4], ones, [5, 6, 7, 8], ones)
    assert a.tolist() == [[0, 0]] and b.tolist() == [[0, 0]]
