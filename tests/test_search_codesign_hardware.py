"""The pair → accelerator-model adapter (contract 4) and the shipped presets' ELECTOR points."""

import dataclasses

import pytest

from tilewright.flows.model import MissingCosts, build_workload, load_accelerator
from tilewright.flows.search.codesign.hardware import (
    ModelHardware, model_accelerator, model_encoder)
from tilewright.flows.search.codesign.space import (
    Layer, Pair, Transformer, accelerator_preset, load_space)

TINY = Transformer((Layer(32, 2, "sdp", 64), Layer(16, 4, "dft", 32)), "relu")


@pytest.mark.parametrize("name", ["acceltran-edge", "acceltran-server"])
def test_presets_round_trip_to_the_model(name):
    point = accelerator_preset(name)
    assert load_space().contains(Pair(TINY, point))
    shipped = dataclasses.replace(load_accelerator(name), name="codesign")
    assert model_accelerator(point, "gelu") == shipped


def test_encoder_keeps_each_layer():
    enc = model_encoder(TINY, "sentiment")
    assert [(x.hidden, x.heads, x.ff, x.attention) for x in enc.layers] == [
        (32, 2, (64,), "sdp"), (16, 4, (32,), "dft")]
    ops = {op.name for op in build_workload(enc, batch=4, seq=16).ops}
    assert "layers.1.proj" in ops                      # 32 → 16 projection (FlexiBERT 2.0)


def test_model_refusal_is_an_invalid_pair_and_missing_costs_an_error(tmp_path):
    hardware = ModelHardware(str(tmp_path / "empty.sqlite"))
    uneven = Transformer((Layer(24, 16, "sdp", 64),), "gelu")
    assert hardware(Pair(uneven, accelerator_preset("acceltran-edge"))) == \
        "heads must divide hidden (24), not 16"
    with pytest.raises(MissingCosts, match="tilewright characterize mac-lane"):
        hardware(Pair(TINY, accelerator_preset("acceltran-edge")))


def test_simulate_reads_the_transformer_of_best_toml(tmp_path):
    """``tilewright simulate --config best.toml --model best.toml`` simulates the pair the
    search evaluated: the same encoder and tokens as :class:`ModelHardware`."""
    from click.testing import CliRunner

    from tilewright.flows.commands.simulate import COMMAND, _searched_model
    from tilewright.flows.search.codesign.report import best_toml
    from tilewright.flows.search.codesign.search import Evaluation
    pair = Pair(TINY, accelerator_preset("acceltran-edge"))
    path = tmp_path / "best.toml"
    path.write_text(best_toml(Evaluation(0, pair, {"accuracy": 0.8, "latency_s": 1e-5,
                                                   "area_um2": 1e9}, 0.5)))
    assert _searched_model(str(path), None, None) == (model_encoder(TINY, "sentiment"),
                                                      "bert", 16)
    assert _searched_model(str(path), "digits", 5)[1:] == ("vit", 5)
    r = CliRunner().invoke(COMMAND, ["--model", str(tmp_path / "none.toml")])
    assert r.exit_code != 0 and "--model must be a shape name or a co-design TOML" in r.output
