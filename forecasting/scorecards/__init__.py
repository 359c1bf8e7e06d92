"""Cluster investment-potential metrics, composite scores, star ratings and the scorecard report."""
