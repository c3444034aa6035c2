"""The Data page with hostile uploads: a refused file is an error message, never an exception, and
the workspace is left as it was."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bsc.store import Store
from tests.app.conftest import open_app, shown
from tests.hostile.make_corpus import UNPICKLED_MARKER, write_corpus

DATA = "pages/data.py"
HOSTILE = Path(__file__).resolve().parents[1] / "hostile"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    write_corpus(folder)
    return folder


def _upload(at, path: Path) -> None:
    at.file_uploader(key="upload").set_value((path.name, path.read_bytes(), "application/octet-stream")).run()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("zip_bomb.xlsx", "would unpack to 600 MB"),
        ("pickle_named.csv", "is a Python pickle, not a text table"),
        ("unclosed_quote.csv", 'the quote mark (") on line 3 is never closed'),
        ("wide_10000_columns.csv", "has 10,000 columns; at most 1,000 can be read"),
        ("encrypted.xlsx", "save it as .xlsx without a password"),
        ("dictionary_bomb.parquet", "would unpack to 601 MB"),
        ("ten_million_ids.parquet", "has about 10,000,000 rows, more than the 4 million rows"),
        (
            "thirty_million_cells.xlsx",
            "holds about 30,000,000 cells, more than the 1,000,000 that can be read",
        ),
        ("orders_150mb.csv", "has about 5,000,001 rows, more than the 4 million rows"),
    ],
    ids=[
        "zip-bomb",
        "pickle",
        "unclosed-quote",
        "10000-columns",
        "encrypted-workbook",
        "dictionary-bomb",
        "ten-million-ids",
        "thirty-million-workbook-cells",
        "150-mb-csv",
    ],
)
def test_a_refused_upload_is_an_error_message(name: str, message: str, data_dir: Path, corpus: Path):
    path = HOSTILE / name if (HOSTILE / name).is_file() else corpus / name
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    before = [d.id for d in store.list_datasets(workspace.id)]

    at = open_app(DATA)
    _upload(at, path)
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        next(shown(e.value) for e in at.error if message in shown(e.value))
    ]
    assert "Traceback" not in at.error[0].value
    assert not any(b.key.startswith("new_") for b in at.button), "nothing to save"
    assert [d.id for d in store.list_datasets(workspace.id)] == before
    assert not (corpus / UNPICKLED_MARKER).exists()


def test_a_warned_upload_shows_its_problem(data_dir: Path, corpus: Path):
    at = open_app(DATA)
    _upload(at, corpus / "formulas_and_errors.xlsx")
    assert not at.exception
    assert not at.error
    problems = [p for d in at.dataframe if "Problem" in d.value.columns for p in d.value["Problem"]]
    assert "Column 'margin': 3 cells hold Excel errors (#DIV/0!, #N/A); read as empty." in problems


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("far_future_order.csv", "Order date: 1 row is outside 1900-01-01 to"),
        ("nps_eleven.csv", "NPS score (0–10): 1 row is outside 0–10; left empty."),
    ],
    ids=["far-future-date", "nps-of-eleven"],
)
def test_one_bad_value_is_a_problem_and_the_table_can_be_saved(name: str, problem: str, data_dir: Path):
    at = open_app(DATA)
    _upload(at, HOSTILE / name)
    assert not at.exception
    assert not at.error
    problems = [p for d in at.dataframe if "Problem" in d.value.columns for p in d.value["Problem"]]
    assert any(problem in p for p in problems), problems
    [save] = [b for b in at.button if b.key.startswith("new_") and b.key.endswith("_save")]
    assert not save.disabled


def test_the_upload_limit_is_the_ingest_limit_and_is_named_beside_the_box():
    # A file over the limit never reaches the page: Streamlit's upload box refuses it. The box's
    # limit, the server's and bsc's must be one number, and the page must say it.
    from bsc.ingest import MAX_UPLOAD_BYTES, MB

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_BYTES // MB
    at = open_app(DATA)
    uploader = at.file_uploader(key="upload")
    assert uploader.proto.max_upload_size_mb == MAX_UPLOAD_BYTES // MB
    captions = " ".join(c.value for c in at.caption)
    assert f"Up to {MAX_UPLOAD_BYTES // MB} MB" in captions and "save it as Parquet" in captions
