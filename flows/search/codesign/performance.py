"""TransCODE's performance measure of an evaluated pair (§III-C).

    P = α(1 − latency) + β(1 − area) + γ(1 − dynamic energy) + δ(1 − leakage energy)
        + ε·accuracy,   α + β + γ + δ + ε = 1,

each hardware figure normalised by its maximum (so in [0, 1]); an invalid pair scores
P_MIN = −1 (§IV-C). The maxima are fixed for a run (:func:`reference_maxima`: the largest
figure over the space's corner pairs, see there), so a pair's score never changes as the
search goes on and runs with different methods or seeds compare directly; a figure above
its maximum is clipped to 1.
"""

from dataclasses import asdict, dataclass

__all__ = ["Weights", "P_MIN", "METRICS", "performance", "normalised"]

P_MIN = -1.0
#: Hardware figures of an evaluation record, in the order of the weights α, β, γ, δ.
METRICS = ("latency_s", "area_um2", "dynamic_energy_pj", "leakage_energy_pj")


@dataclass(frozen=True)
class Weights:
    """α..ε of §III-C; TransCODE §IV-C's defaults."""

    latency: float = 0.1
    area: float = 0.1
    dynamic_energy: float = 0.2
    leakage_energy: float = 0.1
    accuracy: float = 0.5

    def __post_init__(self):
        for name, v in asdict(self).items():
            if not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f"weights.{name} must be a number ≥ 0, not {v!r}")
        total = sum(asdict(self).values())
        if abs(total - 1) > 1e-9:
            raise ValueError(f"weights must sum to 1, not {total:g}")

    @property
    def hardware(self):
        return (self.latency, self.area, self.dynamic_energy, self.leakage_energy)


def normalised(record, maxima):
    """The record's hardware figures divided by ``maxima`` (by metric), clipped to 1."""
    return {m: min(record[m] / maxima[m], 1.0) for m in METRICS}


def performance(record, weights, maxima):
    """P of an evaluation ``record`` (``valid``, ``accuracy`` and :data:`METRICS`)."""
    if not record["valid"]:
        return P_MIN
    norm = normalised(record, maxima)
    return (sum(w * (1 - norm[m]) for w, m in zip(weights.hardware, METRICS))
            + weights.accuracy * record["accuracy"])
