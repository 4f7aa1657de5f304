"""Workload: a transformer encoder as a graph of the operations of AccelTran Table I (and
TransCODE §III-B2's linear transforms and convolutions as matrices), for inference or for
training with DynaProp (TransCODE Table I).

An encoder is a tuple of :class:`Layer` (FlexiBERT-2.0-style: each layer its own hidden
size, heads, attention type and feed-forward sizes); :func:`encoder` builds the
homogeneous ones of :mod:`tilewright.golden.models.shapes`. :func:`build_workload` turns
it into :class:`Op` s:

- ``load``: a DMA transfer from main memory — a weight matrix into the weight buffer, or
  the embedding rows of the batch's tokens (``batch·seq`` rows, not the vocabulary) into
  the activation buffer (M-OP-0..6).
- ``matmul``: O[b,x,z] = W[b,x,y]·A[b,y,z] on the MAC lanes; a stored weight has no batch
  dimension (``w_weight``/``a_weight`` name it): it is loaded and buffered once, not per
  batch element. ``activation`` is the lane's GeLU/ReLU, used only by the feed-forward
  layers before the last one (C-OP-9; AccelTran Table I's GeLU on C-OP-10 is not in BERT).
- ``softmax``: ``b·x`` vectors of ``y`` on the softmax units (C-OP-5).
- ``layernorm``: ``b·x`` vectors of ``y`` on the layer-norm units (C-OP-8, 11).
- ``eltwise``: ``b·x·y`` outputs, each a dot product of ``products`` pairs on the MAC
  lanes: residual adds (``a·1 + b·1``, missing from Table I's C-OP-11), and in training the
  derivative products and the weight update ``W − α·∇W``.
- ``store``: a DMA transfer back to main memory (updated weights, in training).

Names follow the golden models (:mod:`tilewright.golden.models.encoder`): ``layers.<i>.
<op>`` with ``op`` in ``q k v s p pv o ln1 ff1 ff2 ln2`` (``pv`` = P·V of a head), plus
``res1 res2`` for the residual adds and ``a`` for a linear-transform or convolution layer's
mixing product; an op's ``matrix`` is that name (per-head ops share it), so measured
sparsity (:mod:`tilewright.flows.model.sparsity`) applies per matrix.

A projection's bias is one more beat of each of its dot products (operands 1.0 and the
bias, as :mod:`tilewright.isa`'s MATMUL adds it) and is loaded with its weight rows;
each layer norm loads its γ and β (not updated in training). :func:`layer_workload` is one encoder layer on its own,
from its input in main memory to its output stored back, the program
:mod:`tilewright.flows.model.program` lowers for the top's RTL.

Not modelled: the classifier head, the softmax's 1/√d scale (folded into the query
projection's weights and bias).
"""

from dataclasses import dataclass, field

from tilewright.flows.model.errors import InvalidDesign

__all__ = ["Layer", "Encoder", "Op", "Workload", "encoder", "build_workload", "layer_workload",
           "ATTENTIONS"]

#: Attention types of the FlexiBERT 2.0 space (TransCODE Table III): scaled dot-product,
#: weighted multiplicative, DFT and DCT linear transforms, dynamic-span convolution.
ATTENTIONS = ("sdp", "wma", "dft", "dct", "dsc")
BERT_VOCAB = 30522          # AccelTran §II-A
_AFTER_HEADS = 1 << 20


@dataclass(frozen=True)
class Layer:
    """One encoder layer: ``hidden`` size, ``heads``, ``attention`` type, ``ff`` sizes of
    its feed-forward stack (one hidden layer per entry), ``kernel`` of a ``dsc`` layer."""

    hidden: int
    heads: int
    ff: tuple
    attention: str = "sdp"
    kernel: int = 9

    def __post_init__(self):
        if isinstance(self.ff, int):
            object.__setattr__(self, "ff", (self.ff,))
        if self.attention not in ATTENTIONS:
            raise InvalidDesign("attention", f"must be one of {', '.join(ATTENTIONS)}, "
                                             f"not {self.attention!r}")
        for name, value in (("hidden", self.hidden), ("heads", self.heads),
                            ("kernel", self.kernel), *(("ff", f) for f in self.ff)):
            if not isinstance(value, int) or value < 1:
                raise InvalidDesign(name, f"must be a positive integer, not {value!r}")
        if self.hidden % self.heads:
            raise InvalidDesign("heads", f"must divide hidden ({self.hidden}), not "
                                         f"{self.heads}")


@dataclass(frozen=True)
class Encoder:
    """A named stack of :class:`Layer` with a ``vocab``-row token embedding."""

    name: str
    layers: tuple
    vocab: int = BERT_VOCAB


