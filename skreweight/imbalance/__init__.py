"""imbalance."""
