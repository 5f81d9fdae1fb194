"""Entry point: ``python run.py [--config PATH] COMMAND ...`` (see README.md)."""

import sys

if __name__ == "__main__":
    from automations.cli import main  # here, not above: a worker process imports this file too

    sys.exit(main())
