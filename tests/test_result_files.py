"""Kept results as data files: every kind of value reads back equal, and nothing in a file runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.insights import Shift
from bsc.kpis import KpiParams
from bsc.result_files import UnreadableResult, keep_type, read_result, write_result


@keep_type
@dataclasses.dataclass(frozen=True)
class Kept:
    name: str
    frame: pd.DataFrame
    extra: dict


def _round_trip(value, tmp_path: Path):
    path = tmp_path / "r.result"
    write_result(value, path)
    return read_result(path)


class TestRoundTrip:
    @pytest.mark.parametrize(
        "value",
        [
            None,
            True,
            3,
            -2.5,
            "text",
            b"\x00bytes",
            [1, "a", None],
            (1, (2, 3)),
            {"a": 1, 2: "b", ("x", None): [1.5]},
            dt.date(2026, 5, 1),
            pd.Timestamp("2026-05-01 10:30"),
        ],
    )
    def test_plain_values(self, value, tmp_path: Path):
        assert _round_trip(value, tmp_path) == value

    def test_non_finite_numbers_and_missing_values(self, tmp_path: Path):
        back = _round_trip([math.inf, -math.inf, math.nan, pd.NA, pd.NaT, np.float64(0.25)], tmp_path)
        assert back[0] == math.inf and back[1] == -math.inf and math.isnan(back[2])
        assert back[3] is pd.NA and back[4] is pd.NaT and back[5] == 0.25

    def test_a_frame_with_attrs_inside_a_registered_dataclass(self, tmp_path: Path):
        frame = pd.DataFrame(
            {"segment": ["North", None], "value": [1.5, np.nan], "complete": [True, False]},
            index=pd.Index([3, 7], name="row"),
        )
        frame.attrs = {"window_start": pd.Timestamp("2026-01-01"), "roc_auc": np.float64(0.8)}
        back = _round_trip(Kept("k", frame, {"params": KpiParams(inactivity_days=60)}), tmp_path)
        pd.testing.assert_frame_equal(back.frame, frame)
        assert back.frame.attrs == frame.attrs
        assert back.extra == {"params": KpiParams(inactivity_days=60)}

    def test_what_changed_reads_back_equal(self, tmp_path: Path):
        shifts = ([Shift("nps", "region", "North", 22.4, 45.1, "a", "b", 3.1, 0.002, 22.7, True)], 82)
        assert _round_trip(shifts, tmp_path) == shifts


class TestNothingInAFileRuns:
    def test_an_unregistered_dataclass_is_not_kept(self, tmp_path: Path):
        @dataclasses.dataclass
        class Stranger:
            x: int

        with pytest.raises(TypeError, match="not registered"):
            write_result(Stranger(1), tmp_path / "r.result")

    def test_a_file_naming_another_type_is_refused(self, tmp_path: Path):
        # A crafted file asking for os.system: only registered dataclasses are ever built.
        path = tmp_path / "r.result"
        tree = {"t": "dataclass", "name": "os:system", "v": {"command": "touch pwned"}}
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("result.json", json.dumps(tree))
        with pytest.raises(UnreadableResult, match="not a type kept results may hold"):
            read_result(path)
        assert not (tmp_path / "pwned").exists()

    def test_a_damaged_file_is_unreadable_not_a_crash(self, tmp_path: Path):
        path = tmp_path / "r.result"
        path.write_bytes(b"PK\x03\x04 cut short")
        with pytest.raises(UnreadableResult):
            read_result(path)

    def test_a_missing_file_is_file_not_found(self, tmp_path: Path):
        with pytest.raises(FileNotFoundError):
            read_result(tmp_path / "none.result")
