"""covariate_shift."""
