"""``tilewright model``: train, evaluate and sweep the golden transformer models.

Every sweep writes ``<name>.csv`` and ``<name>.png`` into ``--output``:

- ``sweep dynatran``: τ → weight/activation sparsity ρ and accuracy (AccelTran §III-A,
  the transfer curve; τ prunes the activations, the weights or both), ρ per matrix
  (``dynatran_matrices.csv``), and DynaTran against top-k (SpAtten) at equal activation
  sparsity: each method's ρ, accuracy and measured pruning time (wall and CPU) per τ
  (``topk``, AccelTran Figs. 12–13; the k chosen per matrix in ``topk_matrices.csv``);
- ``sweep dynaprop``: τ_T → gradient sparsity and accuracy of DynaProp training
  (TransCODE §III-A);
- ``sweep reuse``: TReX reuse patterns → accuracy (TReX §IV, Fig. 5);
- ``sweep skip``: PIVOT cascade threshold Th → F_L, F_H, accuracy (PIVOT §3.1).
"""

import csv
import json
import math
from pathlib import Path

import click

from tilewright.flows.commands.common import (DB_OPTION, Number, UserError, evaluate_tasks,
                                             executor_options, fail_on_user_errors,
                                             output_folder, resume_option)
from tilewright.flows.executor import get_executor

__all__ = ["COMMAND"]

TASK = click.option("--task", type=click.Choice(["digits", "sentiment"]), default="digits",
                    show_default=True, help="digits: ViT on sklearn digits; sentiment: "
                    "BERT-style on the generated sequence task")
SEED = click.option("--seed", type=int, default=0, show_default=True, help="training seed")
EPOCHS = click.option("--epochs", type=int, default=30, show_default=True,
                      help="training epochs")
SAMPLES = click.option("--samples", type=int, default=None,
                       help="evaluate on the first N held-out samples only (default: all)")
OUTPUT = click.option("-o", "--output", type=click.Path(file_okay=False), required=True,
                      callback=output_folder, help="folder for the CSV table and PNG plot")


def _ints(text, name):
    """``"1,3"`` → ``(1, 3)``; ``""`` → ``()``."""
    try:
        return tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise UserError(f"{name} must be comma-separated integers, not {text!r}") from None


def _floats(text, name):
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise UserError(f"{name} must be comma-separated numbers, not {text!r}") from None


def _thresholds(text, name):
    """``"0,0.5"`` → ``[0.0, 0.5]``: thresholds, each finite and at least 0."""
    values = _floats(text, name)
    if not all(0 <= v < math.inf for v in values):
        raise UserError(f"{name} must be comma-separated numbers at least 0, not {text!r}")
    return values


def _held_out(task, samples):
    from tilewright.fixedpoint import check_int
    from tilewright.golden.models.train import task_data
    split = task_data(task)
    n = len(split.y_test) if samples is None else check_int("samples", samples, 1, 1 << 30)
    return split.x_test[:n], split.y_test[:n]


def _model(task, seed, epochs, log=False, **cfg):
    from tilewright.golden.models.train import TrainConfig, default_config, train
    tcfg_keys = {"skip"}
    tkw = {k: cfg.pop(k) for k in list(cfg) if k in tcfg_keys}
    return train(task, default_config(task, **cfg),
                 TrainConfig(epochs=epochs, seed=seed, **tkw),
                 log=click.echo if log else None)


def _check_training(task, seed, epochs, **cfg):
    """The training settings of tasks run elsewhere (on an executor), checked here first."""
    from tilewright.golden.models.train import TrainConfig, default_config
    default_config(task, **cfg)
    TrainConfig(epochs=epochs, seed=seed)


def _write_csv(output, name, rows):
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"{name}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    click.echo(out / f"{name}.csv")
    return out


def _write(output, name, rows, *plots):
    """``<name>.csv`` and ``<name>.png``: one panel per function of ``plots``."""
    out = _write_csv(output, name, rows)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(plots), figsize=(6 * len(plots), 4), squeeze=False)
    for ax, plot in zip(axes[0], plots):
        plot(ax, rows)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=100)
    plt.close(fig)
    click.echo(out / f"{name}.png")


