"""The forecaster zoo: one interface (``models.base.Forecaster``), one module per family."""
