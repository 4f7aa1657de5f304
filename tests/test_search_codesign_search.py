"""The co-design loop, its outputs, resume and input checks (issue 18), on the analytic
test objective (:mod:`tilewright.flows.search.codesign.analytic`) so that it runs in
seconds."""

import csv
import tomllib

import pytest
import torch

from tilewright.flows.search.codesign.analytic import analytic_accuracy, analytic_hardware
from tilewright.flows.search.codesign.driver import run_study
from tilewright.flows.search.codesign.performance import P_MIN, Weights, performance
from tilewright.flows.search.codesign.report import pair_of_config
from tilewright.flows.search.codesign.run import CodesignConfig, codesign
from tilewright.flows.search.codesign.search import MemoryStore, SearchSettings
from tilewright.flows.search.codesign.validity import Constraints

SMALL = SearchSettings(budget=12, batch=4, initial=8, seed=3)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


class Counting:
    """The analytic hardware, counting calls; raises after ``stop_after`` calls."""

    def __init__(self, stop_after=None):
        self.calls, self.stop_after = 0, stop_after

    def __call__(self, pair):
        if self.stop_after is not None and self.calls >= self.stop_after:
            raise KeyboardInterrupt
        self.calls += 1
        return analytic_hardware(pair)


def test_performance_measure():
    rec = {"valid": True, "accuracy": 0.8, "latency_s": 1.0, "area_um2": 4.0,
           "dynamic_energy_pj": 3.0, "leakage_energy_pj": 10.0}
    maxima = {"latency_s": 2.0, "area_um2": 8.0, "dynamic_energy_pj": 6.0,
              "leakage_energy_pj": 5.0}
    # 0.1·0.5 + 0.1·0.5 + 0.2·0.5 + 0.1·0 (clipped) + 0.5·0.8
    assert performance(rec, Weights(), maxima) == pytest.approx(0.6)
    assert performance({"valid": False}, Weights(), maxima) == P_MIN
    with pytest.raises(ValueError, match="^weights must sum to 1, not 1.1$"):
        Weights(0.2, 0.1, 0.2, 0.1, 0.5)


@pytest.mark.parametrize("method", ["boshcode", "random", "gpbo", "rf", "gbrt"])
def test_every_method_spends_the_budget_on_distinct_pairs(method):
    config = CodesignConfig(method=method, search=SMALL)
    r = codesign(config, hardware=analytic_hardware, accuracy=analytic_accuracy)
    assert len(r.evaluations) == 12
    assert len({e.pair.key for e in r.evaluations}) == 12
    assert [e.pair for e in r.evaluations[:8]] == [
        e.pair for e in codesign(CodesignConfig(method="random", search=SMALL),
                                 hardware=analytic_hardware,
                                 accuracy=analytic_accuracy).evaluations[:8]]
    assert (r.convergence()[1:] >= r.convergence()[:-1]).all()


def test_invalid_pairs_score_p_min():
    config = CodesignConfig(method="random", search=SMALL,
                            constraints=Constraints(max_area_mm2=40))
    r = codesign(config, hardware=analytic_hardware, accuracy=analytic_accuracy)
    invalid = [e for e in r.evaluations if not e.record["valid"]]
    assert all(e.score == P_MIN for e in invalid)
    assert any("> max_area_mm2 40" in e.record["reason"] for e in invalid)
    assert all(e.score > 0 for e in r.evaluations if e.record["valid"])


def test_hw_nas_keeps_the_accelerator():
    config = CodesignConfig(method="boshcode", search=SMALL, fix_accelerator="acceltran-edge")
    r = codesign(config, hardware=analytic_hardware, accuracy=analytic_accuracy)
    assert {e.pair.accelerator.pes for e in r.evaluations} == {64}
    assert len({e.pair.transformer for e in r.evaluations}) == 12


def test_resume_reruns_only_what_is_missing_and_ends_the_same():
    config = CodesignConfig(method="boshcode", search=SMALL)
    whole = codesign(config, hardware=Counting(), accuracy=analytic_accuracy)
    store, first = MemoryStore(), Counting(stop_after=15)
    with pytest.raises(KeyboardInterrupt):
        codesign(config, hardware=first, accuracy=analytic_accuracy, store=store)
    again = Counting()
    resumed = codesign(config, hardware=again, accuracy=analytic_accuracy, store=store)
    assert [e.pair for e in resumed.evaluations] == [e.pair for e in whole.evaluations]
    assert [e.score for e in resumed.evaluations] == [e.score for e in whole.evaluations]
    assert first.calls == 15 and again.calls == len(store.done()) - 15


