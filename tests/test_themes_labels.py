"""Theme names kept per workspace, version-checked, refused in a read-only workspace."""

from __future__ import annotations

import pytest

from bsc.errors import InputError
from bsc.store import ConflictError, ReadOnlyError, Store
from bsc.themes.labels import save_theme_label, theme_labels

KEY = "delivery|late|parcel"


@pytest.fixture
def store_and_workspace(tmp_path):
    store = Store(tmp_path)
    return store, store.create_workspace("Acme").id


def test_name_rename_and_reset(store_and_workspace) -> None:
    store, workspace = store_and_workspace
    assert theme_labels(store, workspace) == {}
    first = save_theme_label(store, workspace, KEY, "  Late   deliveries ", expected_version=0, author="Ann")
    assert (first.label, first.version) == ("Late deliveries", 1)
    second = save_theme_label(store, workspace, KEY, "Slow parcels", expected_version=1)
    assert theme_labels(store, workspace)[KEY].label == "Slow parcels" and second.version == 2
    assert save_theme_label(store, workspace, KEY, "", expected_version=2) is None
    assert theme_labels(store, workspace) == {}


def test_stale_version_refused(store_and_workspace) -> None:
    store, workspace = store_and_workspace
    save_theme_label(store, workspace, KEY, "Late deliveries", expected_version=0)
    with pytest.raises(ConflictError, match="another session"):
        save_theme_label(store, workspace, KEY, "Mine", expected_version=0)
    assert theme_labels(store, workspace)[KEY].label == "Late deliveries"


def test_workspaces_apart_and_deleted_with_theirs(store_and_workspace) -> None:
    store, workspace = store_and_workspace
    other = store.create_workspace("Beta").id
    save_theme_label(store, workspace, KEY, "Late deliveries", expected_version=0)
    assert theme_labels(store, other) == {}
    store.delete_workspace(workspace)
    assert theme_labels(store, workspace) == {}


def test_refused_input(store_and_workspace) -> None:
    store, workspace = store_and_workspace
    with pytest.raises(InputError, match="at most 80"):
        save_theme_label(store, workspace, KEY, "x" * 81, expected_version=0)
    store.set_read_only(workspace, True)
    with pytest.raises(ReadOnlyError):
        save_theme_label(store, workspace, KEY, "Late", expected_version=0)
