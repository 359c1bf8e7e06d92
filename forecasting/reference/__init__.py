"""Reference data kept as data files: measures, geography lookup, cluster catalogue."""
