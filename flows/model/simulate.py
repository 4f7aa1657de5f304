"""``simulate``: workload × hardware × mapping → cycles, energy, area (ZigZag-style: the
three are separate inputs; the pipeline is small stages).

1. cost records of the hardware's blocks (:mod:`~tilewright.flows.model.costs`);
2. tiling: each op's tiles and operation counts (:mod:`~tilewright.flows.model.tiling`);
3. event-driven schedule at tile granularity (:mod:`~tilewright.flows.model.schedule`);
4. energy and area (:mod:`~tilewright.flows.model.energy`);
5. the :class:`~tilewright.flows.model.result.Result`.
"""

from tilewright.flows.model.costs import requirements
from tilewright.flows.model.energy import account
from tilewright.flows.model.errors import InvalidDesign
from tilewright.flows.model.mapping import Mapping
from tilewright.flows.model.result import Result
from tilewright.flows.model.schedule import schedule
from tilewright.flows.model.sparsity import DENSE, Sparsity
from tilewright.flows.model.tiling import plan_op

__all__ = ["simulate", "check_design", "plan_and_schedule"]


def check_design(hardware, mapping, records):
    """Raise :class:`InvalidDesign` when one tile cannot be held: each buffer must take a
    tile of every operand and the output, the mask buffer their masks."""
    tile = mapping.batch_tile * mapping.spatial_tile ** 2
    for which, values in (("activation", 2 * tile), ("weight", tile)):
        need = values * hardware.width / 8
        if hardware.buffer_bytes(which) < need:
            raise InvalidDesign(f"{which}_buffer_mb", f"must hold one tile ({need:g} bytes), "
                                                      f"not {hardware.buffer_bytes(which)} "
                                                      f"bytes")
    if hardware.sparsity_modules and hardware.buffer_bytes("mask") < 3 * tile / 8:
        raise InvalidDesign("mask_buffer_mb", f"must hold one tile's masks ({3 * tile / 8:g} "
                                              f"bytes), not {hardware.buffer_bytes('mask')}")
    if records["mac"].initiation_interval <= 0:
        raise InvalidDesign("mac-lane record", "has no initiation interval")


def plan_and_schedule(hardware, workload, *, costs, mapping=None, sparsity=None):
    """Stages 1-3 of :func:`simulate`: ``(mapping, records, plans, schedule)`` (the
    mapping resolved, role → record, op name → plan)."""
    mapping = (mapping or Mapping()).resolve(hardware)
    if not isinstance(sparsity, Sparsity):
        sparsity = DENSE if sparsity is None else Sparsity(sparsity)
    records = costs.check(requirements(hardware))
    check_design(hardware, mapping, records)
    plans = {op.name: plan_op(op, hardware, mapping, records, sparsity)
             for op in workload.ops}
    return mapping, records, plans, schedule(plans, hardware, hardware.main_memory(),
                                             staggered=mapping.staggered)


def simulate(hardware, workload, *, costs, mapping=None, sparsity=None):
    """Simulate ``workload`` (:class:`~tilewright.flows.model.workload.Workload`) on
    ``hardware`` (:class:`~tilewright.flows.model.hardware.Accelerator`) with cost records
    from ``costs`` (:class:`~tilewright.flows.model.costs.CostSource`), the ``mapping``
    (:class:`~tilewright.flows.model.mapping.Mapping`; default: the hardware's dataflow and
    tiles, staggered heads) and ``sparsity`` (:class:`~tilewright.flows.model.sparsity.
    Sparsity` or a dict ``{matrix: (activation_rho, weight_rho)}``; default dense).

    Raises :class:`InvalidDesign` for a design that cannot run and
    :class:`~tilewright.flows.model.errors.MissingCosts` for missing cost records.
    """
    mapping, records, plans, sched = plan_and_schedule(hardware, workload, costs=costs,
                                                       mapping=mapping, sparsity=sparsity)
    memory = hardware.main_memory()
    acc = account(plans, sched, hardware, mapping, records, memory)
    gated = hardware.power_gating
    leakage = acc.leakage_gated if gated else acc.leakage_ungated
    idle = {c: 0.0 for c in acc.idle_ungated} if gated else acc.idle_ungated
    energy = dict(acc.dynamic)
    for comp in leakage:
        energy[comp] += leakage[comp] + idle[comp]
    variants = {name: {"leakage_pj": sum(leak.values()), "idle_pj": sum(idl.values()),
                       "total_pj": sum(acc.dynamic.values()) + sum(leak.values())
                       + sum(idl.values())}
                for name, leak, idl in (("gated", acc.leakage_gated,
                                         {c: 0.0 for c in acc.idle_ungated}),
                                        ("ungated", acc.leakage_ungated, acc.idle_ungated))}
    units = {"mac": hardware.lanes, "softmax": hardware.softmax_units,
             "layernorm": hardware.layernorm_units, "dma": 1}
    busy_cycles = {pool: sum((e - s) * n for s, e, n in iv) for pool, iv in sched.busy.items()}
    utilisation = {pool: busy_cycles[pool] / (units[pool] * sched.cycles) if sched.cycles else 0
                   for pool in units}
    rows = []
    for name, plan in plans.items():
        op, t = plan.op, sched.timings[name]
        rows.append({"name": name, "kind": op.kind, "unit": op.unit, "layer": op.layer,
                     "head": op.head, "phase": op.phase, "tiles": plan.tiles,
                     "ready": t.ready, "start": t.start, "end": t.end,
                     "cycles": t.end - t.start,
                     "busy_unit_cycles": sum(n * c for n, c in (
                         plan.classes or [(1, t.end - t.start)])),
                     "macs": plan.macs, "energy_pj": acc.per_op[name],
                     "compute_data_stall": t.compute_data,
                     "compute_units_stall": t.compute_units, "memory_stall": t.memory,
                     "spilled_bytes": t.spilled_bytes})
    return Result(hardware=hardware, workload=workload, cycles=sched.cycles,
                  clock_mhz=hardware.clock_mhz, energy_pj=energy,
                  dynamic_by_component_pj=acc.dynamic,
                  dynamic_energy_pj=sum(acc.dynamic.values()),
                  leakage_energy_pj=sum(leakage.values()), idle_energy_pj=sum(idle.values()),
                  gating=variants, area_by_component_um2=acc.area, ops=rows,
                  stalls=sched.stalls, utilisation=utilisation, units=units, busy=sched.busy,
                  peak_buffer_bytes=sched.peak_bytes, records=records)
