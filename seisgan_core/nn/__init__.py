"""Generator, critic and presets. Imports nothing else of ours."""
