"""Tests of bsc.links.arrows: user arrows stored, refused when wrong, version-checked and audited."""

import pytest

from bsc.errors import InputError
from bsc.links import BUILT_IN
from bsc.links.arrows import ArrowBook
from bsc.store import ConflictError, ReadOnlyError, Store
from bsc.targets import TargetBook


@pytest.fixture
def book(tmp_path):
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Links")
    return ArrowBook(store, workspace.id, BUILT_IN)


def test_an_arrow_is_stored_and_audited(book):
    arrow = book.add_arrow("ces", "retention_rate", author="Ana")
    assert [(a.cause, a.effect, a.version) for a in ArrowBook(book.store, book.workspace_id).arrows()] == [
        ("ces", "retention_rate", 1)
    ]
    log = TargetBook(book.store, book.workspace_id).audit_log()
    assert log.iloc[0]["who"] == "Ana"
    assert log.iloc[0]["what"] == "Strategy map arrow Customer effort score (CES) → Retention rate"
    assert arrow.updated_by == "Ana"


@pytest.mark.parametrize(
    ("cause", "effect", "message"),
    [
        ("nps", "nps", "two different KPIs"),
        ("nps", "profit", "Unknown KPI"),
        ("csat", "churn_rate", "already has"),
    ],
    ids=["to-itself", "unknown", "built-in"],
)
def test_wrong_arrows_are_refused(book, cause, effect, message):
    with pytest.raises(InputError, match=message):
        book.add_arrow(cause, effect, author="Ana")


def test_the_same_arrow_twice_is_a_conflict(book):
    book.add_arrow("ces", "revenue", author="Ana")
    with pytest.raises(ConflictError, match="already on the map, drawn by Ana"):
        book.add_arrow("ces", "revenue", author="Ben")


def test_removal_on_a_stale_version_is_refused_and_a_fresh_one_logged(book):
    arrow = book.add_arrow("ces", "revenue", author="Ana")
    with pytest.raises(ConflictError):
        book.remove_arrow(arrow.id, author="Ben", expected_version=2)
    book.remove_arrow(arrow.id, author="Ben", expected_version=1)
    assert book.arrows() == []
    assert TargetBook(book.store, book.workspace_id).audit_log().iloc[0]["field"] == "deleted"


def test_a_read_only_workspace_refuses_arrows(book):
    book.store.set_read_only(book.workspace_id, True)
    with pytest.raises(ReadOnlyError):
        book.add_arrow("ces", "revenue", author="Ana")


def test_an_author_is_required(book):
    with pytest.raises(InputError, match="Give your name"):
        book.add_arrow("ces", "revenue", author="  ")
