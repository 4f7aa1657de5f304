"""``tilewright simulate``: a transformer on an accelerator, from measured cost records.

Prints cycles, latency, throughput, energy, EDP, area, utilisation and the stall split;
with ``-o DIR`` writes ``report.json``, ``ops.csv`` (every op: cycles, energy, stalls),
``utilisation.png`` and ``breakdown.png`` (AccelTran Figs. 17-18 style). Nothing is written
when the design is invalid or cost records are missing.
"""

import json
from pathlib import Path

import click

from tilewright.flows.commands.common import (Number, UserError, cost_source,
                                              fail_on_user_errors)
from tilewright.flows.costs.store import DEFAULT_DB

__all__ = ["COMMAND", "summary_lines"]

TASKS = {"bert": "sentiment", "vit": "digits"}
#: The largest --batch and --seq taken (a bound on the workload graph's size, not on the model).
MAX_TOKENS = 1 << 16


def summary_lines(result):
    """The printed summary of a :class:`~tilewright.flows.model.Result`."""
    s = result.summary()
    mode = "training" if s["train"] else "inference"
    gating = "power-gated" if s["power_gating"] else "clocked when idle"
    util = ", ".join(f"{k} {100 * v:.1f} %" for k, v in s["utilisation"].items())
    st = s["stalls"]
    return [
        f"{s['model']}, batch {s['batch']}, seq {s['seq']} on {s['accelerator']} ({mode})",
        f"cycles       {s['cycles']:,} (latency {s['latency_s'] * 1e6:.1f} us at "
        f"{s['clock_mhz']:g} MHz)",
        f"throughput   {s['throughput_seq_s']:,.1f} seq/s",
        f"energy       {s['energy_pj'] * 1e-9:.4g} mJ (dynamic {s['dynamic_energy_pj'] * 1e-9:.4g}"
        f", leakage {s['leakage_energy_pj'] * 1e-9:.4g}, idle {s['idle_energy_pj'] * 1e-9:.4g}"
        f" mJ; {gating}); average power {s['average_power_w']:.3g} W",
        f"EDP          {s['edp_js']:.4g} J·s",
        f"area         {s['area_um2'] * 1e-6:.2f} mm²",
        f"utilisation  {util}",
        f"stalls       compute waiting for data {st['compute_data']:,.0f}, compute waiting "
        f"for units {st['compute_units']:,.0f}, memory {st['memory']:,.0f} (op-cycles)",
        f"costs        {result.records['mac'].technology}, cycles at {result.clock_mhz:g} MHz",
    ]


def _sparsity(mode, tau, model_kind, task):
    from tilewright.flows.model import Sparsity
    if tau is not None:
        mode = "measured"
    if mode == "none":
        return None
    from tilewright.golden.models.sparsity import measure_sparsity
    task = task or TASKS[model_kind]
    measured = measure_sparsity(task, tau_activation=0.0 if tau is None else tau,
                                tau_weight=0.0 if tau is None else tau)
    return Sparsity.from_measured(measured)


def _searched_model(path, task, seq):
    """``(encoder, kind, seq)`` of the ``[transformer]`` table of a co-design ``best.toml``
    (per-layer hidden size, heads, attention type, feed-forward size), on ``task``'s tokens
    (sentiment unless given) when ``seq`` is not."""
    import tomllib

    from tilewright.flows.search.codesign.hardware import TASK_TOKENS, model_encoder
    from tilewright.flows.search.codesign.space import Transformer
    try:
        transformer = Transformer.from_dict(tomllib.loads(Path(path).read_text())["transformer"])
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as e:
        raise UserError(f"--model must be a shape name or a co-design TOML with a "
                        f"[transformer] table, not {path!r} ({type(e).__name__})") from None
    task = task or "sentiment"
    kind = {v: k for k, v in TASKS.items()}[task]
    return model_encoder(transformer, task), kind, seq or TASK_TOKENS[task]


@click.command("simulate")
@click.option("--config", "config_spec", default="acceltran-edge", show_default=True,
              metavar="CFG", help="accelerator: a TOML config with an [accelerator] table or "
                                  "a shipped preset (acceltran-edge, acceltran-server)")
