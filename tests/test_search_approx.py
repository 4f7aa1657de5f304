"""The TransAxx search: library spec, UCB (Eq. 5), rollout policy (Eq. 6), reward, MCTS,
grouping and power, evaluations and budget, resume, exhaustive front on a tiny space,
and the table-driven accuracy of a real (tiny) ViT.

Multipliers are 4-bit golden tables (the RTL's, proven bit-exact elsewhere) with
injected cost records, so nothing here characterizes or simulates RTL."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from test_search_evaluations import Backwards

from tilewright.flows.search.approx.evaluate import (BudgetSpent, Evaluations, MemoryStore,
                                                     assignment_key)
from tilewright.flows.search.approx.experiment import hv_reference, run_method
from tilewright.flows.search.approx.library import build_library, parse_library
from tilewright.flows.search.approx.mcts import MCTS, reward, rollout_policy, ucb
from tilewright.flows.search.approx.search import MctsSettings
from tilewright.flows.search.approx.space import Space
from tilewright.flows.search.approx.workload import PowerModel, Workload, group_layers
from tilewright.flows.search.pareto import pareto_front
from tilewright.golden.multiplier import golden_table

#: small trees and few rounds: the default suite stays fast
FAST = MctsSettings(lambdas=(0.0, 1.0), simulations=20, batch=5)
FAST_WHOLE = MctsSettings(lambdas=(0.0, 1.0), simulations=20, batch=16)

PJ = {"exact": 1.0, "truncated": 0.6, "mitchell": 0.45, "drum": 0.5}


def measure(block, params):
    """An injected cost record: pJ per product by kind, less for a larger k (truncated)."""
    assert block == "multiplier"
    pj = PJ[params["kind"]] - (0.05 * params["k"] if params["kind"] == "truncated" else 0)
    return SimpleNamespace(energy_per_op_pj=pj, leakage_mw=1e-3, area_um2=100.0,
                           fmax_mhz=500.0)


def test_parse_library():
    assert parse_library("drum:3-4,truncated:2, mitchell:1,drum:4") == [
        ("exact", None), ("drum", 3), ("drum", 4), ("truncated", 2), ("mitchell", 1)]


@pytest.mark.parametrize("spec, message", [
    ("booth:3", "library kind must be one of 'truncated', 'mitchell', 'drum', 'ssm', "
                "not 'booth'"),
    ("truncated:2-8", "library k of truncated must be from 1 to 7 at bits=8, not 8"),
    ("drum:2", "library k of drum must be from 3 to 7 at bits=8, not 2"),
    ("drum:x", "library k of drum must be an integer or LO-HI, not 'x'"),
    ("drum", "library entry must be KIND:K or KIND:LO-HI, not 'drum'"),
])
def test_parse_library_errors(spec, message):
    with pytest.raises(ValueError) as info:
        parse_library(spec)
    assert str(info.value) == message


def test_ucb_is_eq_5():
    assert ucb(0.5, 10, 0, 1.0) == math.inf
    assert ucb(0.5, 10, 4, 0.3) == pytest.approx(0.5 + 0.3 * math.sqrt(math.log(10) / 4))
    assert ucb(0.5, 10, 4, 0.0) == 0.5


def test_rollout_policy_is_eq_6():
    s = [[1.0, 1.0], [0.9, 0.6], [0.7, 0.5]]          # (multipliers, groups)
    p = [[1.0, 1.0], [0.8, 0.8], [0.5, 0.5]]
    policy = rollout_policy(s, p, lam=1.0)
    # paper's formula (T = 1): group 0, multiplier j ∝ exp(s_j0 - λ p_j0)
    want = np.exp([1.0 - 1.0, 0.9 - 0.8, 0.7 - 0.5])
    assert policy[0] == pytest.approx(want / want.sum())
    assert policy.sum(1) == pytest.approx([1.0, 1.0])
    # λ = 0 favours accuracy, a large λ low power; a low temperature sharpens
    assert rollout_policy(s, p, 0.0, 0.01)[1].argmax() == 0
    assert rollout_policy(s, p, 10.0, 0.01)[1].argmax() == 2
    with pytest.raises(ValueError) as info:
        rollout_policy(s, p, -0.5)
    assert str(info.value) == "lambda must be non-negative, not -0.5"


def test_reward():
    assert reward(0.95, 0.4, 0.0) == 0.95
    assert reward(0.95, 0.4, 2.0) == pytest.approx(0.15)


def test_mcts_finds_the_best_state_and_replays():
    best = (2, 0, 1)

    def score(state):
        return -sum(abs(a - b) for a, b in zip(state, best))
    policy = np.full((3, 3), 1 / 3)
    runs = []
    for _ in range(2):
        tree = MCTS(3, 3, policy, score, c=0.5, rng=np.random.default_rng(7))
        runs.append(tree.run(120))
    assert list(runs[0]) == list(runs[1])                 # seeded: the same path
    assert best in runs[0]
    root = tree.root
    assert root.visits == 120 and sum(ch.visits for ch in root.children.values()) == 120
    assert max(root.children.values(), key=lambda ch: ch.visits).state == (2,)


def test_group_layers():
    macs = {"q": 4, "k": 4, "v": 4, "s": 1, "o": 4, "f1": 8, "f2": 8}
    assert group_layers(macs, 2) == [["q", "k", "v", "s", "o"], ["f1", "f2"]]
    assert group_layers(macs, 7) == [[n] for n in macs]
    with pytest.raises(ValueError) as info:
        group_layers(macs, 8)
    assert str(info.value) == ("groups must be an integer from 1 to 7 (the model's "
                               "approximable layers), not 8")


def _space(spec="truncated:1-2,mitchell:1", groups=3, bits=4):
    entries = build_library(parse_library(spec, bits), bits, measure=measure,
                            table=golden_table)
    macs = {f"l{i}": 10 * (i + 1) for i in range(groups)}
    workload = Workload(tuple((n,) for n in macs), macs, other_macs=40)
    return Space(tuple(entries), workload, PowerModel(workload, entries, clock_mhz=500))


def test_power_model():
    space = _space()
    # groups of 10, 20, 30 MACs + 40 exact; truncated-1 is 0.55 pJ
    energy = 40 * 1.0 + 10 * 0.55 + 20 * 1.0 + 30 * 0.45
    assert space.power.energy_pj((1, 0, 3)) == pytest.approx(energy)
    assert space.power.power_mw((1, 0, 3)) == pytest.approx(energy / 100 * 500 * 1e-3)
    assert space.power.exact_mw == pytest.approx(1.0 * 500 * 1e-3)


def synthetic_accuracy(space):
    """Accuracy falling with each group's MRE, weighted per group, plus an interaction."""
    mre = [e.metrics["mre"] for e in space.entries]
    weight = [0.3, 0.1, 0.6, 0.2][:space.groups]

    def accuracy(a):
        drops = [w * mre[j] for w, j in zip(weight, a)]
        return 0.95 - sum(drops) - 2 * drops[0] * drops[-1]
    return accuracy


