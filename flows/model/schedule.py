"""Event-driven scheduler at tile granularity (AccelTran §III-B8).

Resources are pools of identical units: the MAC lanes, the softmax units, the layer-norm
units (each unit holds one tile at a time), and the DMA channel to main memory (one
transfer at a time). Time advances from event to event — a tile or a transfer finishing —
never cycle by cycle: at each event the freed units take the next tiles of the
highest-priority ready op of their class. An op is ready when the ops producing the
matrices it reads are done and its weights are loaded.

Priority: with staggered heads (AccelTran Fig. 10b) an op of head h outranks every op of
head h+1 of the same layer, so the first head's MAC work finishes first and its softmax
runs while the lanes serve the next head; with equal priority (Fig. 10a) heads advance in
lock step.

Buffers: a load reserves its bytes in the weight (or activation) buffer before it starts;
when they do not fit it waits for evictions (a *memory stall*). A matrix is evicted when
the last op reading it finishes. An op's output that does not fit in the activation buffer
is spilled: written to main memory and read back, two transfers queued on the DMA channel.
Loads run ahead of compute as far as the buffers allow, so memory and compute overlap.

Stalls (cycles, summed over ops): ``compute_data`` — an op's inputs were computed but a
weight it needs was still loading; ``compute_units`` — an op was ready but every unit of
its class was busy; ``memory`` — a transfer waited for buffer space.
"""

import heapq
import math
from dataclasses import dataclass, field

from tilewright.flows.model.errors import InvalidDesign

__all__ = ["Schedule", "OpTiming", "schedule"]


@dataclass
class OpTiming:
    """When one op ran: deps met (``ready``), first tile started (``start``), last tile
    finished (``end``), and its stall cycles."""

    ready: float = None
    start: float = None
    end: float = None
    compute_data: float = 0.0
    compute_units: float = 0.0
    memory: float = 0.0
    spilled_bytes: int = 0


@dataclass
class Schedule:
    """The outcome: total ``cycles``, per-op :class:`OpTiming`, per-pool busy intervals
    ``(start, end, units)``, summed ``stalls``, peak buffer occupancy (bytes)."""

    cycles: int
    timings: dict
    busy: dict
    stalls: dict
    peak_bytes: dict = field(default_factory=dict)
    spill_bits: float = 0.0


class _Buffers:
    def __init__(self, capacity):
        self.capacity = dict(capacity)
        self.used = {k: 0 for k in capacity}
        self.peak = {k: 0 for k in capacity}
        self.held = {}

    def fits(self, needs):
        return all(self.used[b] + n <= self.capacity[b] for b, n in needs.items())

    def take(self, owner, needs):
        for b, n in needs.items():
            self.used[b] += n
            self.peak[b] = max(self.peak[b], self.used[b])
        self.held[owner] = needs

    def release(self, owner):
        for b, n in self.held.pop(owner, {}).items():
            self.used[b] -= n


def _priorities(ops, staggered):
    if staggered:
        return {op.name: op.priority for op in ops}
    step, keys = {}, {}
    for op in ops:
        group = (op.layer, op.head)
        step[group] = step.get(group, 0) + 1
        keys[op.name] = (op.layer, step[group], op.head, op.priority[-1])
    return keys