@click.option("--model", "model_name", default="bert-tiny", show_default=True,
              help="transformer shape (bert-tiny, bert-base, deit-s, lv-vit-s), or a "
                   "co-design best.toml whose [transformer] table is simulated")
@click.option("--batch", type=click.IntRange(1, MAX_TOKENS), default=None,
              help="sequences per batch (default: the config's batch_size)")
@click.option("--seq", type=click.IntRange(1, MAX_TOKENS), default=None, help="tokens per sequence (default: the "
                                                     "model's)")
@click.option("--train", is_flag=True, help="training with DynaProp (forward, backward, "
                                            "weight update) instead of inference")
@click.option("--dataflow", default=None, metavar="ORDER",
              help="loop order of the tiled products, e.g. b,i,j,k (default: the config's)")
@click.option("--sparsity", "sparsity_mode", type=click.Choice(["none", "measured"]),
              default="none", show_default=True,
              help="matrix sparsity: none (dense), or measured on the golden model")
@click.option("--tau", type=Number(at_least_zero=True), default=None,
              help="DynaTran threshold for measured sparsity (implies --sparsity measured)")
@click.option("--task", type=click.Choice(sorted(set(TASKS.values()))), default=None,
              help="golden task measured for sparsity (default: sentiment for BERT, digits "
                   "for ViT)")
@click.option("--equal-heads", is_flag=True,
              help="give all attention heads equal priority instead of staggering them")
@click.option("--node", "node_nm", type=int, default=None, metavar="NM",
              help="scale the cost records' area, energy and leakage to this node (nm; "
                   "Stillmaker & Baas), e.g. 14 as AccelTran (default: as measured)")
@click.option("--db", "db_url", default=DEFAULT_DB, show_default=True,
              help="cost database: a SQLite file or a postgresql:// URL")
@click.option("--characterize", "run_missing", is_flag=True,
              help="measure missing cost records (tilewright characterize) first")
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="folder for report.json, ops.csv and the plots")
@fail_on_user_errors
def COMMAND(config_spec, model_name, batch, seq, train, dataflow, sparsity_mode, tau, task,
            equal_heads, node_nm, db_url, run_missing, output):
    """Simulate a transformer on an AccelTran/ELECTOR accelerator: event-driven at tile
    granularity, per-block cycles and energy from the cost database."""
    from tilewright.flows.model import (Mapping, MissingCosts, build_workload,
                                        load_accelerator, simulate)
    from tilewright.golden.models.shapes import shape

    hardware = load_accelerator(config_spec)
    if batch is not None:
        hardware = hardware.replace(batch_size=batch)
    mapping = Mapping(order=dataflow, staggered=not equal_heads)
    if model_name.endswith(".toml"):
        model, kind, seq = _searched_model(model_name, task, seq)
    else:
        model = shape(model_name)
        kind = model.kind
    workload = build_workload(model, batch=hardware.batch_size, seq=seq, train=train)
    if node_nm is not None:
        from tilewright.flows.costs.scaling import NODES
        if node_nm not in NODES:
            raise UserError(f"--node must be one of {', '.join(map(str, NODES))}, not "
                            f"{node_nm}")
    with cost_source(db_url, config_spec, hardware.clock_mhz, run_missing,
                     node_nm=node_nm) as costs:
        sparsity = _sparsity(sparsity_mode, tau, kind, task)
        try:
            result = simulate(hardware, workload, costs=costs, mapping=mapping,
                              sparsity=sparsity)
        except MissingCosts as e:
            raise UserError(str(e)) from None
    click.echo("\n".join(summary_lines(result)))
    if output is not None:
        from tilewright.flows.model.plots import plot_breakdown, plot_utilisation
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        report = result.to_dict()
        report["workload"] = {"model": model_name, "batch": workload.batch, "seq": workload.seq,
                              "train": train, "ops": len(workload.ops),
                              "sparsity": "measured" if sparsity is not None else "none",
                              "tau": tau}
        (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
        (out / "ops.csv").write_text(result.ops_csv())
        plot_utilisation(result, out / "utilisation.png")
        plot_breakdown(result, out / "breakdown.png")
        for name in ("report.json", "ops.csv", "utilisation.png", "breakdown.png"):
            click.echo(out / name)
