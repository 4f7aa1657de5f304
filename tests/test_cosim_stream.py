"""Payload words of the stream driver and monitor: ``pack`` and its inverse ``unpack``."""

import random

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from tilewright.cosim.stream import pack, to_signed, unpack

LAYOUT = data.StructLayout({
    "a": data.ArrayLayout(signed(5), 3),
    "mask": unsigned(3),
    "count": unsigned(2),
})


def test_pack_places_fields_at_their_offsets():
    word = pack(LAYOUT, {"a": [-1, 0, -16], "mask": 0b101, "count": 2})
    assert word == 0b10_101_10000_00000_11111


def test_unpack_inverts_pack_at_the_extremes_and_at_random(seed):
    rand = random.Random(seed)
    values = [{"a": [-16, 15, 0], "mask": 7, "count": 3},
              {"a": [0, 0, 0], "mask": 0, "count": 0}]
    values += [{"a": [rand.randint(-16, 15) for _ in range(3)], "mask": rand.randint(0, 7),
                "count": rand.randint(0, 3)} for _ in range(200)]
    for value in values:
        assert unpack(LAYOUT, pack(LAYOUT, value)) == value


def test_unpack_reads_signed_leaves_as_twos_complement():
    assert unpack(signed(4), 0b1000) == -8 == to_signed(0b1000, 4)
    assert unpack(unsigned(4), 0b1000) == 8
    assert unpack(signed(4), 0b1_0111) == 7          # bits above the width are ignored