def encoder(shape):
    """The :class:`Encoder` of a :class:`~tilewright.golden.models.shapes.ModelShape` or of
    a shape's name (``"bert-tiny"``)."""
    if isinstance(shape, str):
        from tilewright.golden.models.shapes import shape as by_name
        try:
            shape = by_name(shape)
        except ValueError as e:
            raise InvalidDesign("model", str(e).removeprefix("model ")) from None
    return Encoder(shape.name, tuple(Layer(shape.hidden, shape.heads, (shape.ff,))
                                     for _ in range(shape.layers)))


@dataclass(frozen=True)
class Op:
    """One operation. ``output`` names the matrix it writes (``elements`` values);
    ``reads`` the activation matrices it reads; ``weights`` the stored matrices it
    reads. Matmul dims: O[b,x,z] = W[b,x,y]·A[b,y,z]; softmax/layernorm: ``b·x`` vectors
    of ``y``; eltwise: ``b·x·y`` outputs of ``products`` pairs each; load/store:
    ``elements`` values moved. ``priority`` orders ready work (lower first). ``bias``: a
    matmul whose every dot product has one more beat, the bias."""

    name: str
    kind: str
    matrix: str
    layer: int
    head: int
    priority: tuple
    b: int = 1
    x: int = 1
    y: int = 1
    z: int = 1
    reads: tuple = ()
    weights: tuple = ()
    w_weight: bool = False
    a_weight: bool = False
    activation: str = "none"
    density: float = 1.0
    products: int = 1
    target: str = "activation"
    phase: str = "forward"
    bias: bool = False

    @property
    def unit(self):
        """The resource class that executes it."""
        return {"matmul": "mac", "eltwise": "mac", "softmax": "softmax",
                "layernorm": "layernorm", "load": "dma", "store": "dma"}[self.kind]

    @property
    def elements(self):
        """Values written: the output matrix (or the values moved by a load/store)."""
        if self.kind == "matmul":
            return self.b * self.x * self.z
        return self.b * self.x * self.y


@dataclass(frozen=True)
class Workload:
    """Ops in a valid execution order, and the sizes of the matrices they name."""

    name: str
    batch: int
    seq: int
    train: bool
    ops: tuple
    sizes: dict = field(default_factory=dict)

    def op(self, name):
        return next(o for o in self.ops if o.name == name)


class _Builder:
    def __init__(self, batch, seq):
        self.batch, self.seq = batch, seq
        self.ops, self.sizes, self.loaded = [], {}, set()
        self.rank = 0

    def add(self, name, kind, matrix, layer, head, **kw):
        """Append an op; ``head`` -1 marks a layer-wide op after the heads (it ranks after
        every head of its layer)."""
        self.rank += 1
        rank_head = _AFTER_HEADS if head < 0 else head
        op = Op(name, kind, matrix, layer, head, (layer, rank_head, self.rank), **kw)
        self.ops.append(op)
        if kind not in ("store",):
            self.sizes[name] = op.elements
        return name

    def weight(self, name, layer, head, rows, cols, bias=False):
        """A load of weight ``name`` (once), placed just before its first use; a bias
        comes with it, one more value per row."""
        if name not in self.loaded:
            self.loaded.add(name)
            self.add(name, "load", name, layer, head, x=rows, y=cols + bias, target="weight")
        return name

    def layernorm(self, name, layer, head, x, y, reads):
        """A layer norm with the load of its γ and β."""
        g = self.weight(f"{name}.weight", layer, head, 2, y)
        return self.add(name, "layernorm", name, layer, head, b=self.batch, x=x, y=y,
                        reads=reads, weights=(g,))


def _attention(bld, i, layer, h_in):
    """Ops of one layer's token mixing; returns the name of the mixed (b, seq, hidden)
    matrix before the output projection."""
    b, t, hid, pre = bld.batch, bld.seq, layer.hidden, f"layers.{i}"
    if layer.attention in ("dft", "dct", "dsc"):
        w = bld.weight(f"{pre}.{layer.attention}.weight", i, 0, t, t)
        density = min(1.0, layer.kernel / t) if layer.attention == "dsc" else 1.0
        return bld.add(f"{pre}.a", "matmul", f"{pre}.a", i, 0, b=b, x=t, y=t, z=hid,
                       reads=(h_in,), weights=(w,), w_weight=True, density=density)
    d, heads = hid // layer.heads, []
    for h in range(layer.heads):
        qkv = []
        for m in "qkv":
            w = bld.weight(f"{pre}.{m}.weight.h{h}", i, h, d, hid, bias=True)
            qkv.append(bld.add(f"{pre}.h{h}.{m}", "matmul", f"{pre}.{m}", i, h, b=b, x=d,
                               y=hid, z=t, reads=(h_in,), weights=(w,), w_weight=True,
                               bias=True))
        q, k, v = qkv
        if layer.attention == "wma":
            w = bld.weight(f"{pre}.wma.weight.h{h}", i, h, d, d)
            q = bld.add(f"{pre}.h{h}.wma", "matmul", f"{pre}.wma", i, h, b=b, x=t, y=d, z=d,
                        reads=(q,), weights=(w,), a_weight=True)
        s = bld.add(f"{pre}.h{h}.s", "matmul", f"{pre}.s", i, h, b=b, x=t, y=d, z=t,
                    reads=(q, k))
        p = bld.add(f"{pre}.h{h}.p", "softmax", f"{pre}.p", i, h, b=b, x=t, y=t, reads=(s,))
        heads.append(bld.add(f"{pre}.h{h}.pv", "matmul", f"{pre}.pv", i, h, b=b, x=t, y=t,
                             z=d, reads=(p, v)))
    return tuple(heads)


