"""Tiling: each op of a workload as tiles with their cycles, and the counts energy needs.

A :class:`Plan` holds, for one op, its tiles grouped by shape (edge tiles are smaller) as
``[(count, cycles per tile)]`` and the operation counts of every component: effectual
MACs, vectors through the softmax / layer-norm units, DynaTran comparisons, vectors
through the pre-/post-compute sparsity modules, bits read and written in each buffer and
FIFO, bits moved to or from main memory.

Matrix products (AccelTran §III-B1, §III-B4): an output tile of ``b×x×z`` values is
``b·x·z`` dot products streamed through one MAC lane over the whole of K: K is counted
once per output tile. With the sparsity modules, a dot product is cut into vectors of the
spatial tile (the pre-compute module's length) and takes
:func:`~tilewright.flows.model.sparsity.expected_beats` per vector; without them it takes
``⌈K/M⌉`` beats, every product computed (:meth:`tilewright.gen.mac_lane.MacLane.tile_cycles`).
A beat takes ``M × initiation_interval`` cycles of the lane's record (one MAC per
``initiation_interval``); a tile adds the record's latency after its last beat is accepted
(``beats − 1 + latency``, the convention of docs/characterization.md). When the loop order revisits an
output tile (k not innermost of the loops indexing O), each visit covers one k tile and
the partial sums are merged by one extra beat per output and written/read as
accumulator-width values.

Operand fetches from the buffers into a PE's operand FIFOs follow the loop order's reuse
(:func:`~tilewright.flows.model.mapping.tile_changes`), counted per PE: the iterations are
dealt to the PEs in contiguous runs of the order, the lanes of a PE share its FIFOs (a
tile fetched once serves them all), and each PE's first tile is a fetch too.

Softmax and layer norm (C-OP-5, 8, 11): a row longer than the unit's length (by default
the spatial tile ``t``) is processed as vectors of that length, as AccelTran's tiled
modules do; a tile of ``b×x`` rows occupies one unit for ``v = b·x·⌈y/length⌉`` vectors:
``(v − 1)`` initiation intervals of the record, then the last vector's span from its first
value in to its last value out, ``(length − 1) + latency + length`` (the record's latency
counts from the last value in to the first value out). A unit whose interval covers a
whole vector (softmax, layer norm: the interval is the span less one cycle) thus takes
``v·II + 1``; the RTL's sequencer takes one cycle more (its buffer read).

Storage: with the sparsity modules, matrices are stored compressed — non-zeros at
``il+fl`` bits plus one mask bit per value in the mask buffer (AccelTran §III-B6); the
non-zero fraction of an op's output is taken as that of its matrix's activations.
"""

import math
from dataclasses import dataclass, field

from tilewright.flows.model.errors import InvalidDesign
from tilewright.flows.model.mapping import tile_changes
from tilewright.flows.model.sparsity import expected_beats

__all__ = ["Plan", "plan_op", "COMPONENTS"]

#: Energy components, in report order.
COMPONENTS = ("mac_lanes", "softmax", "layernorm", "dynatran", "pre_sparsity",
              "post_sparsity", "fifo", "activation_buffer", "weight_buffer", "mask_buffer",
              "main_memory")


@dataclass
class Plan:
    """Tiles and operation counts of one op (see the module docstring). ``boxes[c]``
    places the tiles of ``classes[c]``: per tiled dimension (matmul: b, x, z; softmax
    and layer norm: b, x; eltwise: b, x, y) ``(first, length, count)``, the tiles being
    every combination of ``count`` pieces of ``length`` from ``first`` on, in row-major
    order (repeated per visit when an output tile is revisited)."""

    op: object
    unit: str
    classes: list
    boxes: list = field(default_factory=list)
    macs: float = 0.0
    mac_role: str = "mac"
    vectors: float = 0.0
    dynatran: float = 0.0
    pre_pairs: float = 0.0
    post_vectors: float = 0.0
    buffer_bits: dict = field(default_factory=dict)
    fifo_bits: float = 0.0
    memory_bits: float = 0.0
    output_bytes: int = 0
    mask_bytes: int = 0

    @property
    def tiles(self):
        return sum(n for n, _ in self.classes)

    @property
    def busy_cycles(self):
        """Unit-cycles of work (sum over tiles)."""
        return sum(n * c for n, c in self.classes)

    def add_bits(self, buffer, bits):
        self.buffer_bits[buffer] = self.buffer_bits.get(buffer, 0.0) + bits


