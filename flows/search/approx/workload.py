"""What a model multiplies: its approximable layers, their MAC counts, their grouping, and
the power of a multiplier assignment (TransAxx §III-B, §V-B "Power ↓").

Approximable layers are the ``nn.Linear`` and
:class:`~tilewright.golden.models.approx_layers.Matmul` modules whose names pass ``include``
(TransAxx §III-B approximates only the encoder blocks; the rest stays on the exact
multiplier). MACs per inference are counted with forward hooks on one input, in call
order, which is also the order layers are grouped in.
"""

import copy
from dataclasses import dataclass

from tilewright.golden.models.approx_layers import ApproxLinear, ApproxMatmul, approximate, calibrate
from tilewright.golden.multiplier import golden_table

__all__ = ["count_macs", "group_layers", "Workload", "PowerModel"]


def count_macs(model, sample, bits=8):
    """``{module name: MACs per inference}`` of every ``nn.Linear`` and ``Matmul`` of
    ``model`` on ``sample`` (a batch; counts are divided by its length), in call order.

    Counted on a copy whose layers are swapped for table-driven ones (models such as
    :class:`~tilewright.golden.models.encoder.Encoder` read an ``nn.Linear``'s weights
    instead of calling it; a swapped layer is always called), run in float."""
    probe = copy.deepcopy(model)
    approximate(probe, golden_table("exact", bits), bits)
    counts, hooks = {}, []
    for name, module in probe.named_modules():
        if isinstance(module, ApproxLinear):
            def hook(mod, inputs, out, name=name):
                counts[name] = counts.get(name, 0) + inputs[0].numel() * mod.out_features
        elif isinstance(module, ApproxMatmul):
            def hook(mod, inputs, out, name=name):
                counts[name] = counts.get(name, 0) + out.numel() * inputs[0].shape[-1]
        else:
            continue
        hooks.append(module.register_forward_hook(hook))
    with calibrate(probe):
        probe(sample)
    for h in hooks:
        h.remove()
    return {name: c // len(sample) for name, c in counts.items()}


def group_layers(macs, groups):
    """Split the layers of ``macs`` (call order) into ``groups`` contiguous groups of about
    equal MACs; a list of lists of names. ``groups`` from 1 to the number of layers."""
    names = list(macs)
    if not isinstance(groups, int) or isinstance(groups, bool) or not 1 <= groups <= len(names):
        raise ValueError(f"groups must be an integer from 1 to {len(names)} (the model's "
                         f"approximable layers), not {groups!r}")
    counts = [macs[n] for n in names]
    before = [sum(counts[:c]) for c in range(len(counts) + 1)]   # MACs ahead of cut c
    cuts, prev = [0], 0
    for g in range(1, groups):
        target = before[-1] * g / groups
        prev = min(range(prev + 1, len(names) - (groups - g) + 1),
                   key=lambda c: abs(before[c] - target))
        cuts.append(prev)
    cuts.append(len(names))
    return [names[lo:hi] for lo, hi in zip(cuts, cuts[1:])]


@dataclass(frozen=True)
class Workload:
    """The approximable layers by group, their MACs, and the MACs left on the exact
    multiplier (``other_macs``), per inference."""

    groups: tuple
    macs: dict
    other_macs: int

    @property
    def group_macs(self):
        return [sum(self.macs[n] for n in g) for g in self.groups]

    @property
    def approximable_share(self):
        """Fraction of the model's MACs in approximable layers (Table III "MACs approx.")."""
        total = sum(self.macs.values()) + self.other_macs
        return sum(self.macs.values()) / total

    @classmethod
    def of(cls, model, sample, include, groups):
        """Count ``model``'s MACs on ``sample``; approximable layers are those whose name
        ``include(name)`` accepts, split into ``groups`` groups."""
        macs = count_macs(model, sample)
        chosen = {n: c for n, c in macs.items() if include(n)}
        if not chosen:
            raise ValueError("model has no approximable layer (nn.Linear or Matmul "
                             "selected for approximation)")
        other = sum(c for n, c in macs.items() if n not in chosen)
        return cls(tuple(tuple(g) for g in group_layers(chosen, groups)), chosen, other)


class PowerModel:
    """Multiplier power of an assignment (one library entry per group), in mW.

    Energy per inference is Σ over layers of MACs × the assigned multiplier's measured
    pJ per product, plus the exact multiplier's pJ for the MACs outside the approximable
    layers. At ``lanes`` products per cycle and ``clock_mhz``, an inference takes
    ``total MACs / lanes`` cycles, so the power is
    ``energy / total MACs × lanes × clock`` (pJ × MHz = µW). Dynamic power only, as
    TransAxx Table III reports the MAC power.
    """

    def __init__(self, workload, entries, *, clock_mhz, lanes=1):
        if clock_mhz <= 0:
            raise ValueError(f"clock_mhz must be positive, not {clock_mhz!r}")
        if not isinstance(lanes, int) or lanes < 1:
            raise ValueError(f"lanes must be a positive integer, not {lanes!r}")
        self.workload, self.entries = workload, list(entries)
        self.clock_mhz, self.lanes = clock_mhz, lanes
        self.exact = next(i for i, e in enumerate(self.entries) if e.kind == "exact")
        self.total_macs = sum(workload.macs.values()) + workload.other_macs

    def energy_pj(self, assignment):
        """Multiplier energy of one inference (pJ)."""
        pj = [e.pj_per_product for e in self.entries]
        energy = self.workload.other_macs * pj[self.exact]
        for j, macs in zip(assignment, self.workload.group_macs):
            energy += macs * pj[j]
        return energy

    def power_mw(self, assignment):
        return self.energy_pj(assignment) / self.total_macs * self.lanes * self.clock_mhz * 1e-3

    @property
    def exact_mw(self):
        return self.power_mw([self.exact] * len(self.workload.groups))
