"""Lowering: the model's schedule as the top's instruction stream (:mod:`tilewright.isa`),
so that the accelerator model and the RTL run the same schedule (AccelTran §III-B8: the
control block executes the compiled, tiled schedule).

Every dispatch of the schedule (:attr:`~tilewright.flows.model.schedule.Schedule.
dispatches`: ``n`` tiles of one class of an op started on ``n`` units) becomes one
instruction per tile, per batch element of the tile, on a named unit. The units of a pool
are numbered PE by PE — MAC lane ``u`` is lane ``u mod L`` of PE ``u div L``, likewise the
softmax and layer-norm units — and a tile takes the lowest-numbered unit that is free at
its start on the model's timeline. Instructions follow the model's start times. Before
the first tile of an op, one FENCE per unit that ran tiles of the ops it reads waits for
exactly those tiles (the ISA's FENCE counts a unit's finished instructions).

Storage: every matrix has its own region (nothing is freed): activations in the
activation buffer, row-major with a token per row (``[batch][token][feature]``), except V,
which P·V reads by columns and is therefore kept feature-major (``[batch][feature]
[token]``); the heads' P·V outputs are column blocks of one concatenated matrix. Weights
are loaded as their rows, then the bias (one value per row); a layer norm's parameters as
γ then β. Main memory holds ``input``, then every load in workload order, then
``output``.

Numerics as :mod:`tilewright.isa` defines them: projections with BIAS, the first
feed-forward product with GELU, and with a threshold ``tau`` every product, softmax and
layer norm with PRUNE (DynaTran on every activation as it is produced); residual adds are
not pruned.

What it lowers: :func:`~tilewright.flows.model.workload.layer_workload` of a
scaled-dot-product layer, loop orders with ``k`` innermost (every output tile in one
visit), GeLU activations, schedules without spills or reloads. Anything else raises
:class:`~tilewright.flows.model.errors.InvalidDesign` naming it.
"""

import heapq
from dataclasses import dataclass, field

from tilewright.flows.model.errors import InvalidDesign
from tilewright.isa import FENCE_KINDS, REGION_BITS, Instruction, address

__all__ = ["Program", "lower"]


@dataclass
class Program:
    """A lowered schedule: ``instructions`` (ending with END); ``loads``: matrix name →
    ``(main-memory word address, words)`` the testbench must place there (``input`` and
    every weight); ``output``: ``(address, words)`` of the stored result; ``memory_words``:
    main memory's size; ``timeline``: per instruction index of a tile, ``(op name, model
    start, model end)``; ``cycles``: the model's total; ``buffer_words``: the words of the
    activation and weight regions the program uses."""

    instructions: list
    loads: dict
    output: tuple
    memory_words: int
    timeline: dict = field(default_factory=dict)
    cycles: int = 0
    buffer_words: dict = field(default_factory=dict)

    def spans(self, issued, cycles):
        """Op name → ``((model start, end), (RTL start, end))`` over the op's instructions:
        the model's timeline, and on the RTL each instruction's issue edge (``issued``,
        per instruction) to that plus its ``cycles``."""
        out = {}
        for k, (name, start, end) in self.timeline.items():
            model, rtl = out.get(name, ((start, end), (issued[k], issued[k] + cycles[k])))
            out[name] = ((min(model[0], start), max(model[1], end)),
                         (min(rtl[0], issued[k]), max(rtl[1], issued[k] + cycles[k])))
        return out


@dataclass(frozen=True)
class _Matrix:
    """Rows of ``width`` words from ``base``, ``rows`` per batch element, starting at
    column ``column`` (a column block of a wider matrix)."""

    base: int
    rows: int
    width: int
    column: int = 0

    def row(self, batch, r):
        return self.base + (batch * self.rows + r) * self.width + self.column


def _is_pv(op):
    return op.name.endswith(".pv")


def _check(workload, hardware, mapping, plans, sched):
    kinds = {op.kind for op in workload.ops}
    if kinds - {"load", "store", "matmul", "softmax", "layernorm", "eltwise"}:
        raise InvalidDesign("workload", "must be an inference encoder layer")
    for op in workload.ops:
        if op.kind == "matmul" and op.a_weight:
            raise InvalidDesign("attention", "must be 'sdp' to be lowered")
        if op.activation != "none" and hardware.activation != "gelu":
            raise InvalidDesign("activation", f"must be 'gelu' to be lowered, not "
                                              f"{hardware.activation!r}")
        plan = plans[op.name]
        if op.kind == "matmul" and any(
                count != bn * xn * zn for (count, _), (( _, _, bn), (_, _, xn), (_, _, zn))
                in zip(plan.classes, plan.boxes)):
            raise InvalidDesign("dataflow", f"must have k innermost to be lowered, not "
                                            f"{','.join(mapping.order)}")
        if op.kind in ("softmax", "layernorm") and op.y != hardware.vector_length(op.kind):
            raise InvalidDesign(f"{op.kind}_length", f"must be the row length {op.y} of "
                                                     f"{op.name} to be lowered, not "
                                                     f"{hardware.vector_length(op.kind)}")
    if sched.spill_bits or sched.reload_bits:
        raise InvalidDesign("activation_buffer_mb", "must hold the layer without spills or "
                                                    "reloads to be lowered")


