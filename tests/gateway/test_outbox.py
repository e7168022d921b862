"""The SQLite outbox: oldest first, one row per observation id, deleted only when told, capped loudly."""

from __future__ import annotations

from pathlib import Path

from gateway.outbox import Outbox


def _items(*ids: str) -> list[tuple[str, str]]:
    return [(i, f'{{"id": "{i}"}}') for i in ids]


def test_put_oldest_delete(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    assert box.put(_items("a", "b", "c")) == 3
    entries = box.oldest(2)
    assert [e.obs_id for e in entries] == ["a", "b"]
    assert [e.obs_id for e in box.oldest(10, after_seq=entries[-1].seq)] == ["c"]
    box.delete([entries[0].seq])
    assert [e.obs_id for e in box.oldest(10)] == ["b", "c"]
    box.delete([])
    assert box.depth() == 2
    box.close()


def test_same_observation_id_is_stored_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    assert box.put(_items("a", "a", "b")) == 2
    assert box.put(_items("b", "c")) == 1
    assert [e.obs_id for e in box.oldest(10)] == ["a", "b", "c"]
    box.close()


def test_over_the_cap_the_oldest_go_and_are_counted(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", max_rows=3)
    box.put(_items("a", "b"))
    box.put(_items("c", "d", "e"))
    assert [e.obs_id for e in box.oldest(10)] == ["c", "d", "e"]
    assert box.evicted == 2
    box.close()


def test_readings_and_meta_survive_a_restart(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.put(_items("a"))
    box.set_meta("racp_last_sequence:X", "4:abc")
    box.set_meta("racp_last_sequence:X", "6:def")
    assert box.get_meta("missing") is None
    box.close()
    again = Outbox(tmp_path / "o.sqlite")
    assert [e.obs_id for e in again.oldest(10)] == ["a"]
    assert again.get_meta("racp_last_sequence:X") == "6:def"
    again.close()
