"""``tilewright accuracy``: regenerate the approximation-error tables and plot of the
softmax, layer-norm and GeLU units against ``torch.nn.functional`` (float) on activations
of a small transformer trained with a fixed seed (:mod:`tilewright.golden.models.accuracy`)."""

import csv
import json

import click

from tilewright.flows.commands.common import fail_on_user_errors, output_folder

__all__ = ["COMMAND", "write_report"]

FIELDS = ("unit", "knob", "value", "max_abs_error", "mean_abs_error", "samples")


def write_report(rows, folder, meta):
    """Write ``accuracy.csv``, ``accuracy.md`` and ``accuracy.png`` into ``folder``."""
    from tilewright.flows.generate import check_writable
    folder = check_writable(folder)
    with open(folder / "accuracy.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    lines = ["# Approximation error against torch.nn.functional (float)", "",
             f"Inputs: {meta['source']}.", f"Settings: `{json.dumps(meta['settings'])}`.", ""]
    for unit in dict.fromkeys(r["unit"] for r in rows):
        knob = next(r["knob"] for r in rows if r["unit"] == unit)
        lines += [f"## {unit}", "", f"| {knob} | max abs error | mean abs error | samples |",
                  "|---:|---:|---:|---:|"]
        lines += [f"| {r['value']} | {r['max_abs_error']:.3e} | {r['mean_abs_error']:.3e} | "
                  f"{r['samples']} |" for r in rows if r["unit"] == unit]
        lines.append("")
    (folder / "accuracy.md").write_text("\n".join(lines))
    _plot(rows, folder / "accuracy.png")
    return [folder / "accuracy.csv", folder / "accuracy.md", folder / "accuracy.png"]


def _plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    units = list(dict.fromkeys(r["unit"] for r in rows))
    fig, axes = plt.subplots(1, len(units), figsize=(4.2 * len(units), 3.4))
    for ax, unit in zip(axes, units):
        sel = [r for r in rows if r["unit"] == unit]
        xs = [r["value"] for r in sel]
        ax.plot(xs, [r["max_abs_error"] for r in sel], "o-", label="max")
        ax.plot(xs, [r["mean_abs_error"] for r in sel], "s--", label="mean")
        ax.set_yscale("log", base=2)
        if sel[0]["knob"] != "fl":          # depths and segment counts are powers of two
            ax.set_xscale("log", base=2)
        ax.set_title(unit)
        ax.set_xlabel(sel[0]["knob"])
        ax.set_ylabel("abs error vs torch (float)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@click.command("accuracy")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              callback=output_folder, help="folder for accuracy.csv, accuracy.md and accuracy.png")
@click.option("--il", type=int, default=4, show_default=True, help="integer bits of the data")
@click.option("--fl", type=int, default=16, show_default=True,
              help="fraction bits of softmax and GeLU inputs")
@click.option("--exp-bits", type=int, default=16, show_default=True,
              help="fraction bits of the softmax exponent LUT entries")
@click.option("--out-fl", type=int, default=16, show_default=True,
              help="fraction bits of the softmax outputs")
@click.option("--seed", type=int, default=0, show_default=True,
              help="seed of the transformer's initialization, data and training")
@click.option("--steps", type=int, default=200, show_default=True,
              help="training steps of the transformer")
@fail_on_user_errors
def accuracy(output, il, fl, exp_bits, out_fl, seed, steps):
    """Error of the softmax (vs exponent-LUT depth), GeLU (vs segments) and layer-norm
    (vs fraction bits) units against torch.nn.functional in float, on the activations of a
    small transformer trained for a few steps; writes a CSV, a markdown table and a plot."""
    from tilewright.fixedpoint import FixedFormat, check_int
    from tilewright.gen.softmax import Softmax
    from tilewright.golden.models.accuracy import capture, sweep
    fmt = FixedFormat(il, fl)
    Softmax(t=16, il=il, fl=fl, exp_bits=exp_bits, out_fl=out_fl)    # checks the values
    check_int("steps", steps, 0, 100_000)
    check_int("seed", seed, 0, (1 << 63) - 1)
    taps, task_accuracy = capture(seed=seed, steps=steps)
    rows = sweep(taps, fmt, exp_bits, out_fl)
    meta = {"source": f"TinyEncoder (2 layers, 2 heads, dim 32, t=16) trained {steps} steps "
                      f"with seed {seed}, held-out task accuracy {task_accuracy:.3f}",
            "settings": {"il": il, "fl": fl, "exp_bits": exp_bits, "out_fl": out_fl,
                         "seed": seed, "steps": steps}}
    for path in write_report(rows, output, meta):
        click.echo(path)


COMMAND = accuracy