def _layer(bld, i, layer, h_in):
    b, t, hid, pre = bld.batch, bld.seq, layer.hidden, f"layers.{i}"
    mixed = _attention(bld, i, layer, h_in)
    mixed = mixed if isinstance(mixed, tuple) else (mixed,)
    w = bld.weight(f"{pre}.o.weight", i, -1, hid, hid, bias=True)
    o = bld.add(f"{pre}.o", "matmul", f"{pre}.o", i, -1, b=b, x=hid, y=hid, z=t,
                reads=mixed, weights=(w,), w_weight=True, bias=True)
    r1 = bld.add(f"{pre}.res1", "eltwise", f"{pre}.res1", i, -1, b=b, x=t, y=hid,
                 products=2, reads=(o, h_in))
    ln1 = bld.layernorm(f"{pre}.ln1", i, -1, t, hid, (r1,))
    x, width = ln1, hid
    for n, ff in enumerate(layer.ff):
        name = "ff1" if n == 0 else f"ff1_{n}"
        w = bld.weight(f"{pre}.{name}.weight", i, -1, ff, width, bias=True)
        x = bld.add(f"{pre}.{name}", "matmul", f"{pre}.{name}", i, -1, b=b, x=ff, y=width,
                    z=t, reads=(x,), weights=(w,), w_weight=True, activation="act",
                    bias=True)
        width = ff
    w = bld.weight(f"{pre}.ff2.weight", i, -1, hid, width, bias=True)
    f2 = bld.add(f"{pre}.ff2", "matmul", f"{pre}.ff2", i, -1, b=b, x=hid, y=width, z=t,
                 reads=(x,), weights=(w,), w_weight=True, bias=True)
    r2 = bld.add(f"{pre}.res2", "eltwise", f"{pre}.res2", i, -1, b=b, x=t, y=hid, products=2,
                 reads=(f2, ln1))
    return bld.layernorm(f"{pre}.ln2", i, -1, t, hid, (r2,))


def _backward(bld, forward):
    """DynaProp training (TransCODE Table I): for each forward op in reverse, the gradient
    of its inputs and, for a weight, the weight gradient, the update ``W − α·∇W`` and the
    store of the updated weight. Products per output element of the non-matmul
    derivatives: activation' 1 (δ·f'), softmax 3 (δ∘P − P·rowsum(δ∘P)), layer norm 5
    (δ·γ/σ less the two row means), residual 2 (the gradients of both branches add)."""
    derivative = {"softmax": 3, "layernorm": 5, "eltwise": 2}
    grads = {}
    for op in reversed(forward):
        if op.kind in ("load", "store"):
            continue
        g_out = grads.get(op.name, op.name)
        pri = dict(layer=op.layer + 10_000, head=op.head)
        if op.kind != "matmul":
            g = bld.add(f"{op.name}.grad", "eltwise", f"{op.matrix}.grad", pri["layer"],
                        op.head, b=op.b, x=op.x, y=op.y, products=derivative[op.kind],
                        reads=(g_out, *op.reads), phase="backward")
            for r in op.reads:
                grads[r] = g
            continue
        if op.activation != "none":
            g_out = bld.add(f"{op.name}.act.grad", "eltwise", f"{op.matrix}.act.grad",
                            pri["layer"], op.head, b=op.b, x=op.x, y=op.z, products=1,
                            reads=(g_out, op.name), phase="backward")
        w_in, a_in = (op.weights[0] if op.w_weight else op.reads[0]), (
            op.weights[0] if op.a_weight else op.reads[-1])
        # ∂/∂A = Wᵀ·δ  and  ∂/∂W = δ·Aᵀ (summed over the batch for a stored weight)
        if not op.a_weight:
            g = bld.add(f"{op.name}.grad_a", "matmul", f"{op.matrix}.grad", pri["layer"],
                        op.head, b=op.b, x=op.y, y=op.x, z=op.z, reads=(g_out,),
                        weights=op.weights if op.w_weight else (), w_weight=op.w_weight,
                        phase="backward")
            grads[a_in] = g
        if op.w_weight or op.a_weight:
            wname = op.weights[0]
            dims = (1, op.x, op.b * op.z, op.y) if op.w_weight else (1, op.y, op.b * op.x,
                                                                       op.z)
            gw = bld.add(f"{wname}.grad", "matmul", f"{op.matrix}.weight.grad", pri["layer"],
                         op.head, b=dims[0], x=dims[1], y=dims[2], z=dims[3],
                         reads=(g_out, a_in if op.w_weight else w_in), phase="update")
            rows, cols = (op.x, op.y) if op.w_weight else (op.y, op.z)
            up = bld.add(f"{wname}.update", "eltwise", f"{op.matrix}.weight.update",
                         pri["layer"], op.head, x=rows, y=cols, products=2, reads=(gw,),
                         weights=(wname,), phase="update")
            bld.add(f"{wname}.store", "store", wname, pri["layer"], op.head, x=rows, y=cols,
                    reads=(up,), target="weight", phase="update")
        if not op.w_weight:
            g = bld.add(f"{op.name}.grad_w", "matmul", f"{op.matrix}.grad", pri["layer"],
                        op.head, b=op.b, x=op.x, y=op.z, z=op.y, reads=(g_out, a_in),
                        phase="backward")
            grads[w_in] = g


