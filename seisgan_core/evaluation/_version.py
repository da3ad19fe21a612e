"""Version of the evaluation panel's definitions (no imports: read by cached CLI calls)."""

#: Bumped whenever a measure changes, so cached panels are recomputed.
PANEL_VERSION = 1
