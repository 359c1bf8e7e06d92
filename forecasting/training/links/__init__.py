"""Transmission link estimators by family (``forecasting.training.transmission`` chooses among them)."""
