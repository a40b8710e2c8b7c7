"""Private numerical core shared by every family.

``kernels`` (kernel operators and the bandwidth vocabulary), ``optim`` (the
accelerated projected-gradient solver and the power iteration), ``matching``
(kernel mean matching problems), ``encoding`` (encodings, positivity checks and
named thresholds) and ``crossfit`` (splits and per-arm fold loops). Nothing
here is public; the import order is utils -> _core -> base -> weighting ->
families -> model_selection.
"""
