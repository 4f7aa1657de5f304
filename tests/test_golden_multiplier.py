"""Golden multiplier models against plain-integer restatements of the published
definitions; error metrics on known cases; the table importer and its errors."""

import random
from fractions import Fraction
from math import floor

import numpy as np
import pytest
import torch

from tilewright.specs.multiplier import KINDS, k_range
from tilewright.golden.multiplier import (TableError, approx_multiply, error_metrics,
                                          golden_table, load_table, operand_grid)


def unsigned_reference(kind, x, y, n, k):
    """Python ints only, one definition per kind (see gen/multiplier.py)."""
    if kind == "exact":
        return x * y
    if kind == "truncated":       # broken array: drop partial-product bits of columns < k
        return sum(1 << (i + j) for i in range(n) for j in range(n)
                   if (x >> i) & 1 and (y >> j) & 1 and i + j >= k)
    if kind == "mitchell":        # log2 v ≈ t + f, f truncated to k bits; linear antilog
        if x == 0 or y == 0:
            return 0
        logs = []
        for v in (x, y):
            t = v.bit_length() - 1
            f = Fraction(floor((Fraction(v, 1 << t) - 1) * (1 << k)), 1 << k)
            logs.append((t, f))
        t, f = logs[0][0] + logs[1][0], logs[0][1] + logs[1][1]
        return floor(2 ** t * (1 + f)) if f < 1 else floor(2 ** (t + 1) * f)

    def drum(v):                  # k bits from the leading one, lowest forced to 1
        if v < 1 << k:
            return v
        s = v.bit_length() - k
        return ((v >> s) | 1) << s

    def ssm(v):                   # low k bits if the high n-k bits are zero, else high k
        return v if v < 1 << k else (v >> (n - k)) << (n - k)
    approx = {"drum": drum, "ssm": ssm}[kind]
    return approx(x) * approx(y)


def reference(kind, a, b, n, k):
    p = unsigned_reference(kind, abs(a), abs(b), n, k)
    return -p if (a < 0) != (b < 0) else p


def knobs(kind, n):
    return [None] if kind == "exact" else list(range(k_range(kind, n)[0],
                                                     k_range(kind, n)[1] + 1))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [4, 5])
def test_exhaustive_small(kind, n):
    for k in knobs(kind, n):
        table = golden_table(kind, n, k)
        off = 1 << (n - 1)
        want = [[reference(kind, a, b, n, k) for b in range(-off, off)] for a in range(-off, off)]
        assert table.tolist() == want, f"{kind} n={n} k={k}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [6, 8, 11, 16])
def test_random_wide(kind, n):
    rand = random.Random(f"{kind}{n}")
    lo, hi = -(1 << (n - 1)), (1 << (n - 1)) - 1
    for k in knobs(kind, n):
        a = [rand.choice([lo, hi, 0, rand.randint(lo, hi)]) for _ in range(200)]
        b = [rand.randint(lo, hi) for _ in range(200)]
        got = approx_multiply(torch.tensor(a), torch.tensor(b), kind, n, k).tolist()
        assert got == [reference(kind, x, y, n, k) for x, y in zip(a, b)], f"{kind} n={n} k={k}"


def test_operands_out_of_range():
    with pytest.raises(ValueError) as info:
        approx_multiply(torch.tensor([8]), torch.tensor([1]), "drum", 4, 3)
    assert str(info.value) == "a must hold 4-bit signed integers from -8 to 7"


@pytest.mark.parametrize("n", [4, 8])
def test_exact_metrics_are_zero(n):
    assert set(error_metrics(golden_table("exact", n)).values()) == {0.0}


@pytest.mark.parametrize("n, ks", [(4, range(1, 4)), (6, range(1, 6)), (8, (1, 4, 7))])
def test_truncated_worst_case_is_the_analytic_bound(n, ks):
    for k in ks:
        metrics = error_metrics(golden_table("truncated", n, k))
        assert metrics["wce"] == (k - 1) * 2 ** k + 1
        assert metrics["nwce"] == metrics["wce"] / 2 ** (2 * n - 2)


def test_metrics_definitions_on_a_hand_made_table():
    n = 4
    table = golden_table("exact", n)
    table[8 + 3, 8 + 5] += 2          # 3·5 = 15 → 17
    table[8 - 8, 8 - 8] -= 4          # 64 → 60
    m = error_metrics(table)
    pairs = 256
    assert m["wce"] == 4 and m["ep"] == 2 / pairs
    assert m["mae"] == 6 / pairs and m["nmae"] == 6 / pairs / 64
    assert m["mse"] == 20 / pairs and m["bias"] == -2 / pairs
    assert m["mre"] == pytest.approx((2 / 15 + 4 / 64) / pairs)


