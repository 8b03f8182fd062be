"""The manifest tree's nodes (nodes.py) and the detail pane's fact grids they build on (facts.py)."""