class _Allocator:
    """Consecutive regions of one buffer (or of main memory)."""

    def __init__(self, name, limit):
        self.name, self.limit, self.next = name, limit, 0

    def take(self, words):
        base = self.next
        self.next += words
        if self.next > self.limit:
            raise InvalidDesign(f"{self.name}", f"must hold {self.next} words to lower the "
                                                f"layer, not {self.limit}")
        return base


def _layout(workload, hardware):
    """On-chip ``_Matrix`` per matrix name, weight and norm bases, main-memory map."""
    act = _Allocator("activation buffer", 1 << REGION_BITS)
    wgt = _Allocator("weight buffer", 1 << REGION_BITS)
    mem = _Allocator("main memory", 1 << 24)
    b, t = workload.batch, workload.seq
    matrices, weights, loads = {}, {}, {}
    concat = {}
    for op in workload.ops:
        if op.kind == "load" and op.target == "weight":
            weights[op.name] = address("weight", wgt.take(op.elements))
        elif op.kind == "load":
            matrices[op.name] = _Matrix(address("activation", act.take(op.elements)), t, op.y)
        elif op.kind == "matmul" and _is_pv(op):
            layer = op.name.rsplit(".h", 1)[0]
            hidden = op.z * sum(1 for o in workload.ops if _is_pv(o)
                                and o.name.rsplit(".h", 1)[0] == layer)
            if layer not in concat:
                concat[layer] = address("activation", act.take(b * t * hidden))
                matrices[f"{layer}.concat"] = _Matrix(concat[layer], t, hidden)
            matrices[op.name] = _Matrix(concat[layer], t, hidden, op.head * op.z)
        elif op.kind == "matmul":
            feature_major = any(_is_pv(r) and r.reads[-1] == op.name for r in workload.ops)
            rows, width = (op.x, op.z) if feature_major or not op.w_weight else (op.z, op.x)
            matrices[op.name] = _Matrix(address("activation", act.take(op.elements)), rows,
                                        width)
        elif op.kind in ("softmax", "layernorm", "eltwise"):
            matrices[op.name] = _Matrix(address("activation", act.take(op.elements)), op.x,
                                        op.y)
    for op in workload.ops:
        if op.kind == "load":
            loads[op.name] = (mem.take(op.elements), op.elements)
    store = next(op for op in workload.ops if op.kind == "store")
    output = (mem.take(store.elements), store.elements)
    used = {"activation": act.next, "weight": wgt.next}
    return matrices, weights, loads, output, mem.next, used


class _Units:
    """Named units of one pool: the lowest free one at each dispatch."""

    def __init__(self, count):
        self.free = list(range(count))
        self.busy = []                     # (end, unit)

    def take(self, start, end, n):
        while self.busy and self.busy[0][0] <= start:
            heapq.heappush(self.free, heapq.heappop(self.busy)[1])
        units = [heapq.heappop(self.free) for _ in range(n)]
        for u in units:
            heapq.heappush(self.busy, (end, u))
        return units


def _unit_key(pool, index, hardware):
    """The ISA's name of unit ``index`` of ``pool``: ``(pe, kind, index)`` or ``("dma",)``."""
    if pool == "dma":
        return ("dma",)
    per = {"mac": hardware.lanes_per_pe, "softmax": hardware.softmax_per_pe,
           "layernorm": hardware.layernorm_per_pe}[pool]
    kind = {"mac": "lane", "softmax": "softmax", "layernorm": "layernorm"}[pool]
    return (index // per, kind, index % per)


def _fence(unit, count):
    if unit == ("dma",):
        return Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=count)
    pe, kind, index = unit
    return Instruction("FENCE", pe=pe, unit=FENCE_KINDS[kind.upper()], x=index, n=count)


def _tiles(box):
    """Origins of every tile of a class: per dimension ``(first, length, count)``."""
    origins = [()]
    for first, length, count in box:
        origins = [o + (first + k * length,) for o in origins for k in range(count)]
    return origins


