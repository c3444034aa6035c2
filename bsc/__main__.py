import gc
import sys

from bsc.cli import main

code = main()
# The command's objects die with the process: frozen, they are not walked by the collections
# that Python's shutdown runs (0.1 s after a KPI run, whose query engine leaves many behind).
# Files are closed and output written by then; only the flush is left.
sys.stdout.flush()
gc.freeze()
sys.exit(code)
