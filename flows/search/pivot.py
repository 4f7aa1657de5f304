"""PIVOT effort search (PIVOT §3.2–3.3, Alg. 1, Fig. 2) timed by PIVOT-Sim.

Phase 1: the CKA matrix between each encoder's MLP output and every later encoder's
attention output (:func:`cka_matrix`, PIVOT Fig. 3a, on a batch of inputs); for each
effort (number of active attentions) the path with the highest Path-Score (Alg. 1,
:func:`path_score`, :func:`best_path`) is kept and trained. Phase 2
(:func:`effort_pairs`): low/high effort pairs from the largest efforts down; for each pair
the entropy threshold rises until the low effort classifies at least the low-effort
constraint ``LEC`` of a batch (PIVOT §3.3 step 4); every threshold's ``F_L``, ``F_H``,
accuracy and PIVOT-Sim delay ``D_L + F_H·D_H`` (§3.4) is a row; :func:`select` picks, for
a delay target, the first pair whose delay is within 5 % of it (§3.3 step 5).

Evaluations go through a :func:`~tilewright.flows.search.evaluations.cached` evaluator
(a run store skips what is done), in two batches of independent evaluations, in parallel
on its executor: Phase 1's CKA matrix with the baseline's accuracy, then every effort
pair's training and threshold sweep (the pairs need the paths, which need the matrix).
"""

from itertools import combinations

import torch

__all__ = ["PAPER", "cka", "cka_matrix", "path_score", "best_path", "effort_pairs", "select"]

#: PIVOT Tables 2 and 3: model, energy J, delay ms, EDP J·ms, accuracy %, for comparison.
PAPER = {
    "deit-s": [("DeiT-S", 0.47, 59.66, 28.19, 79.8), ("PVDS-50", 0.38, 48.47, 16.21, 79.4),
               ("PVDS-35", 0.292, 36.9, 10.5, 78.2)],
    "lv-vit-s": [("LVViT-S", 0.63, 79.55, 50.8, 82.8), ("PVLS-50", 0.410, 50.0, 20.13, 82.6),
                 ("PVLS-35", 0.312, 36.5, 10.57, 81.1)],
}


def cka(x, y):
    """Linear centred kernel alignment of ``x`` and ``y`` (``n × p`` and ``n × q``, rows
    are the same n inputs; Cortes et al. 2012, Kornblith et al. 2019):
    ``‖Yᵀ X‖²_F / (‖Xᵀ X‖_F · ‖Yᵀ Y‖_F)`` on column-centred matrices; 1 for identical
    (or isotropically scaled) features, about 0 for independent ones."""
    x = x.reshape(len(x), -1).double()
    y = y.reshape(len(y), -1).double()
    x = x - x.mean(0)
    y = y - y.mean(0)
    num = torch.linalg.matrix_norm(y.T @ x) ** 2
    den = torch.linalg.matrix_norm(x.T @ x) * torch.linalg.matrix_norm(y.T @ y)
    return float(num / den) if den > 0 else 0.0


@torch.no_grad()
def cka_matrix(model, x):
    """``C[i][j] = CKA(MLP_i, A_j)`` for encoders ``i < j`` of golden ``model`` on inputs
    ``x`` (PIVOT Fig. 3a): MLP_i the MLP block's output of encoder i, A_j the attention
    output (heads concatenated) of encoder j; 0 elsewhere."""
    seen = {}

    def tap(kind, name, t):
        if kind == "activation" and name.endswith((".ff2", ".a")):
            seen[name] = t.detach().clone()
        return t
    num = model.numerics
    num.taps.append(tap)
    try:
        model.eval()
        model(x)
    finally:
        num.taps.remove(tap)
    n = model.cfg.layers
    c = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            c[i][j] = cka(seen[f"layers.{i}.ff2"], seen[f"layers.{j}.a"])
    return c


def path_score(active, matrix):
    """PIVOT Alg. 1: for every encoder ``i`` with active attention, add ``C[i][j]`` for the
    inactive encoders ``j`` following it, up to the next active one."""
    active = set(active)
    n = len(matrix)
    s = 0.0
    for i in sorted(active):
        for j in range(i + 1, n):
            if j in active:
                break
            s += matrix[i][j]
    return s


def best_path(effort, matrix):
    """The set of ``effort`` active encoders with the highest Path-Score (the first in
    lexicographic order on ties); encoder 0 is always active (no attention precedes it
    to stand in for its own)."""
    n = len(matrix)
    if not 1 <= effort <= n:
        raise ValueError(f"effort must be from 1 to {n}, not {effort!r}")
    paths = [(0, *rest) for rest in combinations(range(1, n), effort - 1)]
    return max(paths, key=lambda p: (path_score(p, matrix), [-i for i in p]))


def effort_pairs(efforts):
    """Phase 2's order: pairs ``(low, high)``, ``low < high``, from the largest efforts
    down (high first, then low)."""
    e = sorted(set(efforts), reverse=True)
    return [(lo, hi) for hi in e for lo in e if lo < hi]


