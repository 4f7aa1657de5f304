"""Stimulus of the sparsity testbenches (pre-/post-compute sparsity, sparse MAC): dense
vectors, masks at a given sparsity, and zero-free operand pairs with junk in their unused
slots."""

import torch

from tilewright.cosim.stream import pack
from tilewright.golden.dynatran import mask_bits
from tilewright.golden.sparsity import compress

__all__ = ["SPARSITIES", "random_vector", "random_mask", "zero_free", "pair_word",
           "send_random_pairs"]

SPARSITIES = (0.0, 0.5, 0.9, 1.0, None)


def random_vector(rand, fmt, n):
    extremes = [fmt.min_int, fmt.max_int, -1, 1]
    return torch.tensor([rand.choice(extremes) if rand.random() < 0.2
                         else rand.randint(fmt.min_int, fmt.max_int) for _ in range(n)],
                        dtype=torch.int64)


def random_mask(rand, n, rho):
    """A mask (True = ineffectual) with ``round(rho·n)`` bits set, or random if ``None``."""
    if rho is None:
        return torch.tensor([rand.random() < 0.5 for _ in range(n)])
    ones = set(rand.sample(range(n), round(rho * n)))
    return torch.tensor([k in ones for k in range(n)])


def zero_free(rand, fmt, dense, mask):
    """Compressed vector with random junk in the slots after the effectual elements."""
    zf = compress(dense, mask)
    count = int((~mask).sum())
    zf[count:] = random_vector(rand, fmt, len(mask))[count:]
    return zf


def pair_word(rand, fmt, layout, a_dense, a_mask, b_dense, b_mask):
    """``(word, a, b)``: the zero-free vectors ``a`` and ``b`` of two dense operands and
    the input word (``PreSparsity.input_layout``) that carries them with their masks."""
    a = zero_free(rand, fmt, a_dense, a_mask)
    b = zero_free(rand, fmt, b_dense, b_mask)
    word = pack(layout, {"a": a.tolist(), "a_mask": mask_bits(a_mask),
                         "b": b.tolist(), "b_mask": mask_bits(b_mask)})
    return word, a, b


def send_random_pairs(bench, count, what):
    """Queue ``count`` random operand pairs on ``bench`` (its ``send(a_dense, a_mask,
    b_dense, b_mask, context)``), each operand at a sparsity drawn from ``SPARSITIES``."""
    rand, n, fmt = bench.rand, bench.unit.length, bench.unit.fmt
    for k in range(count):
        rho_a, rho_b = rand.choice(SPARSITIES), rand.choice(SPARSITIES)
        bench.send(random_vector(rand, fmt, n), random_mask(rand, n, rho_a),
                   random_vector(rand, fmt, n), random_mask(rand, n, rho_b),
                   f"({what} #{k}, ρ_a {rho_a}, ρ_b {rho_b})")
