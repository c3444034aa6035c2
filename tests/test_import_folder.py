"""The server's import folder: the setting, the listing, and names that must stay inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bsc.errors import InputError
from bsc.import_folder import import_folder, list_server_files, server_file


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    inside = tmp_path / "imports"
    inside.mkdir()
    (inside / "orders.csv").write_bytes(b"a,b\n1,2\n")  # 8 bytes
    (inside / "Book.XLSX").write_bytes(b"PK\x03\x04" + b"\x00" * 96)  # 100 bytes
    (inside / "notes.md").write_text("not a table")
    (inside / ".hidden.csv").write_text("a\n1\n")
    (inside / "sub").mkdir()
    (inside / "sub" / "deep.csv").write_text("a\n1\n")
    outside = tmp_path / "secret.csv"
    outside.write_text("password\nhunter2\n")
    (inside / "escape.csv").symlink_to(outside)
    (inside / "alias.csv").symlink_to(inside / "orders.csv")
    return inside


class TestSetting:
    def test_unset_or_blank_means_no_import_folder(self):
        assert import_folder({}) is None
        assert import_folder({"BSC_IMPORT_DIR": "  "}) is None

    def test_a_missing_folder_or_a_file_means_none(self, tmp_path: Path, folder: Path):
        assert import_folder({"BSC_IMPORT_DIR": str(tmp_path / "nowhere")}) is None
        assert import_folder({"BSC_IMPORT_DIR": str(folder / "orders.csv")}) is None

    def test_an_existing_folder_is_given_resolved(self, folder: Path):
        assert import_folder({"BSC_IMPORT_DIR": f"{folder}/../imports/"}) == folder.resolve()


def test_the_listing_holds_readable_files_inside_the_folder(folder: Path):
    listed = [(f.name, f.size) for f in list_server_files(folder)]
    # Sorted by name in any case; the link to a file of the folder stays, the one leading out
    # does not; hidden files, other extensions and subfolders are not listed.
    assert listed == [("alias.csv", 8), ("Book.XLSX", 100), ("orders.csv", 8)]


class TestServerFile:
    def test_a_listed_name_gives_its_file(self, folder: Path):
        assert server_file(folder, "orders.csv") == (folder / "orders.csv").resolve()

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("../secret.csv", "is not the name of a file"),
            ("sub/deep.csv", "is not the name of a file"),
            ("/etc/passwd", "is not the name of a file"),
            ("..", "is not the name of a file"),
            ("", "is not the name of a file"),
            (".hidden.csv", "is not the name of a file"),
            ("escape.csv", "leads outside the import folder"),
            ("gone.csv", "is not a file in the import folder"),
            ("sub", "is not a file in the import folder"),
            ("notes.md", "cannot be imported: only .csv"),
        ],
        ids=[
            "parent",
            "subfolder",
            "absolute",
            "dotdot",
            "empty",
            "hidden",
            "link-out",
            "missing",
            "folder",
            "extension",
        ],
    )
    def test_names_that_leave_the_folder_or_name_no_table_file_are_refused(
        self, folder: Path, name: str, message: str
    ):
        with pytest.raises(InputError, match=message):
            server_file(folder, name)
