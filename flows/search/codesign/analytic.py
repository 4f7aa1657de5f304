"""An analytic test objective for the co-design searchers: NOT measured figures.

:func:`analytic_hardware` and :func:`analytic_accuracy` have the shape of the real
evaluators (:class:`~.hardware.ModelHardware`, :class:`~.accuracy.AccuracyEvaluator`) and
cost nothing, so the searchers' tests run in seconds and the searchers can be compared on a
known function (as Branin is used for Bayesian optimisers). Their numbers say nothing about
any hardware: figures of a design come only from the accelerator model on measured costs.
"""

__all__ = ["analytic_hardware", "analytic_accuracy"]

TOKENS = 16


def analytic_hardware(pair):
    """Analytic figures: MACs over peak MAC throughput, area from the module counts."""
    acc, macs = pair.accelerator, 0
    for layer in pair.transformer.layers:
        h, f = layer.hidden, layer.ff
        macs += TOKENS * (2 * h * f + h * h)
        if layer.attention in ("sdp", "wma"):
            macs += TOKENS * (3 * h * h + 2 * TOKENS * h)
        else:
            macs += TOKENS * TOKENS * h
    if acc.memory.startswith("lpddr3") and acc.pes >= 1024:
        return "memory bandwidth too low for 1024 PEs"
    peak = acc.pes * acc.lanes_per_pe * acc.macs_per_lane
    latency_s = (macs / peak + 50 * len(pair.transformer.layers)) * 1e-9
    area = acc.pes * (acc.lanes_per_pe * acc.macs_per_lane * 90.0 + acc.softmax_per_pe * 400.0) \
        + 2e4 * (acc.activation_buffer_mb + acc.weight_buffer_mb + acc.mask_buffer_mb)
    return {"latency_s": latency_s, "dynamic_energy_pj": macs * 0.5 + 1e3,
            "leakage_energy_pj": area * 1e-3 * latency_s * 1e9, "area_um2": area}


def analytic_accuracy(transformer):
    """Bigger, attention-computing models score higher, with diminishing returns."""
    score = sum(0.04 * (layer.hidden / 64) + 0.03 * (layer.attention == "sdp")
                + 0.01 * (layer.ff / 128) for layer in transformer.layers)
    return 0.6 + min(score, 0.35) + 0.01 * (transformer.activation == "gelu")
