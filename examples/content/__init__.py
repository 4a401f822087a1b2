"""Content: brief + source notes -> research -> draft -> verification -> publish approval."""
