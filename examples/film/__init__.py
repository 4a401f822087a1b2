"""Film pre-production: brief -> scene graph -> storyboard frames -> continuity -> cut list."""
