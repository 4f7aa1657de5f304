"""The co-design space, its embeddings and validity rules (TransCODE §III-B3, §III-B4, §IV-C)."""

import random
from dataclasses import replace

import numpy as np
import pytest

from tilewright.flows.search.codesign.embedding import ACCELERATOR_SIZE, Embedding
from tilewright.flows.search.codesign.problem import Problem
from tilewright.flows.search.codesign.space import (
    Accelerator, Layer, Pair, Space, Transformer, accelerator_preset, load_space)
from tilewright.flows.search.codesign.validity import (
    Constraints, design_error, metrics_error, tile_error)

SPACE = load_space()
EDGE = accelerator_preset("acceltran-edge")
TINY = Transformer((Layer(32, 2, "sdp", 64), Layer(16, 1, "wma", 32)), "gelu")


def test_space_is_table_ii():
    a = SPACE.accelerator
    assert a["pes"] == (64, 128, 256, 512, 1024)
    assert a["lanes_per_pe"] == (8, 16, 32, 64, 128)
    assert len(a["memory"]) == 11
    n = 1
    for values in a.values():
        n *= len(values)
    assert n == 2 * 3 * 5 * 5 * 2 * 6 * 3 * 5 * 5 * 5 * 11     # Table II's combinations


def test_empty_axis_names_field():
    text = "[transformer]\nlayers=[]\nhidden=[16]\nheads=[1]\nattention=['sdp']\nff=[32]\n" \
           "activation=['relu']\n"
    with pytest.raises(ValueError, match=r"^space.transformer.layers must list at least one"):
        load_space(text)
    with pytest.raises(ValueError, match=r"^space.accelerator_space must be a TOML file or "
                                         r"one of elector, elector-measured, not 'tpu'$"):
        load_space("accelerator_space = 'tpu'\n" + text.replace("[]", "[1]"))


def test_measured_space_is_elector_on_the_characterized_blocks():
    """``elector-measured``: ELECTOR with spatial tile 8 or 16 and batch tile 1 only, so
    its accelerators need exactly the cost records of those block sizes."""
    from tilewright.flows.model.costs import requirements
    from tilewright.flows.search.codesign.hardware import model_accelerator
    measured = load_space(accelerator_space="elector-measured")
    assert measured.transformer == SPACE.transformer
    assert measured.accelerator == {**SPACE.accelerator, "spatial_tile": (8, 16),
                                    "batch_tile": (1,)}
    needed = set()
    for tile in (8, 16):
        for macs in (1, 16):
            for act in SPACE.transformer["activation"]:
                acc = replace(EDGE, spatial_tile=tile, batch_tile=1, macs_per_lane=macs)
                for block, params in requirements(model_accelerator(acc, act)).values():
                    needed.add((block, tuple(sorted(params.items()))))
    blocks = sorted(b for b, _ in needed)
    assert blocks.count("mac-lane") == 6                 # 1 or 16 MACs × none, relu, gelu
    assert all(blocks.count(b) == 2 for b in ("softmax", "layer-norm", "dynatran",
                                              "pre-sparsity", "post-sparsity"))
    assert all(dict(p).get("batch", 1) == 1 for _, p in needed)


def test_accelerator_embedding_is_section_iii_b4():
    e = Embedding(SPACE).accelerator_embedding(EDGE)
    assert len(e) == ACCELERATOR_SIZE
    memory_index = SPACE.accelerator["memory"].index("lpddr3-32-2-1") + 1
    assert list(e) == [1, 16, 16, 64, 16, 16, 4, 4, 4, 8, 1, memory_index]


def test_transformer_embedding_fixed_length_and_padded():
    emb = Embedding(SPACE)
    e = emb.transformer_embedding(TINY)
    assert len(e) == 1 + 4 * SPACE.max_layers + 1
    assert list(e[:9]) == [2, 32, 2, 1, 64, 16, 1, 2, 32]       # sdp = 1, wma = 2
    assert not e[9:17].any() and e[17] == 2                      # padding, gelu = 2


@pytest.mark.parametrize("seed", range(20))
def test_unit_embedding_round_trips(seed):
    emb = Embedding(SPACE)
    pair = SPACE.sample(random.Random(seed))
    u = emb.unit(pair)
    assert u.shape == (emb.size,) and (0 <= u).all() and (u <= 1).all()
    assert emb.snap(u) == pair
    assert emb.snap(u + np.random.default_rng(seed).uniform(-0.04, 0.04, emb.size)) == pair


