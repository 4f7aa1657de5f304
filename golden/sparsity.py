"""Bit-exact models of the pre- and post-compute sparsity modules (AccelTran §III-B6,
Fig. 8): :class:`tilewright.gen.pre_sparsity.PreSparsity` and
:class:`tilewright.gen.post_sparsity.PostSparsity`.

Masks are boolean tensors, **True = ineffectual** (the papers' mask bit 1). A zero-free
vector of length ``n`` holds the effectual elements of a dense vector in order at the
front; the slots after them are ignored by the hardware (the models ignore them too).
"""

import torch

__all__ = ["compress", "expand", "pre_sparsity"]


def compress(dense, mask):
    """Dense vector + mask → zero-free vector of the same length (zeros after the
    effectual elements)."""
    dense = torch.as_tensor(dense, dtype=torch.int64)
    mask = torch.as_tensor(mask, dtype=torch.bool)
    kept = dense[~mask]
    return torch.cat([kept, torch.zeros(len(dense) - len(kept), dtype=torch.int64)])


def expand(zero_free, mask):
    """Post-compute sparsity: zero-free vector + mask → dense vector, 0 where masked."""
    zero_free = torch.as_tensor(zero_free, dtype=torch.int64)
    mask = torch.as_tensor(mask, dtype=torch.bool)
    dense = torch.zeros(len(mask), dtype=torch.int64)
    count = int((~mask).sum())
    dense[~mask] = zero_free[:count]
    return dense


def pre_sparsity(a, a_mask, b, b_mask):
    """Pre-compute sparsity of zero-free ``a``, ``b`` with their masks.

    Returns ``(a_eff, b_eff, mask, count)``: the operand pairs effectual in both vectors,
    collapsed to the front (zeros after them), the output mask (True where either is
    ineffectual, i.e. the AND of the effectual bits) and the number of effectual pairs.
    """
    a_mask = torch.as_tensor(a_mask, dtype=torch.bool)
    b_mask = torch.as_tensor(b_mask, dtype=torch.bool)
    mask = a_mask | b_mask
    a_dense, b_dense = expand(a, a_mask), expand(b, b_mask)
    return compress(a_dense, mask), compress(b_dense, mask), mask, int((~mask).sum())
