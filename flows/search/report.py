"""Outputs of the searches' commands: CSV tables, line plots and a Markdown summary."""

import csv
from pathlib import Path

__all__ = ["floats", "run_options", "write_csv", "plot_lines", "write_summary"]


def floats(text, name):
    """``"0.8,0.6"`` → ``[0.8, 0.6]``; ``ValueError`` naming ``name`` otherwise."""
    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"{name} must be comma-separated numbers, not {text!r}") from None
    if not values:
        raise ValueError(f"{name} must list at least one number, not {text!r}")
    return values


def run_options(fn):
    """The options every search command shares: ``--db``, ``--resume`` and ``-o``."""
    import click

    from tilewright.flows.costs.store import DEFAULT_DB
    for option in reversed([
            click.option("--db", "db_url", default=DEFAULT_DB,
                         show_default=True, help="cost database and run store"),
            click.option("--resume", default=None, metavar="RUN", help="resume run RUN"),
            click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
                         help="folder for the CSV tables, plot and summary")]):
        fn = option(fn)
    return fn


def write_csv(path, rows):
    """``rows`` (dicts; the union of their keys, in first-seen order) as CSV at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def plot_lines(path, panels):
    """One panel per ``(x label, y label, {series: [(x, y), ...]})``, side by side."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (xlabel, ylabel, series) in zip(axes[0], panels):
        for name, points in series.items():
            if points:
                xs, ys = zip(*sorted(points))
                ax.plot(xs, ys, "o-", label=name)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _cell(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def _table(rows):
    fields = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
    lines += ["| " + " | ".join(_cell(r.get(k)) for k in fields) + " |" for r in rows]
    return "\n".join(lines)


def write_summary(path, title, sections):
    """A Markdown file: ``title``, then each ``(heading, text or list of row dicts)``."""
    parts = [f"# {title}", ""]
    for heading, body in sections:
        parts += [f"## {heading}", "", body if isinstance(body, str) else _table(body), ""]
    Path(path).write_text("\n".join(parts))