def schedule(plans, hw, memory, *, staggered=True):
    """Run ``plans`` (op name → :class:`~tilewright.flows.model.tiling.Plan`, in execution
    order) on ``hw`` with main memory ``memory``; returns a :class:`Schedule`."""
    ops = [p.op for p in plans.values()]
    names = set(plans)
    deps = {op.name: {d for d in (*op.reads, *op.weights) if d in names} for op in ops}
    readers = {name: [] for name in names}
    for op in ops:
        for d in deps[op.name]:
            readers[d].append(op.name)
    pending = {name: len(d) for name, d in deps.items()}
    left = {name: len(r) for name, r in readers.items()}
    prio = _priorities(ops, staggered)
    units = {"mac": hw.lanes, "softmax": hw.softmax_units, "layernorm": hw.layernorm_units,
             "dma": 1}
    free = dict(units)
    queues = {pool: [] for pool in units}
    remaining = {name: [list(c) for c in p.classes] for name, p in plans.items()}
    inflight = {name: 0 for name in names}
    timing = {name: OpTiming() for name in names}
    compute_ready = {name: 0.0 for name in names}
    load_ready = {name: 0.0 for name in names}
    busy = {pool: [] for pool in units}
    buffers = _Buffers({b: hw.buffer_bytes(b) for b in ("activation", "weight", "mask")})
    clock = hw.clock_mhz
    events, seq = [], 0
    spill_bits = 0.0
    spills = set()

    def needs_of(plan):
        target = "weight" if plan.op.kind == "load" and plan.op.target == "weight" \
            else "activation"
        out = {target: min(plan.output_bytes, buffers.capacity[target])}
        if plan.mask_bytes:
            out["mask"] = min(plan.mask_bytes, buffers.capacity["mask"])
        return out

    def make_ready(name, now):
        timing[name].ready = now
        op = plans[name].op
        if op.unit == "dma":
            nbytes = math.ceil(plans[name].memory_bits / 8)
            remaining[name] = [[1, memory.transfer_cycles(nbytes, clock)]]
        else:
            timing[name].compute_data = max(0.0, load_ready[name] - compute_ready[name])
        heapq.heappush(queues[op.unit], (prio[name], name))

    for name in names:
        if pending[name] == 0:
            make_ready(name, 0.0)

    def dispatch(pool, now):
        nonlocal seq, spill_bits
        queue = queues[pool]
        while free[pool] and queue:
            _, name = queue[0]
            plan, t = plans.get(name), timing[name]
            if t.start is None:
                needs = needs_of(plan) if plan.output_bytes else {}
                if pool == "dma" and plan.op.kind == "load":
                    if not buffers.fits(needs):
                        if t.memory == 0.0:
                            t.memory = -now          # waiting since now; settled on start
                        return
                    if t.memory < 0:
                        t.memory += now
                    buffers.take(name, needs)
                elif needs:
                    if buffers.fits(needs):
                        buffers.take(name, needs)
                    else:
                        t.spilled_bytes = plan.output_bytes
                        spill_bits += 2 * 8 * plan.output_bytes
                        cycles = 2 * memory.transfer_cycles(plan.output_bytes, clock)
                        spill = f"{name}.spill"
                        timing[spill] = OpTiming(ready=now, start=now)
                        spills.add(spill)
                        remaining[spill] = [[1, cycles]]
                        inflight[spill] = 0
                        heapq.heappush(queues["dma"], ((float("inf"),), spill))
                t.start = now
                if pool != "dma":
                    t.compute_units = now - t.ready
            classes = remaining[name]
            count, cycles = classes[-1]
            n = min(count, free[pool])
            free[pool] -= n
            inflight[name] += n
            classes[-1][0] -= n
            if classes[-1][0] == 0:
                classes.pop()
            if not classes:
                heapq.heappop(queue)
            busy[pool].append((now, now + cycles, n))
            seq += 1
            heapq.heappush(events, (now + cycles, seq, pool, name, n))

    def finish(name, now):
        timing[name].end = now
        if name in spills:
            return
        plan = plans[name]
        for d in deps[name]:
            left[d] -= 1
            if left[d] == 0:
                buffers.release(d)
        for r in readers[name]:
            pending[r] -= 1
            if plan.op.kind == "load":
                load_ready[r] = max(load_ready[r], now)
            else:
                compute_ready[r] = max(compute_ready[r], now)
            if pending[r] == 0:
                make_ready(r, now)
        if not readers[name]:
            buffers.release(name)

    for pool in units:
        dispatch(pool, 0.0)
    now = 0.0
    while events:
        now = events[0][0]
        while events and events[0][0] == now:
            _, _, pool, name, n = heapq.heappop(events)
            free[pool] += n
            inflight[name] -= n
            if inflight[name] == 0 and not remaining[name]:
                finish(name, now)
        for pool in units:
            dispatch(pool, now)
    stuck = [n for n in names if timing[n].end is None]
    if stuck:
        raise InvalidDesign("buffers", f"are too small for the workload: {stuck[0]} never "
                                       f"fit (weight {hw.weight_buffer_mb} MB, activation "
                                       f"{hw.activation_buffer_mb} MB)")
    stalls = {key: sum(getattr(timing[n], key) for n in names)
              for key in ("compute_data", "compute_units", "memory")}
    return Schedule(int(math.ceil(now)), {n: timing[n] for n in names}, busy, stalls,
                    dict(buffers.peak), spill_bits)
