"""`LiveBuild`: the live build by one readlink, following every `kg load` switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_engine_service import build_store

from kg.errors import StoreNotBuiltError
from kg.store import require_store
from kg.web.live_build import LiveBuild


def test_follows_every_switch_and_agrees_with_require_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    live = LiveBuild(store)
    with pytest.raises(StoreNotBuiltError):
        live.current()
    first = build_store(store, tmp_path / "data", "one")
    assert live.current() == require_store(store)
    assert live.current().name == first
    second = build_store(store, tmp_path / "data", "two")
    assert second != first
    assert live.current() == require_store(store)
    assert live.current().name == second
