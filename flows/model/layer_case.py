"""One encoder layer on the accelerator top: the program lowered from the model's
schedule, main memory's image from a trained golden model, and the output the golden
model computes with the hardware's numerics (AccelTran §III-B; issue 16).

The golden model is an encoder of the layer's shape (hidden size, heads, feed-forward
size) trained on the offline sentiment task (:func:`tilewright.golden.models.train.train`,
cached); its first layer runs on the embeddings of ``batch`` test sentences cut to ``seq``
tokens. The hardware's numerics (:func:`hardware_numerics`): every matrix in the
datapath's ``(il, fl)``, products exact before one rounding (float64 holds them exactly),
the LUT softmax and the layer-norm unit bit for bit, the piecewise-linear GeLU, the
attention scale folded into the query projection, and DynaTran at ``tau`` on every
activation.

:func:`layer_case` returns what a run needs; :func:`check_program` runs the program on the
top's bit-exact model (:class:`~tilewright.golden.top.TopModel`) and compares main
memory's output words with the golden model's, word for word.
"""

from dataclasses import dataclass

import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.flows.model.program import lower
from tilewright.flows.model.simulate import plan_and_schedule
from tilewright.flows.model.workload import layer_workload
from tilewright.golden.fixed import quantize
from tilewright.golden.models.encoder import EncoderConfig
from tilewright.golden.models.numerics import Numerics, layer_norm_unit, softmax_unit
from tilewright.golden.models.pruning import DynaTranTap
from tilewright.golden.models.train import TrainConfig, task_data, train
from tilewright.golden.top import TopModel

__all__ = ["LayerCase", "layer_case", "hardware_numerics", "check_program", "top_model"]

#: The softmax unit's exponent table and the GeLU's chords, as the generators' defaults.
LUT_DEPTH, EXP_BITS, GELU_SEGMENTS = 256, 16, 64


@dataclass
class LayerCase:
    """A lowered layer: ``program`` (:class:`~tilewright.flows.model.program.Program`),
    main ``memory`` (int64 words), the ``expected`` output words (``batch·seq·hidden``),
    the model's ``plans`` and ``schedule``, and the ``fmt``."""

    program: object
    memory: torch.Tensor
    expected: torch.Tensor
    plans: dict
    schedule: object
    fmt: FixedFormat


def hardware_numerics(fmt, tau=None):
    """:class:`~tilewright.golden.models.numerics.Numerics` of the top with datapath
    ``fmt`` and DynaTran threshold ``tau`` (a real number, or ``None``)."""
    taps = [DynaTranTap(tau_activation=tau)] if tau is not None else []
    return Numerics(fmt=fmt, gelu="pwl", gelu_segments=GELU_SEGMENTS,
                    softmax=softmax_unit(fmt, LUT_DEPTH, EXP_BITS, fmt.fl),
                    layer_norm=layer_norm_unit(fmt), fold_scale=True, taps=taps)


def top_model(hardware):
    """The top's bit-exact model for ``hardware``'s datapath."""
    return TopModel(fmt=FixedFormat(hardware.il, hardware.fl), macs=hardware.macs_per_lane,
                    gelu_segments=GELU_SEGMENTS, lut_depth=LUT_DEPTH, exp_bits=EXP_BITS)


def _golden(layer, seq, epochs, seed):
    cfg = EncoderConfig(kind="bert", layers=1, hidden=layer.hidden, heads=layer.heads,
                        ff=layer.ff[0], classes=2, vocab=32, seq_len=max(seq, 16))
    return train("sentiment", cfg, TrainConfig(epochs=epochs, seed=seed)).double().eval()


def _image(program, model, fmt, x, scale):
    """Main memory: the input and every weight at the program's addresses."""
    memory = torch.zeros(program.memory_words, dtype=torch.int64)
    layer = model.layers[0]

    def put(name, *tensors):
        address, words = program.loads[name]
        values = torch.cat([quantize(fmt, t.detach().flatten()) for t in tensors])
        if len(values) != words:
            raise ValueError(f"{name} has {len(values)} words, the program loads {words}")
        memory[address:address + words] = values

    put("input", x)
    d = layer.q.weight.shape[0] // layer.heads
    for name in program.loads:
        parts = name.split(".")
        if name == "input":
            continue
        if parts[2] in ("q", "k", "v"):
            linear, h = getattr(layer, parts[2]), int(parts[-1][1:])
            s = scale if parts[2] == "q" else 1.0
            rows = slice(h * d, (h + 1) * d)
            put(name, linear.weight[rows] * s, linear.bias[rows] * s)
        elif parts[2] in ("o", "ff1", "ff2"):
            linear = getattr(layer, parts[2])
            put(name, linear.weight, linear.bias)
        else:
            norm = getattr(layer, parts[2])
            put(name, norm.weight, norm.bias)
    return memory


def layer_case(hardware, layer, *, batch, seq, costs, tau=None, epochs=3, seed=0,
               mapping=None):
    """The :class:`LayerCase` of encoder ``layer`` (a
    :class:`~tilewright.flows.model.workload.Layer`) on ``hardware`` for ``batch``
    sentences of ``seq`` tokens, with cost records from ``costs`` and DynaTran threshold
    ``tau`` (real; rounded to the data's scale, ``None``: no pruning)."""
    fmt = FixedFormat(hardware.il, hardware.fl)
    tau_int = None if tau is None else round(tau * (1 << fmt.fl))
    workload = layer_workload(layer, batch=batch, seq=seq)
    mapping, _, plans, sched = plan_and_schedule(hardware, workload, costs=costs,
                                                 mapping=mapping)
    program = lower(workload, hardware, mapping, plans, sched, tau=tau_int)
    model = _golden(layer, seq, epochs, seed)
    model.numerics = hardware_numerics(
        fmt, None if tau_int is None else tau_int / (1 << fmt.fl))
    tokens = task_data("sentiment").x_test[:batch, :seq]
    with torch.no_grad():
        x = model.embed(tokens)
        out, _ = model.layers[0](x, None, model.numerics, False)
    scale = 1.0 / (layer.hidden // layer.heads) ** 0.5
    memory = _image(program, model, fmt, x, scale)
    expected = quantize(fmt, out.flatten())
    return LayerCase(program, memory, expected, plans, sched, fmt)


def check_program(case, hardware):
    """Run ``case``'s program on the top's bit-exact model; main memory after END.
    Raises ``AssertionError`` naming the first output word that differs from the
    golden model's."""
    memory = top_model(hardware).run(case.program.instructions, case.memory)
    address, words = case.program.output
    got = memory[address:address + words]
    bad = (got != case.expected).nonzero()
    if len(bad):
        i = int(bad[0])
        raise AssertionError(f"output word {i} of {words}: the program gives {int(got[i])}, "
                             f"the golden model {int(case.expected[i])} "
                             f"({len(bad)} words differ)")
    return memory