def _line(ax, rows, x, ys, xlabel):
    for y in ys:
        ax.plot([r[x] for r in rows], [r[y] for r in rows], marker="o", label=y)
    ax.set_xlabel(xlabel)


@click.group("model")
def COMMAND():
    """Golden transformer models on offline data: train, evaluate, sweep."""


@COMMAND.command("train")
@TASK
@SEED
@EPOCHS
@fail_on_user_errors
def train_command(task, seed, epochs):
    """Train (or load the cached checkpoint) and print held-out accuracy."""
    from tilewright.golden.models.train import evaluate
    model = _model(task, seed, epochs, log=True)
    click.echo(json.dumps({"task": task, "seed": seed, "accuracy": evaluate(model, task)}))


@COMMAND.command("evaluate")
@TASK
@SEED
@EPOCHS
@click.option("--il", type=int, help="integer bits of the fixed-point format (with --fl)")
@click.option("--fl", type=int, help="fraction bits of the fixed-point format (with --il)")
@click.option("--gelu", type=click.Choice(["exact", "pwl"]), default="exact",
              show_default=True, help="GeLU: float or the hardware's piecewise-linear unit")
@click.option("--units", is_flag=True,
              help="softmax and layer-norm through the hardware units' bit-exact models "
                   "(needs --il/--fl)")
@click.option("--skip", default="", help="encoders whose attention is skipped, e.g. 1,3")
@fail_on_user_errors
def evaluate_command(task, seed, epochs, il, fl, gelu, units, skip):
    """Held-out accuracy with the hardware's numerics."""
    from tilewright.fixedpoint import FixedFormat
    from tilewright.golden.models import Numerics
    from tilewright.golden.models.numerics import layer_norm_unit, softmax_unit
    from tilewright.golden.models.encoder import check_skip
    from tilewright.golden.models.train import default_config, evaluate
    if (il is None) != (fl is None):
        raise UserError("--il and --fl go together")
    fmt = FixedFormat(il, fl) if il is not None else None
    if units and fmt is None:
        raise UserError("--units needs --il and --fl")
    hooks = dict(softmax=softmax_unit(fmt), layer_norm=layer_norm_unit(fmt)) if units else {}
    num, skip = Numerics(fmt=fmt, gelu=gelu, **hooks), _ints(skip, "skip")
    check_skip(skip, default_config(task).layers)
    model = _model(task, seed, epochs)
    acc = evaluate(model, task, num, skip=skip)
    click.echo(json.dumps({"task": task, "format": [il, fl] if fmt else "float",
                           "gelu": gelu, "units": units, "skip": list(skip),
                           "accuracy": acc}))


@COMMAND.group("sweep")
def sweep():
    """Accuracy/sparsity sweeps writing CSV tables and PNG plots."""


@sweep.command("dynatran")
@TASK
@SEED
@EPOCHS
@OUTPUT
@click.option("--taus", default="0,0.005,0.01,0.02,0.03,0.05,0.075,0.1", show_default=True,
              help="thresholds τ")
@click.option("--prune", type=click.Choice(["activation", "weight", "both"]),
              default="activation", show_default=True,
              help="matrices the swept τ prunes (both: one τ for weights and activations)")
@click.option("--tau-activation", type=float, default=None,
              help="fixed activation threshold when --prune weight (default: dense)")
@click.option("--tau-weight", type=float, default=None,
              help="fixed weight threshold when --prune activation (default: dense)")
@click.option("--repeats", type=int, default=5, show_default=True,
              help="timed evaluations per method and τ (the least time is kept)")
