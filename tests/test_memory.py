"""DuckDB's memory settings and giving freed memory back to the system."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bsc import memory
from bsc.errors import InputError
from bsc.memory import (
    DEFAULT_DUCKDB_MEMORY_MB,
    DUCKDB_MEMORY_SETTING,
    DUCKDB_TEMP_DIR_SETTING,
    arrow_uses_system_allocator,
    duckdb_memory_limit,
    duckdb_temp_directory,
    give_back_freed_memory,
    given_back_after_slow_work,
    limit_allocator_arenas,
    remove_stale_spill_folders,
)


class TestDuckdbMemoryLimit:
    def test_default_when_unset_or_blank(self):
        assert duckdb_memory_limit({}) == f"{DEFAULT_DUCKDB_MEMORY_MB}MiB"
        assert duckdb_memory_limit({DUCKDB_MEMORY_SETTING: "  "}) == f"{DEFAULT_DUCKDB_MEMORY_MB}MiB"

    def test_megabytes_in_binary_units(self):
        # MiB, not MB: DuckDB reads "1500MB" as 1.5e9 bytes, 1430.5 MiB.
        assert duckdb_memory_limit({DUCKDB_MEMORY_SETTING: " 1500 "}) == "1500MiB"

    def test_reads_the_environment_by_default(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv(DUCKDB_MEMORY_SETTING, "512")
        assert duckdb_memory_limit() == "512MiB"

    @pytest.mark.parametrize(
        "text", ["2GB", "-1", "1.5", "0", "63"], ids=["units", "negative", "decimal", "zero", "too-small"]
    )
    def test_bad_values_say_what_is_expected(self, text: str):
        with pytest.raises(InputError, match=f"{DUCKDB_MEMORY_SETTING} must be a whole number of megabytes"):
            duckdb_memory_limit({DUCKDB_MEMORY_SETTING: text})


class TestDuckdbTempDirectory:
    def test_a_folder_of_this_process_in_the_system_temporary_folder(self):
        assert duckdb_temp_directory({}) == Path(tempfile.gettempdir()) / f"bsc-duckdb-{os.getpid()}"

    def test_the_setting_when_given(self, tmp_path: Path):
        assert duckdb_temp_directory({DUCKDB_TEMP_DIR_SETTING: str(tmp_path / "spill")}) == tmp_path / "spill"

    def test_spill_folders_of_stopped_processes_are_removed(self, tmp_path: Path):
        # A process that has exited: its id is free until the system reuses it.
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
        stale = tmp_path / f"bsc-duckdb-{int(gone.stdout)}"
        (stale / "duckdb_temp_storage-0.tmp").parent.mkdir()
        (stale / "duckdb_temp_storage-0.tmp").write_bytes(b"spilled")
        ours = tmp_path / f"bsc-duckdb-{os.getpid()}"
        ours.mkdir()
        other = tmp_path / "bsc-duckdb-notes"
        other.mkdir()
        assert remove_stale_spill_folders(tmp_path) == [stale]
        assert not stale.exists() and ours.exists() and other.exists()

    def test_home_is_expanded(self):
        assert duckdb_temp_directory({DUCKDB_TEMP_DIR_SETTING: "~/spill"}) == Path.home() / "spill"


class TestGiveBackFreedMemory:
    def test_runs_where_the_c_library_is_glibc(self):
        # This machine runs Debian's glibc: the call exists and runs.
        assert give_back_freed_memory() is True

    def test_false_without_glibc(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setattr(memory, "_libc", lambda: None)
        assert give_back_freed_memory() is False

    def test_resident_memory_comes_down_after_freeing_many_small_blocks(self):
        # Blocks below glibc's mmap threshold live in the heap; one still in use above them (the
        # pin) stops glibc from shrinking the heap by itself, as a long-lived object does in
        # the server, so the freed blocks stay resident until trimmed. 200,000 blocks of 1 KiB
        # are about 200 MiB; at least a quarter of it must go back.
        blocks = [bytearray(1024) for _ in range(200_000)]
        pin = bytearray(1024)
        del blocks
        before = _resident_bytes()
        give_back_freed_memory()
        assert before - _resident_bytes() > 50 * 2**20
        del pin


def _resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


class TestGivenBackAfterSlowWork:
    @pytest.fixture
    def trims(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        calls: list[str] = []
        monkeypatch.setattr(memory, "give_back_freed_memory", lambda: calls.append("trim"))
        return calls

    def test_after_slow_work(self, trims: list[str]):
        with given_back_after_slow_work(min_seconds=0.0):
            pass
        assert trims == ["trim"]

    def test_not_after_quick_work(self, trims: list[str]):
        with given_back_after_slow_work(min_seconds=3600.0):
            pass
        assert trims == []

    def test_after_slow_work_that_raised(self, trims: list[str]):
        # A page stopped by st.stop or st.rerun ends with an exception: it built the same frames.
        with pytest.raises(RuntimeError), given_back_after_slow_work(min_seconds=0.0):
            raise RuntimeError("stopped")
        assert trims == ["trim"]


class TestLimitAllocatorArenas:
    def test_set_with_glibc(self):
        assert limit_allocator_arenas(2, environ={}) is True

    def test_left_to_glibcs_own_variable_when_given(self):
        assert limit_allocator_arenas(2, environ={"MALLOC_ARENA_MAX": "4"}) is False

    def test_false_without_glibc(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setattr(memory, "_libc", lambda: None)
        assert limit_allocator_arenas(2, environ={}) is False


class TestArrowUsesSystemAllocator:
    def test_the_package_import_sets_it_before_pyarrow_is_imported(self):
        # A fresh interpreter: pyarrow imported after bsc allocates from the C library.
        code = "import bsc, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
        # Without the variable that this test process's own import of bsc has set.
        env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
        shown = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        assert shown.stdout.strip() == "system"

    def test_switches_an_already_imported_pyarrow(self):
        # Another pool chosen after the import (pyarrow is loaded): the call switches it back.
        code = (
            "import pyarrow as pa\n"
            "from bsc.memory import arrow_uses_system_allocator\n"
            "pa.set_memory_pool(pa.jemalloc_memory_pool())\n"
            "before = pa.default_memory_pool().backend_name\n"
            "print(before, arrow_uses_system_allocator({}), pa.default_memory_pool().backend_name)"
        )
        shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert shown.stdout.split() == ["jemalloc", "True", "system"]

    def test_left_to_arrows_own_variable_when_given(self):
        environ = {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}
        assert arrow_uses_system_allocator(environ) is False
        assert environ == {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}

    def test_named_for_the_processes_started_later(self):
        environ: dict[str, str] = {}
        assert arrow_uses_system_allocator(environ) is True
        assert environ == {"ARROW_DEFAULT_MEMORY_POOL": "system"}
