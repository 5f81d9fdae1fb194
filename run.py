"""Entry point: ``python run.py [--config PATH] COMMAND ...`` (see README.md)."""

import gc
import sys

if __name__ == "__main__":
    from automations.cli import main  # here, not above: a worker process imports this file too

    code = main()
    gc.freeze()  # the process ends: what it made needs no last collection on the way out
    sys.exit(code)
