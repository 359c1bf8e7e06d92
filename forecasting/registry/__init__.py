"""The forecast bundle: everything the API, scenarios and scorecards need, saved as an MLflow pyfunc model."""