def test_evaluations_count_the_budget_and_reuse_the_store():
    space = _space()
    calls = []

    def accuracy(a):
        calls.append(a)
        return synthetic_accuracy(space)(a)
    store = MemoryStore()
    ev = Evaluations(space.entries, accuracy, space.power, store=store, budget=2)
    ev((0, 0, 0))
    ev((0, 0, 0))                                         # asked again: free
    ev((1, 0, 0))
    with pytest.raises(BudgetSpent):
        ev((2, 0, 0))
    assert ev.count == 2 and len(calls) == 2
    assert set(store.done()) == {"exact,exact,exact", "truncated-1,exact,exact"}
    again = Evaluations(space.entries, accuracy, space.power, store=store)
    assert again((1, 0, 0))[0] == ev((1, 0, 0))[0] and len(calls) == 2   # from the store
    assert assignment_key(space.entries, (3, 2, 1)) == "mitchell-1,truncated-2,truncated-1"


def test_many_is_one_call_after_the_other():
    space = _space()
    acc = synthetic_accuracy(space)
    asked = [(0, 0, 0), (1, 0, 0), (0, 0, 0), (2, 0, 0), (3, 0, 0), (1, 0, 0)]
    ev = Evaluations(space.entries, acc, space.power, store=MemoryStore(), budget=3)
    results = ev.many(asked)                              # stops before the 4th new one
    one_by_one = Evaluations(space.entries, acc, space.power, store=MemoryStore(), budget=3)
    expected = [one_by_one(a) for a in asked[:4]]
    with pytest.raises(BudgetSpent):
        one_by_one(asked[4])
    assert results == expected and ev.history == one_by_one.history


@pytest.mark.parametrize("method", ["mcts", "random", "nsga2", "exhaustive"])
def test_batches_on_an_executor_give_the_serial_history(method):
    space = _space()
    acc = synthetic_accuracy(space)
    budget = None if method == "exhaustive" else 20
    runs = [run_method(space, acc, method, budget=budget, seed=3, store=MemoryStore(),
                       settings=FAST, executor=executor) for executor in (None, Backwards())]
    assert runs[0].history == runs[1].history
    if method == "mcts":
        assert runs[0].report == runs[1].report


