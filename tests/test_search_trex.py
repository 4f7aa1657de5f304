"""TReX search: Alg. 1, uniform patterns, Table IV ratios, the softmax fit."""

import pytest

from tilewright.flows.model.trex import Crossbar, SoftmaxCost, ViT, simulate
from tilewright.flows.search.evaluations import cached
from tilewright.flows.search.trex import (PAPER, fit_softmax, min_reuse, table_iv,
                                          uniform_patterns)
from tilewright.golden.models.shapes import shape

SOFTMAX = SoftmaxCost(0, 6.0, 0, 0, 15.0, 0, "test")


def test_alg1_on_a_toy_delay_table():
    delays = [10.0, 8.0, 6.0, 4.0]
    assert min_reuse(delays.__getitem__, 4, 7.0) == 2
    assert min_reuse(delays.__getitem__, 4, 8.0) == 1
    assert min_reuse(delays.__getitem__, 4, 10.0) == 0
    assert min_reuse(delays.__getitem__, 4, 3.9) is None


def test_uniform_patterns():
    p = uniform_patterns(6, 2)
    assert p["strided-2@1"] == (1, 3) and p["strided-2@3"] == (3, 5)
    assert p["continuous@1"] == (1, 2) and p["continuous@4"] == (4, 5)
    assert len(set(p.values())) == len(p)                  # one label per set
    assert all(len(e) == 2 and max(e) < 6 and min(e) >= 1 for e in p.values())
    q = uniform_patterns(9, 4)                              # TReX Fig. 6a's example size
    assert q["pyramid-2x2@1"] == (1, 3, 4, 6)
    assert uniform_patterns(4, 0) == {"none": ()}


def test_fit_softmax_inverts_the_equations():
    vit = ViT.from_shape(shape("deit-s"))
    r = simulate(vit, Crossbar(), SOFTMAX)
    fit = fit_softmax(vit, Crossbar(), r.energy_mj, r.delay_ms, "fit")
    assert fit.e_element_pj == pytest.approx(6.0) and fit.d_element_ns == pytest.approx(15.0)


def test_table_iv_rows():
    vit = ViT.from_shape(shape("deit-s"))
    rows = table_iv(vit, Crossbar(), SOFTMAX, [9, 7, 1], PAPER["deit-s"])
    assert rows[0]["n_reuse"] == 0 and rows[0]["edap_reduction"] == 1
    for row in rows[1:3]:
        r = row["n_reuse"]
        assert row["delay_ms"] <= row["target_ms"]
        assert simulate(ViT.from_shape(shape("deit-s"), r - 1), Crossbar(),
                        SOFTMAX).delay_ms > row["target_ms"]
        assert row["edap_reduction"] > 1
    assert rows[2]["paper_edap_reduction"] == pytest.approx(1115.23 / 484.15)
    assert rows[2]["paper_n_reuse"] == 5
    at5 = simulate(ViT.from_shape(shape("deit-s"), 5), Crossbar(), SOFTMAX)
    assert rows[2]["edap_reduction_at_paper_n_reuse"] == pytest.approx(
        simulate(vit, Crossbar(), SOFTMAX).edap / at5.edap)
    assert rows[3] == {"target_ms": 1, "n_reuse": None}


def test_paper_n_reuse_matches_its_delays():
    for rows in PAPER.values():
        for row in rows:
            assert abs((rows[0][3] - row[3]) / 0.82 - row[8]) < 0.03


def test_cached_evaluations_run_once():
    saved, calls = {}, []
    done = {"a": 1}
    evaluate = cached(done, lambda k, v: saved.setdefault(k, v))
    assert evaluate("a", calls.append, "x") == 1
    assert evaluate("b", lambda v: v * 2, 21) == 42
    assert evaluate("b", lambda v: 0, 0) == 42
    assert calls == [] and saved == {"b": 42}


def test_search_batches_and_counts_its_evaluations(monkeypatch):
    from tilewright.flows.search import trex
    from tilewright.golden.models.train import default_config
    monkeypatch.setattr(trex, "short_training",
                        lambda task, cfg, reuse, epochs, seed: {"loss": -sum(reuse)})
    monkeypatch.setattr(trex, "final_accuracy",
                        lambda task, cfg, reuse, *rest: {"ideal": len(reuse)})
    cfg = default_config("digits", layers=4)
    targets = [0.8, 0.8, 1.0, 0.01]                # a repeat, N_reuse 0 and one unmet
    steps = []
    patterns, results = trex.search("digits", cfg, Crossbar(), SOFTMAX, targets,
                                    short_epochs=1, epochs=1, seed=0, xbars={},
                                    progress=steps.append)
    assert len(steps) == trex.evaluations(cfg, Crossbar(), SOFTMAX, targets)
    assert [r["n_reuse"] for r in results] == [0, 1, 1, 0, None]
    assert [p["reuse"] for p in patterns] == ["1", "2", "3"] * 2 + [""]
    assert results[1]["reuse"] == "3" and results[1]["accuracy_ideal"] == 1   # lowest loss
    assert results[3]["pattern"] == "none" and results[3]["accuracy_ideal"] == 0