def select(rows, target_ms, tolerance=0.05):
    """PIVOT §3.3 step 5: the first row (in Phase 2 order) whose delay is at most
    ``target_ms · (1 + tolerance)``; ``None`` if none."""
    for row in rows:
        if row["delay_ms"] <= target_ms * (1 + tolerance):
            return row
    return None


def _model(task, cfg, skip, epochs, seed):
    from tilewright.golden.models.train import TrainConfig, train
    return train(task, cfg, TrainConfig(epochs=epochs, seed=seed, skip=tuple(skip)))


def phase1(task, cfg, epochs, seed, batch=256):
    """The CKA matrix of the baseline golden model (every attention active) on the first
    ``batch`` training inputs (PIVOT: a batch of 256 images)."""
    from tilewright.golden.models.train import task_data
    x = task_data(task).x_train[:batch]
    return cka_matrix(_model(task, cfg, (), epochs, seed), x)


def threshold_sweep(task, cfg, low_skip, high_skip, thresholds, epochs, seed):
    """Phase 2 for one pair: each effort trained with its skipped attentions, the cascade
    (:func:`tilewright.golden.models.attention_skip.cascade`) on the held-out set at every
    threshold: rows ``th, F_L, F_H, C_L, C_H, accuracy``."""
    from tilewright.golden.models.attention_skip import cascade
    from tilewright.golden.models.train import task_data
    split = task_data(task)
    low = _model(task, cfg, low_skip, epochs, seed)
    high = _model(task, cfg, high_skip, epochs, seed)
    return [cascade(low, high, split.x_test, split.y_test, th, low_skip, high_skip)
            for th in thresholds]


def base_accuracy(task, cfg, epochs, seed):
    """Held-out accuracy of the baseline (every attention active)."""
    from tilewright.golden.models.train import evaluate
    return evaluate(_model(task, cfg, (), epochs, seed), task)


def search(task, cfg, shape, hw, costs, efforts, thresholds, lec, targets, *, epochs, seed,
           evaluate, progress=None):
    """PIVOT's two phases on golden model ``cfg`` (as many encoders as ``shape``), timed on
    ``shape`` by PIVOT-Sim. Returns ``(matrix, paths, rows, chosen, selected, timing)``:
    the CKA matrix; ``{effort: active encoders}``; every (pair, threshold) row with ``F_L,
    F_H, accuracy, delay_ms, energy_mj``; per pair the first row meeting ``F_L ≥ lec``; the
    baseline (every attention active) then, per delay target (a fraction of the
    baseline's delay), the selected row; ``{effort: EffortResult}``. ``evaluate`` is a
    :func:`~tilewright.flows.search.evaluations.cached` evaluator; ``progress(n)`` is
    called after each evaluation."""
    from tilewright.flows.model.pivot import combine, simulate
    if cfg.layers != shape.layers:
        raise ValueError(f"layers must equal the timed shape's encoders ({shape.layers}), "
                         f"not {cfg.layers}")
    n = cfg.layers
    matrix, acc = evaluate.many({
        f"cka:{seed}:{epochs}": (phase1, (task, cfg, epochs, seed)),
        f"base:{seed}:{epochs}": (base_accuracy, (task, cfg, epochs, seed))},
        progress).values()
    paths = {e: best_path(e, matrix) for e in sorted(set(efforts) | {n})}
    skips = {e: tuple(i for i in range(n) if i not in p) for e, p in paths.items()}
    timing = {e: simulate(shape, skips[e], hw, costs) for e in paths}
    base = timing[n]
    pairs = effort_pairs(paths)
    sweeps = evaluate.many({_pair_key(seed, epochs, lo, hi, thresholds): (
        threshold_sweep, (task, cfg, skips[lo], skips[hi], thresholds, epochs, seed))
        for lo, hi in pairs}, progress)
    rows, chosen = [], []
    for lo, hi in pairs:
        first = None
        for r in sweeps[_pair_key(seed, epochs, lo, hi, thresholds)]:
            delay, energy = combine(timing[lo], timing[hi], r["F_H"])
            row = {"low": lo, "high": hi, **r, "delay_ms": delay, "energy_mj": energy * 1e-9,
                   "delay_reduction": base.delay_ms / delay}
            rows.append(row)
            if first is None and r["F_L"] >= lec:
                first = row
        if first is not None:
            chosen.append(first)
    selected = [{"target": None, "target_ms": None, "low": n, "high": n, "F_L": 1.0,
                 "F_H": 0.0, "accuracy": acc, "delay_ms": base.delay_ms,
                 "energy_mj": base.energy_pj * 1e-9, "delay_reduction": 1.0}]
    selected += [{"target": f, "target_ms": f * base.delay_ms,
                 **(select(chosen, f * base.delay_ms) or {})} for f in targets]
    return matrix, paths, rows, chosen, selected, timing


def _pair_key(seed, epochs, lo, hi, thresholds):
    return f"pair:{seed}:{epochs}:{lo}:{hi}:{list(thresholds)}"


def evaluations(efforts, layers):
    """How many evaluations :func:`search` runs (for a progress bar)."""
    return 2 + len(effort_pairs(set(efforts) | {layers}))
