"""Midlands investment trend forecasting: warehouse, engine, training, scenarios and scorecards."""

__version__ = "0.1.0"