def test_study_writes_outputs(tmp_path):
    configs = [CodesignConfig(method=m, search=SearchSettings(12, 4, 8, s))
               for m in ("boshcode", "random") for s in (0, 1)]
    summary = run_study(configs, tmp_path / "out", hardware=analytic_hardware,
                        accuracy=analytic_accuracy)
    out = tmp_path / "out"
    rows = list(csv.DictReader(open(out / "evaluations.csv")))
    assert len(rows) == 48 and {r["method"] for r in rows} == {"boshcode", "random"}
    best = tomllib.loads((out / "best.toml").read_text())
    assert best["accelerator"]["pes"] in (64, 128, 256, 512, 1024)
    pair = pair_of_config(best)
    assert max(float(r["score"]) for r in rows) == pytest.approx(
        float(next(r for r in rows if r["key"] == pair.key)["score"]))
    from tilewright.flows.model import load_accelerator
    from tilewright.flows.search.codesign.hardware import model_accelerator
    assert load_accelerator(best, name="codesign") == model_accelerator(
        pair.accelerator, pair.transformer.activation)
    assert (out / "convergence.png").stat().st_size > 0
    assert "| boshcode |" in summary and (out / "summary.md").read_text() == summary


def test_pareto_study_writes_front_and_hypervolume(tmp_path):
    configs = [CodesignConfig(method=m, objective="pareto", search=SMALL)
               for m in ("boshcode", "random")]
    summary = run_study(configs, tmp_path, hardware=analytic_hardware,
                        accuracy=analytic_accuracy)
    assert (tmp_path / "front.png").exists() and (tmp_path / "hypervolume.png").exists()
    assert "Pareto front:" in summary


@pytest.mark.parametrize("kwargs, message", [
    (dict(objective="pareto", method="gpbo"), "method must be one of 'boshcode', 'random'"),
    (dict(fix_accelerator="tpu"), "fix_accelerator must be one of 'acceltran-edge'"),
    (dict(objective="best"), "objective must be one of 'weighted', 'pareto', not 'best'"),
])
def test_bad_config_names_field(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        CodesignConfig(**kwargs)


def test_bad_settings_and_caps_write_nothing(tmp_path):
    with pytest.raises(ValueError, match=r"^budget must be an integer ≥ initial \(16\), not 8$"):
        SearchSettings(budget=8)
    config = CodesignConfig(search=SMALL, constraints=Constraints(max_area_mm2=1e-6))
    with pytest.raises(ValueError, match="^max_area_mm2 must admit the smallest design"):
        run_study([config], tmp_path / "out", hardware=analytic_hardware,
                  accuracy=analytic_accuracy)
    assert not (tmp_path / "out").exists()


def test_accelerator_dse_sweeps_pes_and_buffers(tmp_path):
    from tilewright.flows.search.codesign.dse import accelerator_dse, plot_dse
    from tilewright.flows.search.codesign.space import Layer, Transformer

    def hardware(pair):
        figures = analytic_hardware(pair)
        if isinstance(figures, str) or pair.accelerator.activation_buffer_mb < 2:
            return "activation_buffer_mb must hold one tile"
        return {**figures, "compute_stalls": 1e4 / pair.accelerator.pes,
                "memory_stalls": 1e3 / pair.accelerator.activation_buffer_mb}
    model = Transformer((Layer(64, 4, "sdp", 128),) * 2, "gelu")
    rows = accelerator_dse(hardware, model, pes=(16, 64), buffer_scales=(0.25, 1))
    assert [(r["pes"], r["buffer_mb"]) for r in rows] == [(16, 3.25), (16, 13), (64, 3.25),
                                                        (64, 13)]
    assert rows[0]["reason"] and not rows[1]["reason"]
    assert rows[3]["latency_s"] < rows[1]["latency_s"]
    plot_dse(rows, tmp_path / "dse.png")
    assert (tmp_path / "dse.png").stat().st_size > 0
