"""Benchmarks (issue 7): scripts that print their figure as the last line; `python -m bench.run` runs them all."""
