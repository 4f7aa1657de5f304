"""Energy and area: dynamic energy by component, leakage × time, idle power.

Dynamic energy is each component's operation count (from the
:class:`~tilewright.flows.model.tiling.Plan` s) times its cost record's energy per
operation: MAC lanes per effectual multiply-accumulate (the activation lane's record for
the feed-forward layers with GeLU/ReLU, the plain lane's otherwise), softmax and layer norm
per vector, DynaTran per comparison (one per value of every matrix produced or loaded),
pre-compute sparsity per vector pair, post-compute sparsity per vector. Buffers and FIFOs
are charged per bit read or written at the SRAM model's energy
(:func:`~tilewright.flows.model.memory.sram`); main memory once per bit transferred
(compressed values and their masks, each transfer once), spills included.

Leakage is each block's record ``leakage_mw`` for the time it is powered: with power gating
(AccelTran §III-B8, the default) only while it holds work, otherwise for the whole run. A
clocked idle unit (no gating) also spends its record's ``idle_pj_per_cycle`` for each idle
cycle. Both variants are computed; ``hardware.power_gating`` picks the one in the totals.
Pre-compute sparsity modules are busy with their lane; DynaTran and the post-compute module
of a PE while any of its lanes is (their share of the lanes' busy time).
"""

from dataclasses import dataclass

from tilewright.flows.model.memory import sram
from tilewright.flows.model.tiling import COMPONENTS

__all__ = ["Accounting", "account", "BLOCKS"]

#: Per-unit blocks: role of the cost record, pool whose busy time powers it.
BLOCKS = {"mac_lanes": ("mac_act", "mac"), "softmax": ("softmax", "softmax"),
          "layernorm": ("layernorm", "layernorm"), "dynatran": ("dynatran", "mac"),
          "pre_sparsity": ("pre_sparsity", "mac"), "post_sparsity": ("post_sparsity", "mac")}


@dataclass
class Accounting:
    """Energies in pJ and areas in µm², by component."""

    dynamic: dict
    leakage_gated: dict
    leakage_ungated: dict
    idle_ungated: dict
    area: dict
    counts: dict
    per_op: dict


def _counts(hw):
    pre = hw.lanes if hw.sparsity_modules else 0
    post = hw.pes if hw.sparsity_modules else 0
    return {"mac_lanes": hw.lanes, "softmax": hw.softmax_units,
            "layernorm": hw.layernorm_units, "dynatran": hw.pes, "pre_sparsity": pre,
            "post_sparsity": post}


def _fifo_bytes(hw, mapping):
    """Per PE: operand FIFOs for a W and an A tile, shared by its lanes, and an output
    tile per lane."""
    tiles = 2 + hw.lanes_per_pe
    return tiles * mapping.batch_tile * mapping.spatial_tile ** 2 * hw.width // 8


def _plan_energy(plan, records, fifo, buffers, memory):
    parts = {"mac_lanes": plan.macs * records[plan.mac_role].energy_per_op_pj,
             "dynatran": plan.dynatran * records["dynatran"].energy_per_op_pj,
             "pre_sparsity": plan.pre_pairs * records["pre_sparsity"].energy_per_op_pj,
             "post_sparsity": plan.post_vectors * records["post_sparsity"].energy_per_op_pj,
             "fifo": plan.fifo_bits * fifo.pj_per_bit,
             "main_memory": plan.memory_bits * memory.energy_pj_per_bit}
    if plan.unit in ("softmax", "layernorm"):
        parts[plan.unit] = plan.vectors * records[plan.unit].energy_per_op_pj
    for b, bits in plan.buffer_bits.items():
        parts[f"{b}_buffer"] = parts.get(f"{b}_buffer", 0.0) + bits * buffers[b].pj_per_bit
    return parts


def account(plans, sched, hw, mapping, records, memory):
    """The :class:`Accounting` of a run: ``plans`` and their ``sched`` (a
    :class:`~tilewright.flows.model.schedule.Schedule`)."""
    node = records["mac"].node_nm or 130
    buffers = {b: sram(hw.buffer_bytes(b), node) for b in ("activation", "weight", "mask")}
    fifo = sram(_fifo_bytes(hw, mapping), node)
    dyn = dict.fromkeys(COMPONENTS, 0.0)
    per_op = {}
    for name, plan in plans.items():
        parts = _plan_energy(plan, records, fifo, buffers, memory)
        per_op[name] = sum(parts.values())
        for comp, pj in parts.items():
            dyn[comp] += pj
    # spills: out of and back into the activation buffer; reloads: into the weight buffer
    dyn["main_memory"] += (sched.spill_bits + sched.reload_bits) * memory.energy_pj_per_bit
    dyn["activation_buffer"] += sched.spill_bits * buffers["activation"].pj_per_bit
    dyn["weight_buffer"] += sched.reload_bits * buffers["weight"].pj_per_bit
    counts = _counts(hw)
    busy = {pool: sum((end - start) * n for start, end, n in intervals)
            for pool, intervals in sched.busy.items()}
    share = {"dynatran": hw.lanes_per_pe, "post_sparsity": hw.lanes_per_pe}
    gated, ungated, idle, area = {}, {}, {}, {}
    pj_per_mw_cycle = 1e3 / hw.clock_mhz          # 1 mW for one cycle at clock_mhz, in pJ
    for comp, (role, pool) in BLOCKS.items():
        record, n = records[role], counts[comp]
        powered = min(busy[pool] / share.get(comp, 1), n * sched.cycles)
        gated[comp] = record.leakage_mw * powered * pj_per_mw_cycle
        ungated[comp] = record.leakage_mw * n * sched.cycles * pj_per_mw_cycle
        idle[comp] = (record.idle_pj_per_cycle or 0.0) * (n * sched.cycles - powered)
        area[comp] = record.area_um2 * n
    area["fifo"] = fifo.area_um2 * hw.pes
    for b, model in buffers.items():
        area[f"{b}_buffer"] = model.area_um2
    return Accounting(dyn, gated, ungated, idle, area, counts, per_op)