def build_workload(model, *, batch, seq=None, train=False):
    """The :class:`Workload` of ``model`` (an :class:`Encoder`, a
    :class:`~tilewright.golden.models.shapes.ModelShape` or a shape's name) on ``batch``
    sequences of ``seq`` tokens (default: the shape's), inference or ``train`` (forward,
    backward and weight update, TransCODE Table I)."""
    if not isinstance(model, Encoder):
        tokens = model.tokens if not isinstance(model, str) else None
        model = encoder(model)
        if seq is None:
            from tilewright.golden.models.shapes import shape
            seq = tokens or shape(model.name).tokens
    for name, value in (("batch", batch), ("seq", seq)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidDesign(name, f"must be a positive integer, not {value!r}")
    if not model.layers:
        raise InvalidDesign("layers", "must not be empty")
    bld = _Builder(batch, seq)
    hid = model.layers[0].hidden
    tokens = bld.add("embed.tokens", "load", "embed.tokens", -1, 0, b=batch, x=seq, y=hid)
    pos = bld.weight("embed.position", -1, 0, seq, hid)
    emb = bld.add("embed.add", "eltwise", "embed", -1, 0, b=batch, x=seq, y=hid, products=2,
                  reads=(tokens,), weights=(pos,))
    h = bld.layernorm("embed.ln", -1, 0, seq, hid, (emb,))
    for i, layer in enumerate(model.layers):
        if layer.hidden != hid:
            # FlexiBERT 2.0 projects between layers of different widths
            w = bld.weight(f"layers.{i}.proj.weight", i, 0, layer.hidden, hid, bias=True)
            h = bld.add(f"layers.{i}.proj", "matmul", f"layers.{i}.proj", i, 0, b=batch,
                        x=layer.hidden, y=hid, z=seq, reads=(h,), weights=(w,), w_weight=True,
                        bias=True)
            hid = layer.hidden
        h = _layer(bld, i, layer, h)
    if train:
        _backward(bld, list(bld.ops))
    return Workload(model.name, batch, seq, bool(train), tuple(bld.ops), dict(bld.sizes))


def layer_workload(layer, *, batch, seq):
    """The :class:`Workload` of one encoder :class:`Layer` (index 0) on ``batch``
    sequences of ``seq`` tokens: the load of its input (``input``, ``batch·seq`` rows of
    ``hidden``) from main memory, the layer, and the store of its output (``output``)."""
    for name, value in (("batch", batch), ("seq", seq)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidDesign(name, f"must be a positive integer, not {value!r}")
    bld = _Builder(batch, seq)
    h = bld.add("input", "load", "input", 0, 0, b=batch, x=seq, y=layer.hidden)
    out = _layer(bld, 0, layer, h)
    bld.add("output", "store", out, 0, -1, b=batch, x=seq, y=layer.hidden, reads=(out,))
    return Workload(f"layer({layer.hidden}, {layer.heads}, {layer.ff})", batch, seq, False,
                    tuple(bld.ops), dict(bld.sizes))
