"""A directory tree over a listing, for a view that shows a million paths: children per directory,
sizes summed per directory, rows in display order for the directories that are expanded."""

from __future__ import annotations
