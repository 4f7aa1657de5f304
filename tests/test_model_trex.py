"""TReX-Sim (TReX Table II) on hand-computed cases."""

import pytest

from tilewright.flows.costs import CostRecord
from tilewright.flows.model.trex import (DEVICES, Crossbar, SoftmaxCost, ViT, layers, n_xbars,
                                         simulate, softmax_from_record)
from tilewright.golden.models.shapes import shape

SOFTMAX = SoftmaxCost(0.25, 0.5, 0.25, 0.5, 1.0, 0.5, "hand")      # 1 pJ, 2 ns per element
TINY = ViT(d=64, t=10, mlp_ratio=2, n_heads=2, n_encoders=3, n_reuse=1)


def test_table_iii_values():
    f, s = DEVICES["fefet"], DEVICES["sram"]
    assert (f.bits_per_cell, f.e_read_pj, f.e_write_pj, f.d_read_us, f.d_write_us,
            f.area_mm2, f.read_variation, f.write_variation) == (2, 25, 118, 0.02, 3.3,
                                                                  0.03, 0.1, 0.2)
    assert (s.bits_per_cell, s.e_read_pj, s.e_write_pj, s.d_read_us, s.d_write_us,
            s.area_mm2) == (1, 29, 13, 0.018, 0.018, 0.07)
    x = Crossbar()
    assert (x.xbar_size, x.xbars_per_pe, x.pes_per_tile, x.adc_bits) == (64, 8, 8, 6)


def test_eq5_with_weight_slices():
    assert n_xbars(384, 1536, Crossbar()) == 6 * 24 * 4              # 8-bit on 2-bit cells
    assert n_xbars(197, 384, Crossbar(DEVICES["sram"])) == 4 * 6 * 8
    assert n_xbars(64, 65, Crossbar()) == 1 * 2 * 4


def test_layer_rows_by_hand():
    rows = {r.layer: r for r in layers(TINY, Crossbar(), SOFTMAX)}
    q = rows["Q"]           # 4 crossbars, 10 tokens
    assert (q.xbars, q.read_pj, q.write_pj, q.read_us, q.write_us) == (4, 1000, 0, 1.6, 0)
    assert q.area_mm2 == pytest.approx(0.12) and q.macs == 10 * 64 * 64
    qk = rows["QK^T"]       # Kᵀ written: 4 × 118 pJ, 3.3 µs × 8 crossbars per PE
    assert (qk.write_pj, qk.write_us, qk.macs) == (472, pytest.approx(26.4), 10 * 10 * 64)
    sm = rows["softmax"]    # N_H t² E, t² D
    assert (sm.read_pj, sm.read_us) == (pytest.approx(200), pytest.approx(0.2))
    assert rows["MLP1"].xbars == 8 and rows["MLP2"].read_pj == 2000


def test_whole_vit_by_hand():
    r = simulate(TINY, Crossbar(), SOFTMAX)
    # attn 6144 pJ / 61 µs / 0.6 mm²; proj 1000 / 1.6 / 0.12; mlp 4000 / 3.2 / 0.48;
    # tb 1000 / 1.6 / 0.12; 3 encoders, 1 reusing (Table II rows 8-10)
    assert r.energy_pj == pytest.approx(3 * 5000 + 2 * 6144 + 1000)
    assert r.delay_us == pytest.approx(3 * 4.8 + 2 * 61.0 + 1.6)
    assert r.area_mm2 == pytest.approx(3 * 0.6 + 2 * 0.6 + 0.12)
    assert r.macs == 3 * (40960 + 163840) + 2 * 135680 + 40960
    assert r.edap == pytest.approx(28288e-9 * 0.138 * 3.12)
    assert r.tops_per_w == pytest.approx(926720 / 28288e-12 / 1e12)
    assert r.tops_per_mm2 == pytest.approx(926720 / 138e-6 / 1e12 / 3.12)


def test_deit_s_macs_and_shape():
    vit = ViT.from_shape(shape("deit-s"))
    assert (vit.d, vit.t, vit.mlp_ratio, vit.n_heads, vit.n_encoders) == (384, 197, 4, 6, 12)
    assert simulate(vit, Crossbar(), SOFTMAX).macs == 12 * (4 * 197 * 384 ** 2
                                                            + 2 * 197 ** 2 * 384
                                                            + 2 * 197 * 384 * 1536)


def test_bad_parameters():
    with pytest.raises(ValueError, match="n_reuse must be"):
        ViT(64, 10, 2, 2, 3, 3)
    with pytest.raises(TypeError, match="device must be a Device, not 'fefet'"):
        Crossbar("fefet")


def test_softmax_from_record():
    rec = CostRecord(key="abc" * 10, block="softmax", params={"t": 64, "heads": 2},
                     generator_version="1", area_um2=1000.0, leakage_mw=0.0,
                     energy_per_op_pj=640.0, operation="softmax of one vector",
                     operations=10, cycles=100, latency_cycles=5, initiation_interval=200,
                     clock_mhz=100.0, technology="lib", node_nm=130, tools={}, stimulus={},
                     fmax_mhz=50.0)
    calls = []

    def scale(area, energy, dyn, leak, src, dst):
        calls.append((energy, src, dst))
        return type("S", (), {"energy_pj": energy / 10})()
    s = softmax_from_record(rec, 32, scale)
    assert calls == [(10.0, 130, 32)]                     # 640 pJ / 64 elements
    assert s.e_element_pj == pytest.approx(1.0)
    assert s.d_element_ns == pytest.approx(200 * 2 / 64 / 50.0 * 1e3)   # at fmax 50 MHz
    assert "130 nm → 32 nm" in s.source
