"""Sparsity of the workload's matrices, and what it does to the sparse MAC path.

The model takes sparsity as data: :class:`Sparsity` maps an op's ``matrix`` name (the golden
models' names, ``layers.0.q``) to ``(activation_rho, weight_rho)`` — the fraction of zeros
in the op's A operand (activations) and W operand (the weight, or the first operand of an
activation·activation product: Q of QKᵀ, P of P·V) after DynaTran pruning — optionally with
a third entry, the measured fraction of products whose operands are both non-zero (what
the pre-compute sparsity module keeps); without it the operands' zeros are taken as
independent. The fractions are measured on the golden models at a DynaTran threshold τ
(:func:`tilewright.golden.models.sparsity.measure_sparsity`, read by
:meth:`Sparsity.from_measured`), never assumed. A name the table lacks takes the mean of
the same op over the layers it has (``layers.7.q`` of a deeper model from the measured
``layers.*.q``), else it is dense.

Cycles: the pre-compute sparsity module collapses the effectual pairs of a vector of
``length`` slots; the lane then takes ``max(1, ⌈c/M⌉)`` beats for ``c`` effectual pairs
(:meth:`tilewright.gen.sparse_mac.SparseMac.beats`, as the sparse-MAC cosim measures).
With the effectual pairs spread evenly, ``c`` of a vector is binomial(``length``,
density): the model charges the expected beats, :func:`expected_beats`.
"""

import math
from functools import lru_cache

from tilewright.flows.model.errors import InvalidDesign
from tilewright.gen.sparse_mac import SparseMac

__all__ = ["Sparsity", "DENSE", "expected_beats"]

#: (activation, weight) operand indices of the golden models' (left, right) operands, for
#: the products whose weight or first operand is on the right.
_SWAPPED = ("s", "pv")


def _suffix(name):
    parts = name.split(".")
    return ".".join(parts[2:]) if parts[0] == "layers" and len(parts) > 2 else None


class Sparsity:
    """Per-matrix ``(activation_rho, weight_rho[, effectual])``; ``table`` a dict."""

    def __init__(self, table=None):
        self._table = {name: self._check(name, entry) for name, entry in (table or {}).items()}
        by_op = {}
        for name, entry in self._table.items():
            if _suffix(name) is not None:
                by_op.setdefault(_suffix(name), []).append(entry)
        self._mean = {op: tuple(sum(e[i] for e in entries) / len(entries) for i in range(3))
                      for op, entries in by_op.items()}

    @staticmethod
    def _check(name, entry):
        if (not isinstance(entry, (tuple, list)) or len(entry) not in (2, 3)
                or not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in entry)):
            raise InvalidDesign(f"sparsity[{name!r}]", f"must be (activation_rho, weight_rho"
                                                      f"[, effectual]) in [0, 1], not "
                                                      f"{entry!r}")
        a, w = float(entry[0]), float(entry[1])
        return a, w, float(entry[2]) if len(entry) == 3 else (1 - a) * (1 - w)

    @classmethod
    def from_measured(cls, measured):
        """From :func:`~tilewright.golden.models.sparsity.measure_sparsity`'s result
        (op name → an object with ``rho``, ``rho_operands`` and ``effectual``)."""
        table = {}
        for name, m in measured.items():
            if m.rho_operands is not None:
                left, right = m.rho_operands
                a, w = (right, left) if name.rsplit(".", 1)[-1] in _SWAPPED else (left, right)
                table[name] = (a, w, m.effectual)
            else:
                table[name] = (m.rho, 0.0)
        return cls(table)

    def _entry(self, matrix):
        if matrix in self._table:
            return self._table[matrix]
        return self._mean.get(_suffix(matrix), (0.0, 0.0, 1.0))

    def of(self, matrix):
        """``(activation_rho, weight_rho)`` of ``matrix``."""
        return self._entry(matrix)[:2]

    def effectual(self, matrix):
        """Fraction of ``matrix``'s products whose operands are both non-zero."""
        return self._entry(matrix)[2]


DENSE = Sparsity()


@lru_cache(maxsize=4096)
def expected_beats(length, density, multipliers):
    """Expected lane beats of one vector of ``length`` slots whose pairs are each
    effectual with probability ``density``: E[max(1, ⌈c/M⌉)], c ~ binomial."""
    if density >= 1:
        return SparseMac.beats(length, multipliers)
    if density <= 0:
        return 1.0
    total, log_p, log_q = 0.0, math.log(density), math.log1p(-density)
    for c in range(length + 1):
        log_pmf = (math.lgamma(length + 1) - math.lgamma(c + 1) - math.lgamma(length - c + 1)
                   + c * log_p + (length - c) * log_q)
        total += math.exp(log_pmf) * SparseMac.beats(c, multipliers)
    return total