def test_snap_clips_and_averages_square_tiles():
    emb = Embedding(SPACE)
    u = emb.unit(Pair(TINY, EDGE))
    i = emb.transformer_size + 1                                 # e2, e3: spatial tile
    u[i], u[i + 1] = 1.0, 1 / 3                                  # 32 and 8 → their middle 16
    assert emb.snap(u).accelerator.spatial_tile == 16
    assert emb.snap(np.full(emb.size, 9.0)) == emb.snap(np.ones(emb.size))


def test_design_rules():
    assert design_error(Pair(TINY, EDGE), SPACE) is None
    odd = Space({**SPACE.transformer, "hidden": (24,), "heads": (16,)}, SPACE.accelerator)
    uneven = Transformer((Layer(24, 16, "dft", 64),), "gelu")
    assert design_error(Pair(uneven, EDGE), odd) == \
        "layer 0: hidden 24 not a multiple of heads 16"
    outside = Transformer((Layer(48, 2, "sdp", 64),), "gelu")
    assert design_error(Pair(outside, EDGE), SPACE) == "a value outside the design space"
    three = Transformer((Layer(32, 2, "sdp", 64),) * 3, "gelu")
    assert design_error(Pair(three, EDGE), SPACE, Constraints(max_layers=2)) == \
        "3 layers > max_layers 2"


def test_tiles_must_fit_buffers():
    big = Accelerator(4, 32, 1024, 8, 1, 2, 4, 16, 8, 16, "hbm2-32-1-4")
    # 1024 PEs × 2 tiles × 4·32·32 words × 2.5 B = 20 MiB > 16 MiB
    assert tile_error(big) == "tiles in flight need 20.00 MB of activation buffer, it has 16 MB"
    assert tile_error(Accelerator(4, 32, 1024, 8, 1, 2, 4, 32, 8, 16, "hbm2-32-1-4")) is None
    # masks: 1024 × 3 × 4096 bits = 1.5 MiB > 1 MiB
    assert "mask buffer" in tile_error(Accelerator(4, 32, 1024, 8, 1, 2, 4, 32, 8, 1,
                                                   "hbm2-32-1-4"))
    assert tile_error(Accelerator(4, 8, 64, 8, 1, 2, 6, 4, 8, 1, "hbm2-32-1-4")) == \
        "batch tile 4 does not divide batch 6"


def test_caps_on_measured_figures():
    m = {"area_um2": 3e6, "power_mw": 50.0}
    assert metrics_error(m, Constraints(max_area_mm2=2)) == "area 3 mm² > max_area_mm2 2"
    assert metrics_error(m, Constraints(max_power_mw=40)) == \
        "power 50 mW > max_power_mw 40"
    assert metrics_error(m, Constraints(max_area_mm2=4, max_power_mw=60)) is None
    with pytest.raises(ValueError, match="^max_layers must be a positive integer, not 0$"):
        Constraints(max_layers=0)


def test_problem_snaps_to_nearest_valid_unseen_design():
    problem = Problem(SPACE, pool_size=300)
    invalid = Pair(TINY, Accelerator(4, 32, 1024, 8, 1, 2, 4, 4, 8, 16, "hbm2-32-1-4"))
    u = problem.embedding.unit(invalid)
    pair, direct = problem.snap(u)
    assert not direct and problem.error(pair) is None
    dist = ((problem.pool_x - u) ** 2).sum(1)
    assert ((problem.embedding.unit(pair) - u) ** 2).sum() == pytest.approx(dist.min())
    valid = Pair(TINY, EDGE)
    assert problem.snap(problem.embedding.unit(valid)) == (valid, True)
    again, direct = problem.snap(problem.embedding.unit(valid), {valid.key})
    assert again != valid and not direct


def test_unmeetable_constraint_names_field():
    space = Space({**SPACE.transformer, "layers": (2, 3)}, SPACE.accelerator)
    with pytest.raises(ValueError, match=r"^max_layers must be at least 2 \(the space's "
                                         r"fewest layers\), not 1$"):
        Problem(space, Constraints(max_layers=1), pool_size=5)
