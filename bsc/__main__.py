import sys

from bsc.cli import main

sys.exit(main())
