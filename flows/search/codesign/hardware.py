"""Hardware figures of a pair from the accelerator model (:mod:`tilewright.flows.model`).

:class:`ModelHardware` is the ``hardware`` callable of :class:`~.evaluation.PairEvaluator`:
it turns the pair into the model's inputs — the ELECTOR accelerator
(:class:`tilewright.flows.model.Accelerator`: memory ``type-banks-ranks-channels`` split
into its fields, the transformer's activation on the MAC lanes) and the transformer's
inference workload (:func:`tilewright.flows.model.build_workload` of an
:class:`~tilewright.flows.model.Encoder` with one FlexiBERT-2.0 layer per layer, a batch of
``batch_size`` sequences of the task's tokens) — and simulates it on cost records from the
database at ``db`` (read through :class:`~tilewright.flows.model.CostSource` only). A
design the model cannot run (:class:`~tilewright.flows.model.InvalidDesign`) comes back as
its message: the pair is invalid. Missing cost records are an error, not an invalid pair.
Dynamic energy counts the clocked idle units' energy too (the model's ``idle_energy_pj``;
zero for units that power gating turns off).
"""

__all__ = ["ModelHardware", "model_accelerator", "model_encoder", "TASK_TOKENS"]

#: Sequence length of each task's inputs: 16 tokens (sentiment), 16 patches + CLS (digits).
TASK_TOKENS = {"sentiment": 16, "digits": 17}
_VOCAB = {"sentiment": 32, "digits": 1}


def model_accelerator(acc, activation):
    """The model's :class:`~tilewright.flows.model.Accelerator` of an ELECTOR point."""
    from tilewright.flows.model import Accelerator
    kind, banks, ranks, channels = acc.memory.split("-")
    return Accelerator(name="codesign", pes=acc.pes, lanes_per_pe=acc.lanes_per_pe,
                       macs_per_lane=acc.macs_per_lane, softmax_per_pe=acc.softmax_per_pe,
                       batch_tile=acc.batch_tile, spatial_tile=acc.spatial_tile,
                       activation=activation, batch_size=acc.batch_size,
                       activation_buffer_mb=acc.activation_buffer_mb,
                       weight_buffer_mb=acc.weight_buffer_mb,
                       mask_buffer_mb=acc.mask_buffer_mb, memory=kind,
                       memory_banks=int(banks), memory_ranks=int(ranks),
                       memory_channels=int(channels))


def model_encoder(transformer, task):
    from tilewright.flows.model import Encoder, Layer
    return Encoder("codesign", tuple(Layer(x.hidden, x.heads, (x.ff,), x.attention)
                                     for x in transformer.layers), vocab=_VOCAB[task])


class ModelHardware:
    """Callable ``pair → figures | reason`` (see the module docstring); picklable."""

    def __init__(self, db, task="sentiment"):
        self.db, self.task, self._costs = db, task, None

    def __getstate__(self):
        return {**self.__dict__, "_costs": None}

    def costs(self):
        if self._costs is None:
            from tilewright.flows.costs import open_db
            from tilewright.flows.model import CostSource
            self._costs = CostSource(open_db(self.db))
        return self._costs

    def __call__(self, pair):
        from tilewright.flows.model import InvalidDesign, build_workload, simulate
        try:
            hw = model_accelerator(pair.accelerator, pair.transformer.activation)
            workload = build_workload(model_encoder(pair.transformer, self.task),
                                      batch=pair.accelerator.batch_size,
                                      seq=TASK_TOKENS[self.task])
            r = simulate(hw, workload, costs=self.costs())
        except InvalidDesign as e:
            return str(e)
        return {"latency_s": r.latency_s,
                "dynamic_energy_pj": r.dynamic_energy_pj + r.idle_energy_pj,
                "leakage_energy_pj": r.leakage_energy_pj, "area_um2": r.area_um2,
                "stalls": sum(r.stalls.values()),
                "compute_stalls": r.stalls["compute_data"] + r.stalls["compute_units"],
                "memory_stalls": r.stalls["memory"]}
