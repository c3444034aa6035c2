"""Two threads importing modules that import each other: one import fails, tried again it works."""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bsc.imports import ImportDeadlock, is_import_race, retrying_import_deadlocks
from bsc.results_cache import ResultsCache

# Two subpackages that import each other's modules from their __init__, as large packages do.
# Importing a module first takes its own lock and then imports its parent package. So the thread
# importing ``cyclepkg.a.x`` holds that lock while ``cyclepkg.a`` runs (and waits), the other
# thread, importing ``cyclepkg.c.y``, holds that lock while ``cyclepkg.c`` asks for
# ``cyclepkg.a.x``; when ``cyclepkg.a`` then asks for ``cyclepkg.c.y`` the two wait for each
# other, and Python refuses one of the two imports with ImportDeadlock.
PACKAGE = "cyclepkg"
FILES = {
    "__init__.py": "",
    "a/__init__.py": "import threading\nthreading.Event().wait(1.0)\nimport cyclepkg.c.y\n",
    "a/x.py": "NAME = 'x'\n",
    "c/__init__.py": "import cyclepkg.a.x\n",
    "c/y.py": "NAME = 'y'\n",
}
IMPORTS = {"first": f"{PACKAGE}.a.x", "second": f"{PACKAGE}.c.y"}


@pytest.fixture
def cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in FILES.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in list(sys.modules):
        if name.split(".")[0] == PACKAGE:
            del sys.modules[name]


def _wait_until_running(module: str) -> None:
    """Until another thread has started running ``module`` (it is in sys.modules), at most 10 s."""
    for _ in range(2000):
        if module in sys.modules:
            return
        threading.Event().wait(0.005)


def _import_both(wrap) -> dict[str, object]:
    outcome: dict[str, object] = {}

    def run(label: str) -> None:
        try:
            outcome[label] = wrap(lambda: importlib.import_module(IMPORTS[label])).NAME
        except Exception as error:  # the test reports what each thread met
            outcome[label] = error

    threads = {label: threading.Thread(target=run, args=(label,)) for label in IMPORTS}
    threads["first"].start()
    _wait_until_running(f"{PACKAGE}.a")  # cyclepkg.a's __init__ runs (and waits)
    threads["second"].start()
    for thread in threads.values():
        thread.join(timeout=30)
    return outcome


def test_the_cycle_fails_one_thread_without_retrying(cycle):
    # The premise: without a retry one of the two imports is refused.
    outcome = _import_both(lambda compute: compute())
    assert any(isinstance(value, ImportDeadlock) for value in outcome.values()), outcome


def test_retrying_lets_both_threads_import(cycle):
    outcome = _import_both(retrying_import_deadlocks)
    assert outcome == {"first": "x", "second": "y"}


def test_a_job_that_met_an_import_deadlock_is_computed_again(tmp_path: Path):
    calls = []

    def compute() -> dict:
        calls.append(1)
        if len(calls) == 1:
            raise ImportDeadlock("deadlock detected by _ModuleLock('sklearn')")
        return {"value": 42}

    cache = ResultsCache(tmp_path)
    cache.start("k", compute)
    cache.wait("k")
    assert cache.get("k") == {"value": 42}
    assert len(calls) == 2


def test_a_lasting_deadlock_is_reported_not_retried_forever():
    calls = []

    def compute() -> None:
        calls.append(1)
        raise ImportDeadlock("always")

    with pytest.raises(ImportDeadlock):
        retrying_import_deadlocks(compute, attempts=3)
    assert len(calls) == 3


def _page_meeting_a_deadlock_once() -> None:
    import streamlit as st

    from bsc.imports import ImportDeadlock
    from ui.context import run_page

    class Page:
        def run(self) -> None:
            st.session_state["runs"] = st.session_state.get("runs", 0) + 1
            if st.session_state["runs"] == 1:
                raise ImportDeadlock("deadlock detected by _ModuleLock('sklearn.utils')")
            st.write(f"page drawn on run {st.session_state['runs']}")

    run_page(Page())


def test_the_page_is_run_again_when_its_imports_met_a_background_job():
    app = AppTest.from_function(_page_meeting_a_deadlock_once).run(timeout=30)
    assert not app.exception
    assert [m.value for m in app.markdown] == ["page drawn on run 2"]


# Two modules that take names from each other, imported by two threads at once: Python lets the
# cycle through and hands one thread the other's unfinished module, where the name it asks for is
# not defined yet ("cannot import name ... from partially initialized module").
NAMES = {
    "names_left": "import threading\nthreading.Event().wait(1.0)\nfrom names_right import OTHER\nNAME = 'left'\n",
    "names_right": "from names_left import NAME\nOTHER = 'right'\n",
}


@pytest.fixture
def name_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in NAMES.items():
        (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in NAMES:
        sys.modules.pop(name, None)


def _both_names(wrap) -> dict[str, object]:
    outcome: dict[str, object] = {}

    def run(name: str, attribute: str) -> None:
        try:
            outcome[name] = getattr(wrap(lambda: importlib.import_module(name)), attribute)
        except Exception as error:  # the test reports what each thread met
            outcome[name] = error

    left = threading.Thread(target=run, args=("names_left", "NAME"))
    right = threading.Thread(target=run, args=("names_right", "OTHER"))
    left.start()
    _wait_until_running("names_left")
    right.start()
    for thread in (left, right):
        thread.join(timeout=30)
    return outcome


def test_a_name_of_an_unfinished_module_is_told_as_an_import_race(name_cycle):
    # The message Python gives a thread handed another thread's unfinished module.
    outcome = _both_names(lambda compute: compute())
    raced = [value for value in outcome.values() if isinstance(value, ImportError) and is_import_race(value)]
    assert raced and "partially initialized module" in str(raced[0]), outcome


def test_an_import_race_is_tried_again_until_the_other_thread_is_done():
    calls = []

    def compute() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ImportError(
                "cannot import name 'LogisticRegression' from partially initialized module "
                "'sklearn.linear_model' (most likely due to a circular import)"
            )
        return "imported"

    assert retrying_import_deadlocks(compute) == "imported"
    assert len(calls) == 3


def test_other_import_errors_are_not_retried():
    calls = []

    def compute() -> None:
        calls.append(1)
        raise ImportError("No module named 'not_installed'")

    with pytest.raises(ImportError, match="not_installed"):
        retrying_import_deadlocks(compute)
    assert len(calls) == 1


def _page_handed_an_unfinished_module_once() -> None:
    import streamlit as st

    from ui.context import run_page

    class Page:
        def run(self) -> None:
            st.session_state["runs"] = st.session_state.get("runs", 0) + 1
            if st.session_state["runs"] == 1:
                raise ImportError(
                    "cannot import name 'NMF' from partially initialized module 'sklearn.decomposition'"
                )
            st.write(f"page drawn on run {st.session_state['runs']}")

    run_page(Page())


def test_the_page_is_run_again_when_it_was_handed_an_unfinished_module():
    app = AppTest.from_function(_page_handed_an_unfinished_module_once).run(timeout=30)
    assert not app.exception
    assert [m.value for m in app.markdown] == ["page drawn on run 2"]


def _page_missing_a_module() -> None:
    from ui.context import run_page

    class Page:
        def run(self) -> None:
            raise ImportError("No module named 'not_installed'")

    run_page(Page())


def test_a_page_missing_a_module_shows_its_error_at_once():
    app = AppTest.from_function(_page_missing_a_module).run(timeout=30)
    assert app.exception