def _chunks(size, tile):
    """``[(length, count, first)]`` of a dimension of ``size`` cut into ``tile``-long
    pieces: ``count`` pieces of ``length`` from index ``first`` on."""
    full, rest = divmod(size, tile)
    return [(tile, full, 0)] * bool(full) + [(rest, 1, full * tile)] * bool(rest)


def _stored_bits(elements, density, hw):
    """(value bits, mask bits) of ``elements`` values stored with ``density`` non-zeros."""
    if hw.sparsity_modules:
        return elements * density * hw.width, elements
    return elements * hw.width, 0


def _store_output(plan, op, density, hw):
    values, masks = _stored_bits(op.elements, density, hw)
    buffer = "weight" if op.target == "weight" and op.kind == "load" else "activation"
    plan.add_bits(buffer, values)
    plan.add_bits("mask", masks)
    plan.output_bytes = math.ceil(values / 8)
    plan.mask_bytes = math.ceil(masks / 8)
    plan.dynatran += op.elements          # every produced or loaded matrix is pruned once


def _matmul(op, hw, mapping, records, sparsity):
    t, tb, m = mapping.spatial_tile, mapping.batch_tile, hw.macs_per_lane
    rho_a, rho_w = sparsity.of(op.matrix)
    density = sparsity.effectual(op.matrix) * op.density
    role = "mac_act" if op.activation != "none" else "mac"
    lane = records[role]
    beat = lane.initiation_interval * m
    k_chunks = _chunks(op.y, t)
    if hw.sparsity_modules:
        beats = sum(n * expected_beats(length, density, m) for length, n, _ in k_chunks)
    else:
        beats = math.ceil(op.y / m)
    beats += op.bias
    trips = {"b": math.ceil(op.b / tb), "i": math.ceil(op.x / t), "j": math.ceil(op.z / t),
             "k": math.ceil(op.y / t)}
    order = mapping.order
    visits = tile_changes(order, trips, "bij")
    outputs = trips["b"] * trips["i"] * trips["j"]
    revisits = visits // outputs                 # 1, or the k trips when k is not innermost
    classes, boxes = [], []
    for bs, bn, b0 in _chunks(op.b, tb):
        for xs, xn, x0 in _chunks(op.x, t):
            for zs, zn, z0 in _chunks(op.z, t):
                dots = bs * xs * zs
                work = dots * (beats + (revisits - 1)) * beat
                cycles = math.ceil(work / revisits) - 1 + lane.latency_cycles
                if hw.sparsity_modules:
                    cycles += records["pre_sparsity"].latency_cycles
                classes.append((bn * xn * zn * revisits, cycles))
                boxes.append(((b0, bs, bn), (x0, xs, xn), (z0, zs, zn)))
    plan = Plan(op, "mac", classes, boxes, mac_role=role)
    products = op.b * op.x * op.y * op.z
    plan.macs = products * (density if hw.sparsity_modules else 1.0)
    plan.macs += (revisits - 1) * op.elements * 2 + op.bias * op.elements
    if hw.sparsity_modules:
        plan.pre_pairs = op.b * op.x * op.z * trips["k"]
        plan.post_vectors = math.ceil(op.elements / t)
    # operand fetches from the buffers into the PE FIFOs
    iterations = math.prod(trips.values())
    runs = min(hw.pes, iterations) - 1
    for side, indexed, elements, rho, is_weight in (
            ("W", "ik" if op.w_weight else "bik", op.b * op.x * op.y, rho_w, op.w_weight),
            ("A", "kj" if op.a_weight else "bkj", op.b * op.y * op.z, rho_a, op.a_weight)):
        if is_weight:
            elements //= op.b
        distinct = math.prod(trips[loop] for loop in indexed)
        fetches = min(iterations, tile_changes(order, trips, indexed) + runs)
        moved = fetches * elements / distinct
        d = op.density if side == "W" else 1.0
        values, masks = _stored_bits(moved, d * (1 - rho), hw)
        plan.add_bits("weight" if is_weight else "activation", values)
        plan.add_bits("mask", masks)
        plan.fifo_bits += 2 * values               # written into the FIFO, read by the lane
    _store_output(plan, op, 1 - rho_a, hw)
    plan.fifo_bits += 2 * op.elements * hw.width    # the output FIFO
    if revisits > 1:                                # partial sums out and back in
        plan.add_bits("activation", 2 * (revisits - 1) * op.elements * 2 * hw.width)
    return plan


