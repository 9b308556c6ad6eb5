"""The shipped experiments: one folder each (README, sweep file, analysis code)."""
