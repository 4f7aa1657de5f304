"""Atomic writes: the old file or the new one, never a part; nothing left behind."""

import pytest

from tilewright.files import write_atomically


def test_write_replaces_whole_and_creates_the_folder(tmp_path):
    path = tmp_path / "a" / "b.txt"
    write_atomically(path, lambda tmp: tmp.write_text("one"))
    write_atomically(path, lambda tmp: tmp.write_text("two"))
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["b.txt"]


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "b.txt"
    path.write_text("old")

    def broken(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")
    with pytest.raises(RuntimeError, match="disk full"):
        write_atomically(path, broken)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.txt"]
