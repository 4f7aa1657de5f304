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

Buffers: a load reserves its bytes in the weight (or activation) buffer before it starts.
A matrix leaves its buffer when the last op reading it finishes. When a load does not fit,
a loaded weight whose readers have not started and whose next use comes after the load's
is evicted — the one used last first (Belady) — and reloaded before those readers run;
while nothing can be evicted the load waits (a *memory stall*) and the channel serves the
next transfer that fits, looking at most four transfers ahead. An op's output that does
not fit in the activation buffer is spilled: when the op finishes it is written to main
memory and read back, a round trip on the DMA channel that its readers wait for. Loads
run ahead of compute as far as the buffers allow, so memory and compute overlap.

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
    ``(start, end, units)``, summed ``stalls``, peak buffer occupancy (bytes), the
    bits moved to and from main memory by spills (activations) and reloads (evicted
    weights), beyond the ops' own transfers, and every dispatch in time order
    ``(start, end, pool, op name, tiles, class)``: ``tiles`` tiles of the op's plan class
    ``class`` (an index into :attr:`Plan.classes`) started on as many units of ``pool``."""

    cycles: int
    timings: dict
    busy: dict
    stalls: dict
    peak_bytes: dict = field(default_factory=dict)
    spill_bits: float = 0.0
    reload_bits: float = 0.0
    dispatches: list = field(default_factory=list)


class _Buffers:
    def __init__(self, capacity):
        self.capacity = dict(capacity)
        self.used = {k: 0 for k in capacity}
        self.peak = {k: 0 for k in capacity}
        self.held = {}
        self.version = 0                 # bumped whenever space is freed

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
        self.version += 1


def _priorities(ops, staggered):
    """Op name → sort key. Staggered: the builder's (layer, head, rank). Equal: the heads
    of a layer interleave step by step (the k-th op of every head together); layer-wide
    ops after the heads keep their place after them."""
    if staggered:
        return {op.name: op.priority for op in ops}
    step, keys = {}, {}
    for op in ops:
        group = (op.layer, op.head)
        step[group] = step.get(group, 0) + 1
        keys[op.name] = (op.layer, op.head < 0, step[group], op.head, op.priority[-1])
    return keys


_LAST = (float("inf"),)
#: Transfers the DMA channel looks past when the first ones wait for buffer space.
_LOOKAHEAD = 4


class _Run:
    """One schedule in progress (see the module docstring)."""

    def __init__(self, plans, hw, memory, staggered):
        self.plans, self.memory, self.clock = plans, memory, hw.clock_mhz
        ops = [p.op for p in plans.values()]
        self.names = set(plans)
        self.deps = {op.name: {d for d in (*op.reads, *op.weights) if d in self.names}
                     for op in ops}
        self.readers = {name: [] for name in self.names}
        for op in ops:
            for d in self.deps[op.name]:
                self.readers[d].append(op.name)
        self.pending = {name: len(d) for name, d in self.deps.items()}
        self.left = {name: len(r) for name, r in self.readers.items()}
        self.prio = _priorities(ops, staggered)
        self.units = {"mac": hw.lanes, "softmax": hw.softmax_units,
                      "layernorm": hw.layernorm_units, "dma": 1}
        self.free = dict(self.units)
        self.queues = {pool: [] for pool in self.units}
        self.remaining = {name: [list(c) for c in p.classes] for name, p in plans.items()}
        self.inflight = dict.fromkeys(self.names, 0)
        self.timing = {name: OpTiming() for name in self.names}
        self.compute_ready = dict.fromkeys(self.names, 0.0)
        self.load_ready = dict.fromkeys(self.names, 0.0)
        self.busy = {pool: [] for pool in self.units}
        self.buffers = _Buffers({b: hw.buffer_bytes(b) for b in ("activation", "weight",
                                                                 "mask")})
        self.events, self.seq = [], 0
        self.dispatches = []
        self.spill_bits = self.reload_bits = 0.0
        self.extra = {}      # spills and reloads: name → (needs, owner, readers, priority)
        self.blocked = {}    # transfers waiting for buffer space: name → since when
        self.failed_at = {}  # and the buffers' version when they last did not fit
        self.held_loads = set()

    # ------------------------------------------------------------ bookkeeping
    def needs_of(self, name):
        if name in self.extra:
            return self.extra[name][0]
        plan = self.plans[name]
        if not plan.output_bytes:
            return {}
        target = "weight" if plan.op.kind == "load" and plan.op.target == "weight" \
            else "activation"
        out = {target: min(plan.output_bytes, self.buffers.capacity[target])}
        if plan.mask_bytes:
            out["mask"] = min(plan.mask_bytes, self.buffers.capacity["mask"])
        return out

    def make_ready(self, name, now):
        self.timing[name].ready = now
        op = self.plans[name].op
        if op.unit == "dma":
            nbytes = math.ceil(self.plans[name].memory_bits / 8)
            self.remaining[name] = [[1, self.memory.transfer_cycles(
                nbytes, self.clock, posted=op.kind == "store")]]
        else:
            self.timing[name].compute_data = max(0.0, self.load_ready[name]
                                                 - self.compute_ready[name])
        heapq.heappush(self.queues[op.unit], (self.prio[name], name))

    def add_transfer(self, name, nbytes, now, needs, owner=None, waiting=(), prio=_LAST):
        self.extra[name] = (needs, owner, tuple(waiting), prio)
        self.timing[name] = OpTiming(ready=now)
        self.remaining[name] = [[1, self.memory.transfer_cycles(nbytes, self.clock)]]
        self.inflight[name] = 0
        heapq.heappush(self.queues["dma"], (prio, name))

    def spill(self, name, now):
        """``name`` has finished and its output did not fit: it goes to main memory and
        comes back before each of its readers may start (one round trip, queued at the
        priority of the first reader; a write only when nothing reads it)."""
        nbytes = self.plans[name].output_bytes
        waiting = [r for r in self.readers[name] if self.timing[r].end is None]
        for r in waiting:
            self.pending[r] += 1
        trips = 2 if waiting else 1
        self.spill_bits += trips * 8 * nbytes
        self.add_transfer(f"{name}.spill", trips * nbytes, now, {}, waiting=waiting,
                          prio=min((self.prio[r] for r in waiting), default=_LAST))

    def evict_for(self, name, needs, now):
        """Evict loaded weights — those used last first, and only ones used after
        ``name``'s own use — when that makes ``needs`` fit; whether it fits."""
        mine = self.extra[name][3] if name in self.extra else self.prio[name]
        candidates = []
        for held in self.held_loads:
            waiting = [r for r in self.readers[held] if self.timing[r].end is None]
            if waiting and all(self.timing[r].start is None for r in waiting):
                use = min(self.prio[r] for r in waiting)
                if use > mine:
                    candidates.append((use, held))
        candidates.sort(reverse=True)
        used, cap = self.buffers.used, self.buffers.capacity
        short = {b: used[b] + n - cap[b] for b, n in needs.items()}
        chosen = []
        for _, held in candidates:
            if all(v <= 0 for v in short.values()):
                break
            chosen.append(held)
            for b, n in self.buffers.held[held].items():
                if b in short:
                    short[b] -= n
        if any(v > 0 for v in short.values()):
            return False
        for held in chosen:
            self.evict(held, now)
        return True

    def evict(self, weight, now):
        needs = self.buffers.held[weight]
        self.release(weight)
        waiting = [r for r in self.readers[weight] if self.timing[r].end is None]
        for r in waiting:
            self.pending[r] += 1
        nbytes = math.ceil(self.plans[weight].memory_bits / 8)
        self.reload_bits += 8 * nbytes
        self.add_transfer(f"{weight}.reload@{now:g}", nbytes, now, needs, owner=weight,
                          waiting=waiting, prio=min(self.prio[r] for r in waiting))

    def release(self, owner):
        self.buffers.release(owner)
        self.held_loads.discard(owner)

    # ------------------------------------------------------------ events
    def begin(self, pool, name, now):
        """Reserve what ``name`` needs as its first tile starts; False when it must wait."""
        t, needs = self.timing[name], self.needs_of(name)
        owner = self.extra[name][1] if name in self.extra else name
        must_fit = pool == "dma" and needs
        if needs and not self.buffers.fits(needs) and must_fit \
                and not self.evict_for(name, needs, now):
            self.blocked.setdefault(name, now)
            self.failed_at[name] = self.buffers.version
            return False
        t.memory = now - self.blocked.pop(name, now)
        if needs and self.buffers.fits(needs):
            self.buffers.take(owner, needs)
            if owner in self.plans and self.plans[owner].op.kind == "load":
                self.held_loads.add(owner)
        elif needs:
            t.spilled_bytes = self.plans[name].output_bytes
        t.start = now
        if pool != "dma":
            t.compute_units = now - t.ready
        return True

    def dispatch(self, pool, now):
        queue, blocked = self.queues[pool], []
        while self.free[pool] and queue:
            _, name = queue[0]
            if self.pending.get(name, 0) > 0 or not self.remaining[name]:
                heapq.heappop(queue)             # waiting for a reload, or a stale copy
                continue
            if self.timing[name].start is None and (
                    self.failed_at.get(name) == self.buffers.version
                    or not self.begin(pool, name, now)):
                blocked.append(heapq.heappop(queue))    # no space: the next may fit
                if len(blocked) == _LOOKAHEAD:
                    break
                continue
            classes = self.remaining[name]
            count, cycles = classes[-1]
            n = min(count, self.free[pool])
            self.dispatches.append((now, now + cycles, pool, name, n, len(classes) - 1))
            self.free[pool] -= n
            self.inflight[name] += n
            classes[-1][0] -= n
            if classes[-1][0] == 0:
                classes.pop()
            if not classes:
                heapq.heappop(queue)
            self.busy[pool].append((now, now + cycles, n))
            self.seq += 1
            heapq.heappush(self.events, (now + cycles, self.seq, pool, name, n))
        for item in blocked:
            heapq.heappush(queue, item)

    def finish(self, name, now):
        self.timing[name].end = now
        if self.timing[name].spilled_bytes:
            self.spill(name, now)
        if name in self.extra:
            for r in self.extra[name][2]:       # a spill or reload: its readers may go on
                self.load_ready[r] = max(self.load_ready[r], now)
                self.pending[r] -= 1
                if self.pending[r] == 0:
                    self.make_ready(r, now)
            return
        for d in self.deps[name]:
            self.left[d] -= 1
            if self.left[d] == 0:
                self.release(d)
        is_load = self.plans[name].op.kind == "load"
        for r in self.readers[name]:
            self.pending[r] -= 1
            ready = self.load_ready if is_load else self.compute_ready
            ready[r] = max(ready[r], now)
            if self.pending[r] == 0:
                self.make_ready(r, now)
        if not self.readers[name]:
            self.release(name)

    def run(self):
        for name in self.names:
            if self.pending[name] == 0:
                self.make_ready(name, 0.0)
        now = 0.0
        for pool in self.units:
            self.dispatch(pool, now)
        while self.events:
            now = self.events[0][0]
            while self.events and self.events[0][0] == now:
                _, _, pool, name, n = heapq.heappop(self.events)
                self.free[pool] += n
                self.inflight[name] -= n
                if self.inflight[name] == 0 and not self.remaining[name]:
                    self.finish(name, now)
            for pool in self.units:
                self.dispatch(pool, now)
        return now


def schedule(plans, hw, memory, *, staggered=True):
    """Run ``plans`` (op name → :class:`~tilewright.flows.model.tiling.Plan`, in execution
    order) on ``hw`` with main memory ``memory``; returns a :class:`Schedule`."""
    run = _Run(plans, hw, memory, staggered)
    now = run.run()
    stuck = [n for n in plans if run.timing[n].end is None]
    if stuck:
        raise InvalidDesign("weight_buffer_mb", f"is too small for the workload: {stuck[0]} "
                                                f"never fit ({hw.weight_buffer_mb} MB)")
    stalls = {key: sum(getattr(run.timing[n], key) for n in plans)
              for key in ("compute_data", "compute_units", "memory")}
    return Schedule(int(math.ceil(now)), {n: run.timing[n] for n in plans}, run.busy, stalls,
                    dict(run.buffers.peak), run.spill_bits, run.reload_bits, run.dispatches)