def _vector_op(op, hw, mapping, records, sparsity):
    t, tb = mapping.spatial_tile, mapping.batch_tile
    record = records[op.kind]
    per_row = math.ceil(op.y / hw.vector_length(op.kind))
    length = hw.vector_length(op.kind)
    span = (length - 1) + record.latency_cycles + length     # one vector, in to out
    classes, boxes = [], []
    for bs, bn, b0 in _chunks(op.b, tb):
        for xs, xn, x0 in _chunks(op.x, t):
            vectors = bs * xs * per_row
            classes.append((bn * xn, math.ceil((vectors - 1) * record.initiation_interval)
                            + span))
            boxes.append(((b0, bs, bn), (x0, xs, xn)))
    plan = Plan(op, op.kind, classes, boxes)
    plan.vectors = op.b * op.x * per_row
    rho_a, _ = sparsity.of(op.matrix)
    for _ in op.reads:
        values, masks = _stored_bits(op.elements, 1.0, hw)
        plan.add_bits("activation", values)
        plan.add_bits("mask", masks)
        plan.fifo_bits += 2 * values
    if hw.sparsity_modules:
        plan.pre_pairs = plan.vectors
        plan.post_vectors = plan.vectors
    _store_output(plan, op, 1 - rho_a, hw)
    plan.fifo_bits += 2 * op.elements * hw.width
    return plan


def _eltwise(op, hw, mapping, records, sparsity):
    t, tb, m = mapping.spatial_tile, mapping.batch_tile, hw.macs_per_lane
    lane = records["mac"]
    beats = math.ceil(op.products / m) * lane.initiation_interval * m
    classes, boxes = [], []
    for bs, bn, b0 in _chunks(op.b, tb):
        for xs, xn, x0 in _chunks(op.x, t):
            for ys, yn, y0 in _chunks(op.y, t):
                classes.append((bn * xn * yn, math.ceil(bs * xs * ys * beats) - 1
                                + lane.latency_cycles))
                boxes.append(((b0, bs, bn), (x0, xs, xn), (y0, ys, yn)))
    plan = Plan(op, "mac", classes, boxes)
    plan.macs = op.elements * op.products
    rho_a, _ = sparsity.of(op.matrix)
    for _ in (*op.reads, *op.weights):
        values, masks = _stored_bits(op.elements, 1.0, hw)
        plan.add_bits("activation", values)
        plan.add_bits("mask", masks)
        plan.fifo_bits += 2 * values
    _store_output(plan, op, 1 - rho_a, hw)
    plan.fifo_bits += 2 * op.elements * hw.width
    return plan


def _transfer(op, hw, sparsity):
    _, rho_w = sparsity.of(op.matrix)
    plan = Plan(op, "dma", [])
    if op.kind == "load":
        density = 1 - rho_w if op.target == "weight" else 1.0
        _store_output(plan, op, density, hw)
        values, masks = _stored_bits(op.elements, density, hw)
    else:
        values, masks = _stored_bits(op.elements, 1 - rho_w, hw)
        plan.add_bits(op.target, values)
        plan.add_bits("mask", masks)
    plan.memory_bits = values + masks
    return plan


def plan_op(op, hw, mapping, records, sparsity):
    """The :class:`Plan` of ``op`` on ``hw`` with ``mapping`` (resolved), ``records``
    (role → cost record) and ``sparsity``."""
    if op.kind == "matmul":
        for dim in ("x", "y", "z"):
            if getattr(op, dim) < mapping.spatial_tile and op.phase == "forward":
                raise InvalidDesign("spatial_tile", f"must be at most the smallest matrix "
                                                    f"dimension ({op.name}: {dim} = "
                                                    f"{getattr(op, dim)}), not "
                                                    f"{mapping.spatial_tile}")
        return _matmul(op, hw, mapping, records, sparsity)
    if op.kind in ("softmax", "layernorm"):
        return _vector_op(op, hw, mapping, records, sparsity)
    if op.kind == "eltwise":
        return _eltwise(op, hw, mapping, records, sparsity)
    return _transfer(op, hw, sparsity)
