"""Memories: main-memory technologies and the on-chip SRAM model.

These are the model's only figures not measured on our RTL; each is a published figure,
cited here, and every main-memory figure can be overridden in the ``[accelerator.memory]``
table of a config.

Main memory (per channel; a configuration's channels multiply the bandwidth):

- ``lpddr3``: AccelTran Table II gives 25.6 GB/s for one LP-DDR3-1600 channel. Energy per
  bit: AccelTran Table III charges 2.91 W of main-memory power to AccelTran-Edge, whose one
  channel moves at most 25.6 GB/s = 204.8 Gb/s, so at least 2.91 W / 204.8 Gb/s =
  14.2 pJ/bit (the figure the paper's own numbers imply when the channel is saturated).
  Latency: JESD209-3 LPDDR3-1600, tRCD 18 ns + read latency 12 clocks at 800 MHz (15 ns)
  = 33 ns.
- ``hbm2``: JESD235A, a 128-bit pseudo-channel pair at 2 Gb/s per pin = 32 GB/s per
  channel; 3.97 pJ/bit (O'Connor et al., "Fine-Grained DRAM", MICRO 2017, HBM2 access and
  I/O energy); latency tRCD 14 ns + CL 14 ns = 28 ns (JESD235A speed bin 2 Gb/s).
- ``rram``: monolithic-3D RRAM, AccelTran Table II: 256 GB/s over 2 channels = 128 GB/s
  per channel; energy per bit from Table III as for LP-DDR3: 36.86 W / 2048 Gb/s =
  18.0 pJ/bit. No access latency is published for it (AccelTran §IV-B, TransCODE §III-B
  use NVSim/NVMain without giving one): 10 ns is an assumption, stated as such in
  :data:`MEMORIES` and overridable.

On-chip SRAM buffers and FIFOs (AccelTran uses FinCACTI at 14 nm, whose tables are not
published): energy per access from Horowitz, "Computing's energy problem", ISSCC 2014,
Fig. 1.1.9, 45 nm: a 64-bit read from an 8 KB SRAM costs 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ
(CACTI-derived); between and beyond those points the energy follows the power law of the
nearest pair (log-log interpolation). Area per bit: the 0.346 µm² 6T cell of Intel's 45 nm
process (Mistry et al., IEDM 2007) over a 70 % array efficiency (the cell-to-macro ratio
CACTI reports for large arrays, Thoziyoor et al., CACTI 5.1, HPL-2008-20). Both are scaled
from 45 nm to the node of the cost records with Stillmaker & Baas (AccelTran [50]), so
buffers and logic share one node.
"""

import math
from dataclasses import dataclass

from tilewright.flows.costs.scaling import area_factor, energy_factor

__all__ = ["MainMemory", "MEMORIES", "MEMORY_TYPES", "main_memory", "Sram", "sram"]


@dataclass(frozen=True)
class MainMemory:
    """A main memory: ``bandwidth_gbps`` GB/s (all channels), ``energy_pj_per_bit``,
    ``latency_ns`` per transfer, ``kind`` one of :data:`MEMORY_TYPES`."""

    kind: str
    bandwidth_gbps: float
    energy_pj_per_bit: float
    latency_ns: float

    def transfer_cycles(self, nbytes, clock_mhz, *, posted=False):
        """Cycles at ``clock_mhz`` to move ``nbytes``: latency plus bytes over bandwidth; a
        ``posted`` write (a store: the accelerator is done when memory has taken its last
        byte) waits for no latency."""
        latency = 0.0 if posted else self.latency_ns
        seconds = latency * 1e-9 + nbytes / (self.bandwidth_gbps * 1e9)
        return math.ceil(seconds * clock_mhz * 1e6)


#: Per-channel figures: (GB/s, pJ/bit, latency ns). See the module docstring for sources.
MEMORIES = {
    "lpddr3": (25.6, 2.91e12 / 204.8e9, 33.0),
    "hbm2": (32.0, 3.97, 28.0),
    "rram": (128.0, 36.86e12 / 2048e9, 10.0),     # latency: assumption, see docstring
}
MEMORY_TYPES = tuple(MEMORIES)


def main_memory(kind, channels=1, *, bandwidth_gbps=None, energy_pj_per_bit=None,
                latency_ns=None):
    """The :class:`MainMemory` of ``kind`` with ``channels`` channels; any figure given
    overrides the published one (``bandwidth_gbps`` is then the total)."""
    per_channel, pj, ns = MEMORIES[kind]
    return MainMemory(kind, bandwidth_gbps if bandwidth_gbps is not None
                      else per_channel * channels,
                      energy_pj_per_bit if energy_pj_per_bit is not None else pj,
                      latency_ns if latency_ns is not None else ns)


#: Horowitz ISSCC 2014 at 45 nm: (capacity in bytes, pJ per 64-bit read).
_HOROWITZ_45NM = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))
_CELL_UM2_45NM = 0.346          # Intel 45 nm 6T cell (Mistry et al., IEDM 2007)
_ARRAY_EFFICIENCY = 0.7         # cells / macro area (CACTI 5.1 large arrays)
_SOURCE_NM = 45


@dataclass(frozen=True)
class Sram:
    """An on-chip SRAM of ``capacity_bytes``: ``pj_per_bit`` per bit read or written,
    ``area_um2`` of the macro, at ``node_nm``."""

    capacity_bytes: int
    pj_per_bit: float
    area_um2: float
    node_nm: int


def _pj_per_64_bits(capacity):
    points = _HOROWITZ_45NM
    lo, hi = (points[0], points[1]) if capacity <= points[1][0] else (points[1], points[2])
    slope = math.log(hi[1] / lo[1]) / math.log(hi[0] / lo[0])
    return lo[1] * (capacity / lo[0]) ** slope


def sram(capacity_bytes, node_nm):
    """The :class:`Sram` model of a buffer of ``capacity_bytes`` at ``node_nm`` (see the
    module docstring for the published figures and the scaling)."""
    energy = _pj_per_64_bits(capacity_bytes) / 64 * energy_factor(_SOURCE_NM, node_nm)
    area = (capacity_bytes * 8 * _CELL_UM2_45NM / _ARRAY_EFFICIENCY
            * area_factor(_SOURCE_NM, node_nm))
    return Sram(int(capacity_bytes), energy, area, node_nm)
