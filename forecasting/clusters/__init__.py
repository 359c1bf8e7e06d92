"""Cluster evidence: validation of the declared clusters, discovery of candidates, links to investment."""