@SAMPLES
@fail_on_user_errors
def sweep_dynatran(task, seed, epochs, output, taus, prune, tau_activation, tau_weight,
                   repeats, samples):
    """DynaTran τ → sparsity and accuracy; top-k at equal activation sparsity, timed."""
    from tilewright.fixedpoint import check_int
    from tilewright.golden.models.pruning import equal_sparsity, sweep_points, transfer_curve
    taus = _floats(taus, "taus")
    knobs = dict(sweep=prune, tau_activation=tau_activation, tau_weight=tau_weight)
    sweep_points(taus, **knobs)                        # every τ checked before any work
    check_int("repeats", repeats, 1, 1000)
    x, y = _held_out(task, samples)
    model = _model(task, seed, epochs)
    matrices, chosen = [], []
    rows = transfer_curve(model, x, y, taus, per_matrix=matrices, **knobs)
    _write(output, "dynatran", rows,
           lambda ax, r: _line(ax, r, "tau", ["rho_activation", "rho_weight", "accuracy"],
                               "threshold τ"))
    _write_csv(output, "dynatran_matrices", matrices)
    compared = equal_sparsity(model, x, y, taus, repeats=repeats, per_matrix=chosen, **knobs)
    _write(output, "topk", compared,
           lambda ax, r: _versus(ax, r, ["accuracy"], "accuracy"),
           lambda ax, r: _versus(ax, r, ["seconds", "cpu_seconds"], "pruning time (s)"))
    _write_csv(output, "topk_matrices", chosen)


def _versus(ax, rows, fields, ylabel):
    """DynaTran's and top-k's ``fields`` against their activation ρ (AccelTran Fig. 12)."""
    for field, style in zip(fields, ("-", "--")):
        for color, method in enumerate(("dynatran", "topk")):
            ax.plot([r[f"rho_{method}"] for r in rows],
                    [r[f"{field}_{method}"] for r in rows], style, color=f"C{color}",
                    marker="o", label=f"{method} {field}")
    ax.set_xlabel("activation sparsity ρ")
    ax.set_ylabel(ylabel)


@sweep.command("dynaprop")
@TASK
@SEED
@click.option("--epochs", type=int, default=10, show_default=True, help="training epochs")
@OUTPUT
@click.option("--tau-i", type=Number(at_least_zero=True), default=0.0, show_default=True,
              help="activation threshold τ_I")
@click.option("--tau-ts", default="0,1e-7,1e-6,1e-5,1e-4", show_default=True,
              help="gradient thresholds τ_T")
@executor_options
@resume_option
@DB_OPTION
@fail_on_user_errors
def sweep_dynaprop(task, seed, epochs, output, tau_i, tau_ts, executor_kind, scheduler,
                   workers, run_id, db_url):
    """DynaProp training: τ_T → gradient sparsity and accuracy (one training per τ_T, in
    parallel on --executor)."""
    _check_training(task, seed, epochs)
    executor = get_executor(executor_kind, scheduler=scheduler, workers=workers)
    tasks = {f"tau_t={tau_t!r}": (task, seed, epochs, tau_i, tau_t)
             for tau_t in _thresholds(tau_ts, "tau-ts")}
    rows = list(evaluate_tasks(_dynaprop_row, tasks, executor, desc="dynaprop",
                               run_id=run_id, db_url=db_url, kind="model-sweep-dynaprop",
                               config={"task": task, "seed": seed, "epochs": epochs,
                                       "tau_i": tau_i}).values())
    _write(output, "dynaprop", rows,
           lambda ax, r: _line(ax, r, "tau_t", ["gradient_sparsity", "accuracy"],
                               "gradient threshold τ_T"))


def _dynaprop_row(task, seed, epochs, tau_i, tau_t):
    """One DynaProp training (an executor task): its sparsities and accuracy."""
    from tilewright.golden.models.dynaprop import DynaPropTap
    from tilewright.golden.models import Numerics
    from tilewright.golden.models.train import TrainConfig, default_config, evaluate, train
    tap = DynaPropTap(tau_i, tau_t)
    model = train(task, default_config(task), TrainConfig(epochs=epochs, seed=seed),
                  numerics=Numerics(taps=[tap]), cache=False)
    return {"tau_i": tau_i, "tau_t": tau_t,
            "activation_sparsity": tap.activation_sparsity(),
            "gradient_sparsity": tap.gradient_sparsity(),
            "accuracy": evaluate(model, task)}


