"""The result of a simulation: figures, per-op rows, and their JSON/CSV forms."""

import csv
import io
from dataclasses import dataclass, field

__all__ = ["Result", "OP_FIELDS"]

#: Columns of ``ops.csv`` (one row per op).
OP_FIELDS = ("name", "kind", "unit", "layer", "head", "phase", "tiles", "ready", "start",
             "end", "cycles", "busy_unit_cycles", "macs", "energy_pj", "compute_data_stall",
             "compute_units_stall", "memory_stall", "spilled_bytes")


@dataclass
class Result:
    """Cycles, time, energy (pJ), area (µm²) and stalls of one workload on one accelerator.

    ``energy_pj``: total energy by component (dynamic + leakage, + idle when not power
    gated); ``dynamic_energy_pj``, ``leakage_energy_pj``, ``idle_energy_pj``: totals under
    the hardware's power-gating setting; ``gating``: both settings' totals
    (``{"gated": ..., "ungated": ...}``); ``area_by_component_um2``; ``ops``: one dict per
    op (:data:`OP_FIELDS`); ``stalls``: cycles by kind; ``utilisation``: busy fraction per
    unit class; ``busy``: per class, busy intervals ``(start, end, units)`` for timelines.
    """

    hardware: object
    workload: object
    cycles: int
    clock_mhz: float
    energy_pj: dict
    dynamic_by_component_pj: dict
    dynamic_energy_pj: float
    leakage_energy_pj: float
    idle_energy_pj: float
    gating: dict
    area_by_component_um2: dict
    ops: list
    stalls: dict
    utilisation: dict
    units: dict
    busy: dict = field(repr=False, default_factory=dict)
    peak_buffer_bytes: dict = field(default_factory=dict)
    records: dict = field(repr=False, default_factory=dict)

    @property
    def latency_s(self):
        return self.cycles / (self.clock_mhz * 1e6)

    @property
    def total_energy_pj(self):
        return self.dynamic_energy_pj + self.leakage_energy_pj + self.idle_energy_pj

    @property
    def area_um2(self):
        return sum(self.area_by_component_um2.values())

    @property
    def throughput_seq_s(self):
        """Sequences per second (a batch per run)."""
        return self.workload.batch / self.latency_s

    @property
    def edp(self):
        """Energy-delay product in J·s."""
        return self.total_energy_pj * 1e-12 * self.latency_s

    @property
    def average_power_w(self):
        return self.total_energy_pj * 1e-12 / self.latency_s

    def summary(self):
        """The headline figures as a dict (what the CLI prints and report.json leads with)."""
        return {"model": self.workload.name, "accelerator": self.hardware.name,
                "batch": self.workload.batch, "seq": self.workload.seq,
                "train": self.workload.train, "cycles": self.cycles,
                "clock_mhz": self.clock_mhz, "latency_s": self.latency_s,
                "throughput_seq_s": self.throughput_seq_s,
                "energy_pj": self.total_energy_pj,
                "dynamic_energy_pj": self.dynamic_energy_pj,
                "leakage_energy_pj": self.leakage_energy_pj,
                "idle_energy_pj": self.idle_energy_pj,
                "average_power_w": self.average_power_w, "edp_js": self.edp,
                "area_um2": self.area_um2, "utilisation": self.utilisation,
                "stalls": self.stalls, "power_gating": self.hardware.power_gating}

    def to_dict(self):
        """Everything but the per-op rows and busy intervals, JSON-ready."""
        from dataclasses import asdict
        return {"summary": self.summary(), "hardware": asdict(self.hardware),
                "energy_by_component_pj": self.energy_pj,
                "dynamic_by_component_pj": self.dynamic_by_component_pj,
                "power_gating_variants": self.gating,
                "area_by_component_um2": self.area_by_component_um2,
                "units": self.units, "peak_buffer_bytes": self.peak_buffer_bytes,
                "cost_records": {role: {"block": r.block, "params": r.params, "key": r.key,
                                        "clock_mhz": r.clock_mhz, "technology": r.technology}
                                 for role, r in self.records.items()}}

    def ops_csv(self):
        out = io.StringIO()
        writer = csv.DictWriter(out, OP_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.ops)
        return out.getvalue()