class _Lowering:
    def __init__(self, workload, hardware, plans, tau):
        self.workload, self.hw, self.plans, self.tau = workload, hardware, plans, tau
        (self.matrices, self.weights, self.loads, self.output, self.memory_words,
         self.used) = _layout(workload, hardware)
        self.ops = {op.name: op for op in workload.ops}

    def flags(self, op, transpose=False):
        flags = []
        if op.kind == "matmul" and op.bias:
            flags.append("BIAS")
        if op.kind == "matmul" and op.activation != "none":
            flags.append("GELU")
        if transpose:
            flags.append("TRANSPOSE")
        if self.tau is not None and op.kind != "eltwise":
            flags.append("PRUNE")
        return tuple(flags)

    def operand(self, op):
        """The matrix whose rows a product reads as its second operand: the heads'
        concatenation when it reads every head's P·V."""
        if len(op.reads) > 1 and all(_is_pv(self.ops[r]) for r in op.reads):
            return self.matrices[f"{op.reads[0].rsplit('.h', 1)[0]}.concat"]
        return self.matrices[op.reads[-1]]

    def instructions(self, op, unit, origin, shape):
        """The instructions of one tile of ``op`` at ``origin`` of ``shape`` on ``unit``."""
        if op.kind == "load":
            base = (self.weights[op.name] if op.target == "weight"
                    else self.matrices[op.name].base)
            return [Instruction("LOAD", o=base, mem=self.loads[op.name][0], n=op.elements)]
        if op.kind == "store":
            return [Instruction("STORE", a=self.matrices[op.reads[0]].base,
                                mem=self.output[0], n=op.elements)]
        pe, index = unit[0], unit[2]
        b0, bs = origin[0], shape[0]
        out = self.matrices[op.name]
        tau = self.tau or 0
        program = []
        for batch in range(b0, b0 + bs):
            if op.kind == "matmul":
                x0, z0 = origin[1:]
                xs, zs = shape[1:]
                if op.w_weight:
                    w = self.weights[op.weights[0]]
                    a, c = w + x0 * op.y, w + op.x * op.y + x0
                else:
                    a, c = self.matrices[op.reads[0]].row(batch, x0), 0
                b = self.operand(op).row(batch, z0)
                transpose = out.rows == op.z and out.width == op.x and op.w_weight
                o = out.row(batch, z0) + x0 if transpose else out.row(batch, x0) + z0
                program.append(Instruction("MATMUL", pe=pe, unit=index,
                                           flags=self.flags(op, transpose), a=a, b=b, c=c,
                                           o=o, x=xs, y=op.y, z=zs, so=out.width, n=tau))
            elif op.kind == "eltwise":
                x0, y0 = origin[1:]
                xs, ys = shape[1:]
                first, second = (self.matrices[r] for r in op.reads)
                program.append(Instruction(
                    "ADD", pe=pe, unit=index, a=first.row(batch, x0) + y0,
                    b=second.row(batch, x0) + y0, o=out.row(batch, x0) + y0, x=xs, y=ys,
                    z=out.width, so=out.width))
            else:
                (x0,), (xs,) = origin[1:], shape[1:]
                src = self.matrices[op.reads[0]]
                fields = dict(pe=pe, flags=self.flags(op), a=src.row(batch, x0),
                              o=out.row(batch, x0), x=xs, y=op.y, so=out.width, n=tau)
                if op.kind == "softmax":
                    program.append(Instruction("SOFTMAX", unit=index, **fields))
                else:
                    g = self.weights[op.weights[0]]
                    program.append(Instruction("LAYERNORM", b=g, c=g + op.y, **fields))
        return program

    def run(self, sched):
        pools = {"mac": _Units(self.hw.lanes), "softmax": _Units(self.hw.softmax_units),
                 "layernorm": _Units(self.hw.layernorm_units), "dma": _Units(1)}
        next_tile = {}                      # (op, class) → tiles of the class handed out
        issued, fenced, done_by = {}, {}, {}
        program, timeline = [], {}
        for start, end, pool, name, n, cls in sched.dispatches:
            op = self.ops[name]
            if name not in done_by:
                done_by[name] = {}
                for dep in (*op.reads, *op.weights):
                    for unit, count in done_by.get(dep, {}).items():
                        if fenced.get(unit, 0) < count:
                            program.append(_fence(unit, count))
                            fenced[unit] = count
            plan = self.plans[name]
            if plan.boxes:
                box = plan.boxes[cls]
                origins = _tiles(box)
                shape = tuple(length for _, length, _ in box)
            else:
                origins, shape = [()], ()
            k = next_tile.get((name, cls), 0)
            next_tile[(name, cls)] = k + n
            for index, origin in zip(pools[pool].take(start, end, n), origins[k:k + n]):
                unit = _unit_key(pool, index, self.hw)
                for ins in self.instructions(op, unit, origin, shape):
                    issued[unit] = issued.get(unit, 0) + 1
                    done_by[name][unit] = issued[unit]
                    timeline[len(program)] = (name, start, end)
                    program.append(ins)
        program.append(Instruction("END"))
        return program, timeline


def lower(workload, hardware, mapping, plans, sched, *, tau=None):
    """The :class:`Program` of ``workload`` (a
    :func:`~tilewright.flows.model.workload.layer_workload`) on ``hardware`` with
    ``mapping`` (resolved) as ``plans`` (op name →
    :class:`~tilewright.flows.model.tiling.Plan`) were scheduled (``sched``, a
    :class:`~tilewright.flows.model.schedule.Schedule`); ``tau``: DynaTran's threshold as
    an integer on the data's scale (``None``: no pruning)."""
    _check(workload, hardware, mapping, plans, sched)
    low = _Lowering(workload, hardware, plans, tau)
    instructions, timeline = low.run(sched)
    return Program(instructions, low.loads, low.output, low.memory_words, timeline,
                   sched.cycles, low.used)
