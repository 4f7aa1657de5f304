"""The accelerator's description: presets per AccelTran Table II, the ELECTOR space of
TransCODE Table II, memories, and one error naming the field for each bad setting."""

import pytest

from tilewright.flows.model import InvalidDesign, load_accelerator
from tilewright.flows.model.mapping import ORDERS, Mapping, parse_order, tile_changes
from tilewright.flows.model.memory import MEMORY_TYPES, main_memory, sram
from tilewright.flows.model.space import load_space


def test_presets_follow_acceltran_table_ii():
    edge, server = load_accelerator("acceltran-edge"), load_accelerator("acceltran-server")
    assert (edge.pes, edge.lanes_per_pe, edge.macs_per_lane, edge.softmax_per_pe,
            edge.batch_size) == (64, 16, 16, 4, 4)
    assert (edge.activation_buffer_mb, edge.weight_buffer_mb, edge.mask_buffer_mb) == (4, 8, 1)
    assert edge.main_memory().bandwidth_gbps == 25.6 and edge.memory == "lpddr3"
    assert (server.pes, server.lanes_per_pe, server.softmax_per_pe, server.batch_size) == (
        512, 32, 32, 32)
    assert (server.activation_buffer_mb, server.weight_buffer_mb,
            server.mask_buffer_mb) == (32, 64, 8)
    assert server.main_memory().bandwidth_gbps == 256 and server.memory == "rram"
    for hw in (edge, server):
        assert (hw.spatial_tile, hw.batch_tile, hw.dataflow, hw.clock_mhz) == (
            16, 1, "b,i,j,k", 700)
        assert hw.power_gating and hw.name.startswith("acceltran-")


def test_overrides_and_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[accelerator]\npes = 8\n[accelerator.memory]\n'
                    'type = "hbm2"\nchannels = 4\nlatency_ns = 50\n')
    hw = load_accelerator(path, batch_size=16)
    assert (hw.name, hw.pes, hw.batch_size) == ("mine", 8, 16)
    memory = hw.main_memory()
    assert (memory.kind, memory.bandwidth_gbps, memory.latency_ns) == ("hbm2", 128.0, 50.0)


@pytest.mark.parametrize("table, message", [
    ({"pes": 0}, "pes must be a positive integer, not 0"),
    ({"lanes_per_pe": 2.5}, "lanes_per_pe must be a positive integer, not 2.5"),
    ({"memory": {"type": "sram"}}, "memory.type must be one of lpddr3, hbm2, rram, not 'sram'"),
    ({"memory": {"speed": 1}}, "memory.speed is not a memory field; fields are type, banks, "
                               "ranks, channels, bandwidth_gbps, energy_pj_per_bit, latency_ns"),
    ({"activation": "tanh"}, "activation must be one of gelu, relu, not 'tanh'"),
    ({"weight_buffer_mb": -1}, "weight_buffer_mb must be a positive number, not -1"),
    ({"dataflow": "b,i,j"}, "dataflow must be an order of b,i,j,k such as b,i,j,k, not "
                            "'b,i,j'"),
    ({"power_gating": "yes"}, "power_gating must be true or false, not 'yes'"),
])
def test_bad_fields_name_themselves(table, message):
    with pytest.raises(InvalidDesign) as info:
        load_accelerator({"accelerator": table})
    assert str(info.value) == message
    assert message.startswith(info.value.field)


def test_unknown_field_and_preset():
    with pytest.raises(InvalidDesign, match=r"^pe is not an accelerator field; fields are "):
        load_accelerator({"accelerator": {"pe": 4}})
    with pytest.raises(InvalidDesign, match=r"^config must be a TOML file or one of "
                                            r"acceltran-edge, acceltran-mini, acceltran-server, not 'nope'$"):
        load_accelerator("nope")


def test_elector_space_is_transcode_table_ii():
    space = load_space("elector")
    assert space.size == 14_850_000                   # TransCODE §V-B
    assert space.choices["pes"] == (64, 128, 256, 512, 1024)
    assert len(space.memories) == 11
    point = {name: values[-1] for name, values in space.choices.items()} | {"memory": 10}
    hw = space.accelerator(point)
    assert (hw.pes, hw.memory, hw.memory_channels, hw.spatial_tile) == (1024, "hbm2", 4, 32)
    with pytest.raises(InvalidDesign, match=r"^pes must be one of \[64, 128, 256, 512, 1024\], "
                                            r"not 3$"):
        space.accelerator(point | {"pes": 3})
    with pytest.raises(InvalidDesign, match=r"^memory must be an index from 0 to 10, not 11$"):
        space.accelerator(point | {"memory": 11})


def test_memories():
    assert set(MEMORY_TYPES) == {"lpddr3", "hbm2", "rram"}
    lp = main_memory("lpddr3")
    # AccelTran Table III: 2.91 W of main memory at 25.6 GB/s
    assert lp.energy_pj_per_bit * 25.6e9 * 8 * 1e-12 == pytest.approx(2.91)
    # one byte more than a cycle's worth costs a cycle more, plus the latency
    per_cycle = lp.bandwidth_gbps * 1e9 / 700e6
    base = lp.transfer_cycles(0, 700)
    assert base == pytest.approx(lp.latency_ns * 0.7, abs=1)
    assert lp.transfer_cycles(int(100 * per_cycle), 700) - base in (100, 101)
    small, big = sram(8 * 1024, 45), sram(1024 * 1024, 45)
    # Horowitz ISSCC 2014, 45 nm: 10 pJ and 100 pJ per 64-bit access
    assert small.pj_per_bit * 64 == pytest.approx(10) and big.pj_per_bit * 64 == pytest.approx(100)
    assert sram(1024 * 1024, 130).pj_per_bit > big.pj_per_bit
    assert sram(2048, 45).area_um2 == pytest.approx(2 * sram(1024, 45).area_um2)


def test_loop_orders_and_reuse():
    assert len(ORDERS) == 24 and len(set(ORDERS)) == 24
    assert parse_order("k,i,j,b") == ("k", "i", "j", "b")
    trips = {"b": 2, "i": 3, "j": 5, "k": 7}
    order = ("b", "i", "j", "k")
    # W[b,i,k] changes every iteration when k is innermost; A[b,k,j] too; O once per (b,i,j)
    assert tile_changes(order, trips, "bik") == 2 * 3 * 5 * 7
    assert tile_changes(order, trips, "bij") == 2 * 3 * 5
    # a weight (no b) in the order i,k,j,b changes only with i and k
    assert tile_changes(("i", "k", "j", "b"), trips, "ik") == 3 * 7
    assert Mapping(order="k,b,i,j").order == ("k", "b", "i", "j")
    with pytest.raises(InvalidDesign, match="^spatial_tile must be a positive integer, not 0$"):
        Mapping(spatial_tile=0)
