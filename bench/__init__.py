"""``make bench``: how fast and how cheap GET /onboarding/status is, measured side by side.

Not part of ``make check``: it seeds ~240,000 items, runs for several minutes and reports
medians and ratios (docs/benchmarks.md); it asserts nothing about time.
"""
