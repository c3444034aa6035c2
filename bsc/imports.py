"""Imports made from more than one thread at once.

The app computes slow results on a background thread while a visitor's next page imports its
own modules on the script thread. When two threads import modules that import each other (large
packages such as scikit-learn and SciPy have such cycles inside them), Python finds the cycle of
module locks and raises ``_DeadlockError`` in one of the two threads instead of hanging. The
other thread goes on and finishes its import, so the failed import succeeds when tried again.
:func:`retrying_import_deadlocks` does exactly that; the app's entry point reruns the page.
"""

from __future__ import annotations

import importlib._bootstrap as _bootstrap
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["ATTEMPTS", "ImportDeadlock", "is_import_race", "retrying_import_deadlocks"]

Result = TypeVar("Result")

# The error Python raises when two threads' imports wait for each other (a RuntimeError).
ImportDeadlock: type[RuntimeError] = _bootstrap._DeadlockError

ATTEMPTS = 4


def is_import_race(error: BaseException) -> bool:
    """Whether ``error`` is an import that met another thread's import of the same modules."""
    return isinstance(error, ImportDeadlock) or (
        isinstance(error, ImportError) and "partially initialized module" in str(error)
    )


def retrying_import_deadlocks(compute: Callable[[], Result], attempts: int = ATTEMPTS) -> Result:
    """``compute()``, tried again (after a short wait) when an import in it met another thread's."""
    for attempt in range(1, attempts + 1):
        try:
            return compute()
        except (ImportDeadlock, ImportError) as error:
            if attempt == attempts or not is_import_race(error):
                raise
            # The other thread is finishing the import it holds; give it a moment.
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
