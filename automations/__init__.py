"""practice-ops: reconcile a therapy practice's trackers and act on what is wrong or due."""

__version__ = "0.1.0"
