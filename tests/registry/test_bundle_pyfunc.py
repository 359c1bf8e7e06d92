"""The pyfunc bundle: signature with params, stored steps, extension from states, clear errors."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from bundle_tiny import IDS

from forecasting.registry import pyfunc as bundle_pyfunc
from forecasting.registry.store import save_contents


@pytest.fixture()
def model(contents, tmp_path):
    bundle = save_contents(contents, tmp_path / "bundle")
    path = tmp_path / "model"
    mlflow.pyfunc.save_model(
        path,
        python_model=bundle_pyfunc.__file__,
        artifacts={"bundle": str(bundle)},
        signature=bundle_pyfunc.signature(3),
        pip_requirements=["mlflow"],
    )
    assert not list(path.rglob("*.pkl"))  # models-from-code: nothing pickled
    return mlflow.pyfunc.load_model(str(path))


def test_signature_declares_params(model) -> None:
    params = {p.name: p for p in model.metadata.get_params_schema().params}
    assert params["horizon"].default == 3 and params["quantiles"].shape == (-1,)
    assert [c.name for c in model.metadata.get_input_schema().inputs] == ["series_id"]


def test_predict_defaults_and_order(model, contents) -> None:
    out = model.predict(pd.DataFrame({"series_id": list(IDS[::-1])}))
    assert list(out["series_id"].unique()) == list(IDS[::-1]) and len(out) == 6
    stored = contents.forecasts.set_index(["series_id", "step"])
    assert out.set_index(["series_id", "step"])["mean"].equals(
        stored.loc[out.set_index(["series_id", "step"]).index, "mean"]
    )
    assert out["reconciled"].all()


def test_longer_horizon_and_other_quantiles_come_from_states(model) -> None:
    out = model.predict(pd.DataFrame({"series_id": [IDS[0]]}), params={"horizon": 5, "quantiles": [0.3, 0.5]})
    assert list(out["step"]) == [1, 2, 3, 4, 5] and list(out["period"]) == [
        "2020",
        "2021",
        "2022",
        "2023",
        "2024",
    ]
    assert not out["reconciled"].any()  # 0.3 is not stored: the whole answer is from the fitted model
    out = model.predict(pd.DataFrame({"series_id": [IDS[0]]}), params={"horizon": 5, "quantiles": [0.1, 0.9]})
    assert out["reconciled"].tolist() == [True, True, True, False, False]
    assert (out["q0.1"] <= out["mean"]).all() and (out["mean"] <= out["q0.9"]).all()


def test_errors_are_clear(model) -> None:
    with pytest.raises(Exception, match="unknown series_id"):
        model.predict(pd.DataFrame({"series_id": ["nope.X.all.A"]}))
    with pytest.raises(Exception, match="horizon must be between"):
        model.predict(pd.DataFrame({"series_id": [IDS[0]]}), params={"horizon": 0})
