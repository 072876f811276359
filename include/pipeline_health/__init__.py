"""Pipeline Health: apprentice progression simulator, warehouse loaders and pipeline logic."""