@sweep.command("reuse")
@TASK
@SEED
@EPOCHS
@OUTPUT
@click.option("--layers", type=int, default=4, show_default=True, help="encoders")
@click.option("--n-reuse", type=int, default=2, show_default=True,
              help="encoders that reuse attention")
@click.option("--start", type=int, default=1, show_default=True, help="first reusing encoder")
@click.option("--stride", type=int, default=2, show_default=True, help="stride length SL")
@click.option("--n-cont", type=int, default=1, show_default=True,
              help="continuous encoders of the pyramid")
@executor_options
@resume_option
@DB_OPTION
@fail_on_user_errors
def sweep_reuse(task, seed, epochs, output, layers, n_reuse, start, stride, n_cont,
                executor_kind, scheduler, workers, run_id, db_url):
    """TReX attention reuse: each pattern, trained, → accuracy (the trainings in parallel
    on --executor)."""
    from tilewright.golden.models.attention_reuse import PATTERNS, pattern
    _check_training(task, seed, epochs, layers=layers)
    executor = get_executor(executor_kind, scheduler=scheduler, workers=workers)
    patterns = [("none", ())] + [(kind, pattern(kind, layers, n_reuse, start, stride, n_cont))
                                 for kind in PATTERNS]
    tasks = {f"{kind}:{' '.join(map(str, enc))}": (task, seed, epochs, layers, kind, enc)
             for kind, enc in patterns}
    rows = list(evaluate_tasks(_reuse_row, tasks, executor, desc="reuse", run_id=run_id,
                               db_url=db_url, kind="model-sweep-reuse",
                               config={"task": task, "seed": seed, "epochs": epochs,
                                       "layers": layers}).values())

    def plot(ax, r):
        ax.bar([x["pattern"] for x in r], [x["accuracy"] for x in r], label="accuracy")
        ax.set_ylim(0, 1)
    _write(output, "reuse", rows, plot)


def _reuse_row(task, seed, epochs, layers, kind, enc):
    """One model trained with attention-reuse pattern ``enc`` (an executor task)."""
    from tilewright.golden.models.train import evaluate
    model = _model(task, seed, epochs, layers=layers, reuse=tuple(enc))
    return {"pattern": kind, "reuse": " ".join(map(str, enc)),
            "attentions": layers - len(enc), "accuracy": evaluate(model, task)}


@sweep.command("skip")
@TASK
@SEED
@EPOCHS
@OUTPUT
@click.option("--low-skip", default="1", show_default=True,
              help="encoders skipped by the low-effort model")
@click.option("--high-skip", default="", help="encoders skipped by the high-effort model")
@click.option("--ths", default="0,0.05,0.1,0.2,0.3,0.5,0.75,1", show_default=True,
              help="entropy thresholds Th")
@SAMPLES
@fail_on_user_errors
def sweep_skip(task, seed, epochs, output, low_skip, high_skip, ths, samples):
    """PIVOT low/high-effort cascade: Th → F_L, F_H, accuracy."""
    from tilewright.golden.models.attention_skip import cascade
    from tilewright.golden.models.encoder import check_skip
    from tilewright.golden.models.train import default_config
    low_skip, high_skip = _ints(low_skip, "low-skip"), _ints(high_skip, "high-skip")
    for skip in (low_skip, high_skip):
        check_skip(skip, default_config(task).layers)
    ths = _thresholds(ths, "ths")
    x, y = _held_out(task, samples)
    low = _model(task, seed, epochs, skip=low_skip)
    high = _model(task, seed, epochs, skip=high_skip)
    rows = [cascade(low, high, x, y, th, low_skip, high_skip)
            for th in ths]
    _write(output, "skip", rows,
           lambda ax, r: _line(ax, r, "th", ["F_L", "accuracy"], "entropy threshold Th"))
