"""Entry point: ``python run.py [--config PATH] COMMAND ...`` (see README.md)."""

import sys

from automations.cli import main

if __name__ == "__main__":
    sys.exit(main())