def test_mitchell_error_within_its_published_bound():
    """Mitchell's relative error is at most 1 - 8/9 ≈ 11.1 % (always an underestimate)."""
    a, b = operand_grid(8)
    table, exact = golden_table("mitchell", 8), a * b
    nz = exact != 0
    rel = (exact[nz] - table[nz]).to(torch.float64) / exact[nz].to(torch.float64)
    assert float(rel.min()) >= 0 and float(rel.max()) <= 1 / 9 + 1e-12


# ---------------------------------------------------------------- importer
def test_load_from_callables_vectorised_and_scalar():
    table = golden_table("drum", 4, 3)
    assert torch.equal(load_table(lambda a, b: approx_multiply(a, b, "drum", 4, 3), 4), table)

    def scalar(a, b):
        if not isinstance(a, int):
            raise TypeError("ints only")
        return reference("drum", a, b, 4, 3)
    assert torch.equal(load_table(scalar, 4), table)


def test_load_npy_and_csv(tmp_path):
    table = golden_table("ssm", 4, 3)
    np.save(tmp_path / "t.npy", table.numpy().astype(np.int32))
    assert torch.equal(load_table(tmp_path / "t.npy", 4), table)
    np.save(tmp_path / "flat.npy", table.numpy().ravel())
    assert torch.equal(load_table(tmp_path / "flat.npy", 4), table)
    (tmp_path / "m.csv").write_text("\n".join(",".join(map(str, r)) for r in table.tolist()))
    assert torch.equal(load_table(tmp_path / "m.csv", 4), table)
    a, b = operand_grid(4)
    rows = list(zip(a.ravel().tolist(), b.ravel().tolist(), table.ravel().tolist()))
    random.Random(0).shuffle(rows)
    text = "\n".join(f"{x},{y},{p}" for x, y, p in rows)
    (tmp_path / "t.csv").write_text("a,b,product\n" + text)
    assert torch.equal(load_table(tmp_path / "t.csv", 4), table)


@pytest.mark.parametrize("make, message", [
    (lambda d: np.save(d / "x.npy", np.zeros((16, 15), np.int64)),
     "x.npy: shape must be (16, 16) for bits=4 (or 256 entries), not (16, 15)"),
    (lambda d: np.save(d / "x.npy", np.zeros((16, 16))),
     "x.npy: entries must be integers, not float64"),
    (lambda d: np.save(d / "x.npy", np.full((16, 16), 128)),
     "x.npy: products must fit 8-bit signed integers (-128 to 127); found 128 to 128"),
    (lambda d: (d / "x.csv").write_text("1,2\n3\n"),
     "x.csv: rows must all have the same number of entries"),
    (lambda d: (d / "x.csv").write_text("1,x\n3,4\n"),
     "x.csv: entries must be integers, not 'x'"),
    (lambda d: (d / "x.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe"), "x.csv: not a CSV text file"),
    (lambda d: (d / "x.csv").write_text("a,b\n"), "x.csv: no entries"),
    (lambda d: (d / "x.csv").write_text(f"1,{1 << 70}\n"),
     "x.csv: entries must be integers below 2**62 in magnitude"),
    (lambda d: (d / "x.npy").write_bytes(b"garbage"), "x.npy: not a NumPy .npy file of integers"),
    (lambda d: np.save(d / "x.npy", np.array([{"a": 1}], dtype=object)),
     "x.npy: not a NumPy .npy file of integers"),
    (lambda d: (d / "x.txt").write_text(""), "x.txt: a table file must end in .npy or .csv"),
])
def test_importer_errors(tmp_path, make, message):
    make(tmp_path)
    name = next(p for p in tmp_path.iterdir())
    with pytest.raises(TableError) as info:
        load_table(name, 4)
    assert str(info.value) == f"{tmp_path}/{message}"


def test_importer_callable_and_file_errors(tmp_path):
    def small(a, b):
        return a[:2] * b[:2]
    with pytest.raises(TableError) as info:
        load_table(small, 4)
    assert str(info.value) == "small: returned shape (2, 16), want (16, 16)"
    with pytest.raises(TableError) as info:
        load_table(tmp_path / "none.npy", 4)
    assert str(info.value) == f"{tmp_path}/none.npy: no such file"
    with pytest.raises(ValueError) as info:
        load_table(small, 12)
    assert str(info.value) == "bits must be an integer from 4 to 10, not 12"
    a, b = operand_grid(4)
    rows = [f"{x},{y},{x * y}" for x, y in zip(a.ravel().tolist(), b.ravel().tolist())]
    rows[1] = rows[0]
    (tmp_path / "dup.csv").write_text("\n".join(rows))
    with pytest.raises(TableError) as info:
        load_table(tmp_path / "dup.csv", 4)
    assert str(info.value) == f"{tmp_path}/dup.csv: operand pair (-8, -8) appears twice"
