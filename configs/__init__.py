"""The shipped scenario files (data only; see simulation.resources)."""