def test_exhaustive_front_is_found_on_a_tiny_space():
    space = _space()                                      # 4 ** 3 = 64 assignments
    acc = synthetic_accuracy(space)
    store = MemoryStore()
    full = run_method(space, acc, "exhaustive", budget=None, seed=None, store=store)
    assert len(full.history) == 64
    truth = [tuple(a) for a in space.all()]
    pts = [(acc(a), space.power.power_mw(a)) for a in truth]
    assert {a for a, _, _ in full.front()} == {truth[i] for i in pareto_front(pts, ("max",
                                                                                    "min"))}
    # MCTS with the whole space as budget ends on the same front
    mcts = run_method(space, acc, "mcts", budget=64, seed=0, store=store,
                      settings=FAST_WHOLE)
    assert {a for a, _, _ in mcts.front()} == {a for a, _, _ in full.front()}
    ref = hv_reference(acc((0, 0, 0)), space.power.exact_mw)
    assert mcts.hypervolume(ref) == pytest.approx(full.hypervolume(ref))


@pytest.mark.parametrize("method", ["mcts", "random", "nsga2"])
def test_methods_keep_to_the_budget_and_replay(method):
    space = _space()
    acc = synthetic_accuracy(space)
    runs = [run_method(space, acc, method, budget=20, seed=3, store=MemoryStore(),
                       settings=FAST) for _ in range(2)]
    assert len(runs[0].history) == 20
    assert len({a for a, _, _ in runs[0].history}) == 20
    assert runs[0].history == runs[1].history


def test_mcts_report_sensitivities_and_predictor():
    space = _space()
    acc = synthetic_accuracy(space)
    run = run_method(space, acc, "mcts", budget=30, seed=1, store=MemoryStore(),
                     settings=FAST)
    s = np.array(run.report.sensitivity)
    assert s.shape == (4, 3) and s[0] == pytest.approx([1.0, 1.0, 1.0])   # exact
    assert len(run.report.predicted) == len(run.report.actual) > 0
    assert 0 <= run.report.predictor_rmse < 0.05


class Interrupt(Exception):
    pass


def test_an_interrupted_search_resumes_to_the_same_front():
    space = _space("truncated:1-3,mitchell:1-2", groups=3)     # 6 ** 3 = 216
    acc = synthetic_accuracy(space)
    settings = FAST
    whole = run_method(space, acc, "mcts", budget=30, seed=5, store=MemoryStore(),
                       settings=settings)
    store, calls = MemoryStore(), []

    def dies_after_15(a):
        if len(calls) == 15:
            raise Interrupt
        calls.append(a)
        return acc(a)
    with pytest.raises(Interrupt):
        run_method(space, dies_after_15, "mcts", budget=30, seed=5, store=store,
                   settings=settings)
    assert len(store.done()) == 15
    calls.clear()
    resumed = run_method(space, lambda a: calls.append(a) or acc(a), "mcts", budget=30,
                         seed=5, store=store, settings=settings)
    assert len(calls) == 15                              # only the missing evaluations
    assert resumed.history == whole.history
    assert resumed.front() == whole.front()


def test_accuracy_oracle_on_a_tiny_vit():
    import torch

    from tilewright.flows.search.approx.evaluate import AccuracyOracle
    from tilewright.golden.models.approx_layers import approximate, calibrate
    from tilewright.golden.models.encoder import Encoder
    from tilewright.golden.models.train import accuracy, default_config, task_data
    torch.manual_seed(0)                  # untrained: the oracle's arithmetic is the point
    net = Encoder(default_config("digits", layers=1, hidden=16, heads=2, ff=32))
    data = task_data("digits")
    x, y = data.x_test[:48], data.y_test[:48]
    entries = build_library(parse_library("drum:3"), 8, measure=measure, table=golden_table)
    workload = Workload.of(net, x[:2], lambda n: n.startswith("layers."), 2)
    assert workload.groups == (("layers.0.q", "layers.0.k", "layers.0.v", "layers.0.qk",
                                "layers.0.pv"), ("layers.0.o", "layers.0.ff1", "layers.0.ff2"))
    # per image: 17 tokens; q, k, v, o 17·16·16; two heads of 17·17·8 twice; ff 17·16·32
    assert workload.macs["layers.0.q"] == 17 * 16 * 16
    assert workload.macs["layers.0.qk"] == 2 * 17 * 17 * 8
    assert workload.macs["layers.0.ff1"] == 17 * 16 * 32
    assert workload.other_macs == 16 * 4 * 16 + 16 * 10          # patch embedding, head
    oracle = AccuracyOracle(net, workload, entries, data.x_train[:64], x, y)
    # the same as approximating and calibrating by hand, with drum-3 on the second group
    table = {n: golden_table("exact", 8) for n in workload.groups[0]}
    table.update({n: golden_table("drum", 8, 3) for n in workload.groups[1]})
    approximate(net, table, 8)
    with calibrate(net):
        net(data.x_train[:64])
    assert oracle((0, 1)) == pytest.approx(accuracy(net, x, y))
