"""Out-of-sample accuracy and calibration on the real published investment series, side by side.

    python benchmarks/real_series.py [--groups fdi,wdi,gva,quarterly] [--methods auto,naive,drift,sf]
                                     [--n-jobs 2] [--data DIR] [--output FILE.csv] [--origins gva=2003:2014]

The protocol of BENCHMARKS.md ("The real investment series"), read straight from the published files with
the project's adapters (the paths are the ones pinned in ``forecasting/sources/manifest.toml``):

=========  ==================================================================  ===================  ===
group      series                                                              origins (last obs.)  h
=========  ==================================================================  ===================  ===
fdi        ONS subnational FDI positions 2015-2024 (``ons_els.parse_fdi``):    2020, 2021, 2022     2
           inward + outward, ITL1 (+UK, England), ITL2 (ITL 2025), combined
           authorities; series with all 10 years
wdi        WDI FDI net inflows, 2023 release (``wdi.parse_wdi``), economies    2016 ... 2019        3
           (not aggregates) complete over 1990-2022
gva        ONS GVA (balanced) current prices, ITL3, all industries,            2015 ... 2018        3
           1998-2022 (``ons_regional_gva.parse_gva_industry``, Table 3c)
quarterly  UK business investment (NPEL) and total GFCF (NPQT), CVM SA, QNA    2015Q4 ... 2018Q4    4
           Dec-2023 release (``ons_dataset.parse_qna``; CXNV if a CDID is
           missing)
=========  ==================================================================  ===================  ===

At each origin every method sees only the data up to the origin. ``auto`` (the engine default,
``forecast_many``) is run the way the training job runs it: one call per origin round over every annual
group together (round r = each group's r-th origin), so the annual series share one panel, and one call
per origin for the quarterly pair; it gets each series' calibration group (measure family x hierarchy
level) and, for the seasonally adjusted quarterly series, ``seasonal=False`` when the engine accepts
them. naive and drift are the engine's families with their own intervals. statsforecast's AutoETS,
AutoTheta and AutoARIMA run in one call per origin (season length 1 for SA series: the same information
``auto`` gets) and "sf-mean3" is their equal-weight mean (means and interval bounds averaged).

Any registered family may be named in ``--methods`` too (e.g. ``group_share``); one that reads its group
(``auto.PANEL_CONTEXT``: ``pooled_drift``, ``group_share``) gets its calibration group's figures from the
data up to each origin. ``--origins GROUP=FIRST:LAST`` replaces an annual group's origins by the years
FIRST..LAST (to choose on earlier origins than the ones a method is confirmed on).

``auto`` is scored on its point forecast (``Forecast.point``: the median of the distribution its bands come
from, what the service leads with); ``auto-mean`` is the same forecast's mean, for comparison.

Scores: MASE (scale = in-sample naive MAE at the origin, lag 1; lag 4 for quarterly), sMAPE (0-200), each
averaged over the horizon per series-origin, then over series-origins; 80%/95% interval coverage per
group and pooled over every forecast point; the share of series-origins where ``auto`` has a lower MASE
than naive; and wall time per method. Deterministic: same files, same numbers.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.evaluation import metrics as M

DEFAULT_DATA = Path("/work/shared/data")
LEVELS = {80: (0.1, 0.9), 95: (0.025, 0.975)}
QS = (0.025, 0.1, 0.5, 0.9, 0.975)
SF_MODELS = ("AutoETS", "AutoTheta", "AutoARIMA")
ALL_METHODS = ("auto", "naive", "drift", "sf")
TARGETS = {"cov80": (0.75, 0.85), "cov95": (0.91, 0.98)}
# groups whose measure is ``floor_from_history`` in the measure registry (FDI positions and WDI inflows
# may be negative, but a series never negative in its history gets bands bounded at 0)
FLOOR_FROM_HISTORY = {"fdi", "wdi"}


@dataclass
class Group:
    """One benchmark group: its series (values by period), protocol and calibration sub-groups."""

    key: str
    title: str
    frequency: str  # "A" or "Q"
    h: int
    origins: list[pd.Timestamp]  # period of the last training observation
    series: dict[str, pd.Series]
    family: dict[str, str]  # series -> calibration group (measure family x hierarchy level)
    non_negative: bool
    seasonal: bool = True  # False: seasonally adjusted, never a seasonal model

    @property
    def season_length(self) -> int:
        return 4 if self.frequency == "Q" else 1


# ---- loading (the project's adapters, straight from the published files) ---------------------------------
def _series(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, pd.Series]:
    out = {}
    for key, g in frame.groupby(keys, sort=True):
        out[key if isinstance(key, tuple) else (key,)] = g.set_index("period")["value"].sort_index()
    return out


def _complete(s: pd.Series, first: str, last: str, freq: str) -> bool:
    want = pd.period_range(first, last, freq=freq).start_time
    got = s.reindex(want)
    return bool(got.notna().all() and np.all(np.isfinite(got.to_numpy(float))))


def load_fdi(root: Path) -> Group:
    from forecasting.reference.geography import canonical_code, load_geography
    from forecasting.sources.adapters.ons_els import parse_fdi

    geo = load_geography()
    df = parse_fdi(root / "ons_els" / "foreign-direct-investment.csv")
    series, family = {}, {}
    for (measure, code, system), s in _series(df, ["measure", "geography", "geo_system"]).items():
        if not _complete(s, "2015", "2024", "Y"):
            continue
        level = geo.level(canonical_code(code, system))
        tier = "itl2" if system == "itl2025" else "ca" if level == "combined_authority" else "itl1"
        sid = f"{measure}.{code}"
        series[sid] = s.loc["2015":"2024"]
        family[sid] = f"{measure.split('_')[1]}:{tier}"  # inward/outward x ITL1/ITL2/CA
    origins = [pd.Timestamp(f"{y}-01-01") for y in (2020, 2021, 2022)]
    return Group("fdi", "FDI positions (ITL1/ITL2/CA, in+out)", "A", 2, origins, series, family, True)


def load_wdi(root: Path) -> Group:
    from forecasting.reference.geography import load_geography
    from forecasting.sources.adapters.wdi import parse_wdi

    geo = load_geography()
    df = parse_wdi(root / "wdi" / "API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv")
    series, family = {}, {}
    for (code,), s in _series(df, ["geography"]).items():
        if code not in geo.areas or geo.level(code) != "country" or not _complete(s, "1990", "2022", "Y"):
            continue
        sid = f"fdi_net_inflows_usd.{code}"
        series[sid] = s.loc["1990":"2022"]
        family[sid] = "inflows:economy"
    # GBR is an alias of UK in the geography table: add it explicitly when complete
    gbr = _series(df[df["geography"] == "GBR"], ["geography"]).get(("GBR",))
    if gbr is not None and _complete(gbr, "1990", "2022", "Y"):
        series["fdi_net_inflows_usd.GBR"] = gbr.loc["1990":"2022"]
        family["fdi_net_inflows_usd.GBR"] = "inflows:economy"
    origins = [pd.Timestamp(f"{y}-01-01") for y in (2016, 2017, 2018, 2019)]
    return Group("wdi", "WDI FDI net inflows (economies)", "A", 3, origins, series, family, False)


def load_gva(root: Path) -> Group:
    from forecasting.sources.adapters.ons_regional_gva import parse_gva_industry

    path = root / "ons_regional_gva" / "Table_3c_ITL3_current_price_estimates_pounds_million_2024.csv"
    df = parse_gva_industry(path)
    df = df[(df["cluster"] == "all") & (df["geography"].str.len() == 5)]
    series, family = {}, {}
    for (code,), s in _series(df, ["geography"]).items():
        if _complete(s, "1998", "2022", "Y"):
            sid = f"gva_cp.{code}"
            series[sid] = s.loc["1998":"2022"]
            family[sid] = "gva_cp:itl3"
    origins = [pd.Timestamp(f"{y}-01-01") for y in (2015, 2016, 2017, 2018)]
    return Group("gva", "GVA ITL3, current prices", "A", 3, origins, series, family, True)


def load_quarterly(root: Path) -> Group:
    from forecasting.sources.adapters.ons_dataset import parse_qna

    df = parse_qna(root / "ons_qna" / "ons_qna_dataset_release2023-12-22.csv")
    wanted = {"business_investment_cvm_sa": "NPEL", "gfcf_total_cvm_sa": "NPQT"}
    got = _series(df[(df["frequency"] == "Q") & df["measure"].isin(list(wanted))], ["measure"])
    series = {f"{m}.UK": got[(m,)] for m in wanted if (m,) in got}
    if len(series) < len(wanted):  # fall back to the CXNV release for a missing CDID
        from forecasting.sources.adapters.ons_timeseries import parse_cxnv

        cx = parse_cxnv(root / "ons_business_investment" / "cxnv_business_investment_gfcf_quarterly.csv")
        for (m,), s in _series(cx[cx["measure"].isin(list(wanted))], ["measure"]).items():
            series.setdefault(f"{m}.UK", s)
    series = {k: v.loc[:"2023-07-01"].dropna() for k, v in sorted(series.items())}
    family = {k: "investment_cvm_sa:uk" for k in series}
    origins = list(pd.period_range("2015Q4", "2018Q4", freq="Q").start_time)
    return Group(
        "quarterly", "UK business investment/GFCF CVM SA (Q)", "Q", 4, origins, series, family, True, False
    )


LOADERS: dict[str, Callable[[Path], Group]] = {
    "fdi": load_fdi,
    "wdi": load_wdi,
    "gva": load_gva,
    "quarterly": load_quarterly,
}


# ---- one forecast per (series, origin) --------------------------------------------------------------------
@dataclass
class Cell:
    """Forecasts of one method for one series at one origin, with what scoring needs."""

    mean: np.ndarray
    quantiles: dict[float, np.ndarray]
    actual: np.ndarray
    scale: float
    little_evidence: bool | None = None


@dataclass
class Results:
    cells: dict[tuple[str, str, str, pd.Timestamp], Cell] = field(
        default_factory=dict
    )  # method, group, sid, o
    seconds: dict[str, float] = field(default_factory=dict)

    def add_time(self, method: str, secs: float) -> None:
        self.seconds[method] = self.seconds.get(method, 0.0) + secs


def split(g: Group, sid: str, origin: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    s = g.series[sid]
    train = s.loc[:origin].to_numpy(float)
    test = s.loc[origin:].iloc[1 : 1 + g.h].to_numpy(float)
    return train, test


def _q(qs: dict[float, np.ndarray], p: float) -> np.ndarray:
    return next(v for q, v in qs.items() if abs(q - p) < 1e-9)


def run_family(groups: list[Group], name: str, res: Results) -> None:
    from forecasting.evaluation.auto import PANEL_CONTEXT
    from models.base import make

    t0 = time.perf_counter()
    for g in groups:
        m = g.season_length if g.seasonal else 1
        for o in g.origins:
            context: dict[str, dict] = {}
            if name in PANEL_CONTEXT:  # its group's figures from the data up to this origin
                param, rows_of = PANEL_CONTEXT[name]
                trains = {sid: split(g, sid, o)[0] for sid in g.series}
                context = {s: {param: r} for s, r in rows_of(trains, g.family).items()}
            for sid in g.series:
                train, test = split(g, sid, o)
                model = make(name, season_length=m, non_negative=g.non_negative, **context.get(sid, {}))
                fc = model.fit(train).predict(g.h)
                qs = {p: _q(fc.quantiles, p) for p in QS}
                scale = M.naive_scale(train, g.season_length)
                res.cells[(name, g.key, sid, o)] = Cell(fc.mean, qs, test, scale)
    res.add_time(name, time.perf_counter() - t0)


def _auto_kwargs() -> set[str]:
    from forecasting.evaluation.auto import forecast_many

    return set(inspect.signature(forecast_many).parameters)


def run_auto(groups: list[Group], res: Results, n_jobs: int) -> None:
    """One ``forecast_many`` call per origin round over every annual group (and one per quarterly origin)."""
    from forecasting.evaluation.auto import default_mapper, forecast_many

    accepted = _auto_kwargs()
    mapper = default_mapper(n_jobs)
    annual = [g for g in groups if g.frequency == "A"]
    calls: list[list[tuple[Group, pd.Timestamp]]] = []
    for r in range(max((len(g.origins) for g in annual), default=0)):
        calls.append([(g, g.origins[r]) for g in annual if r < len(g.origins)])
    for g in groups:
        if g.frequency != "A":
            calls += [[(g, o)] for o in g.origins]
    t0 = time.perf_counter()
    for call in calls:
        panel, h, m, nn, group_of, seasonal, where = {}, {}, {}, {}, {}, {}, {}
        for g, o in call:
            for sid in g.series:
                key = f"{g.key}/{sid}"
                panel[key] = split(g, sid, o)[0]
                h[key], m[key], nn[key] = g.h, g.season_length, g.non_negative
                group_of[key] = f"{g.key}:{g.family[sid]}"
                seasonal[key] = g.seasonal
                where[key] = (g, sid, o)
        kwargs: dict = {}
        if "floor_of" in accepted:  # the measures' floor_from_history (as training passes it)
            kwargs["floor_of"] = {k: where[k][0].key in FLOOR_FROM_HISTORY for k in panel}
        if "group_of" in accepted:
            kwargs["group_of"] = group_of
        if "seasonal" in accepted:
            kwargs["seasonal"] = seasonal
        out = forecast_many(panel, h, season_length=m, non_negative=nn, mapper=mapper, quantiles=QS, **kwargs)
        for key, r in out.items():
            g, sid, o = where[key]
            train, test = split(g, sid, o)
            qs = {p: _q(r.forecast.quantiles, p) for p in QS}
            little = getattr(r, "little_evidence", None)
            scale = M.naive_scale(train, g.season_length)
            point = getattr(r.forecast, "point", r.forecast.mean)  # the median the bands come from
            res.cells[("auto", g.key, sid, o)] = Cell(point, qs, test, scale, little)
            res.cells[("auto-mean", g.key, sid, o)] = Cell(r.forecast.mean, qs, test, scale, little)
    res.add_time("auto", time.perf_counter() - t0)


def run_statsforecast(groups: list[Group], res: Results, n_jobs: int) -> None:
    import statsforecast.models as sfm
    from statsforecast import StatsForecast

    t_total = 0.0
    for g in groups:
        m = g.season_length if g.seasonal else 1
        for o in g.origins:
            frames = []
            for sid in g.series:
                train, _ = split(g, sid, o)
                frames.append(pd.DataFrame({"unique_id": sid, "ds": np.arange(train.size), "y": train}))
            sf = StatsForecast(
                models=[getattr(sfm, n)(season_length=m) for n in SF_MODELS],
                freq=1,
                n_jobs=n_jobs,
                fallback_model=sfm.Naive(),
            )
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = sf.forecast(df=pd.concat(frames), h=g.h, level=[80, 95])
            t_total += time.perf_counter() - t0
            fc = fc.reset_index() if "unique_id" not in fc.columns else fc
            by_id = {sid: f.sort_values("ds") for sid, f in fc.groupby("unique_id")}
            for sid in g.series:
                train, test = split(g, sid, o)
                f = by_id[sid]
                scale = M.naive_scale(train, g.season_length)
                clip = (lambda a: np.maximum(a, 0.0)) if g.non_negative else (lambda a: a)
                members = []
                for n in SF_MODELS:
                    qs = {
                        0.025: clip(f[f"{n}-lo-95"].to_numpy(float)),
                        0.1: clip(f[f"{n}-lo-80"].to_numpy(float)),
                        0.9: clip(f[f"{n}-hi-80"].to_numpy(float)),
                        0.975: clip(f[f"{n}-hi-95"].to_numpy(float)),
                    }
                    cell = Cell(clip(f[n].to_numpy(float)), qs, test, scale)
                    res.cells[(f"sf-{n}", g.key, sid, o)] = cell
                    members.append(cell)
                mean_q = {p: np.mean([c.quantiles[p] for c in members], axis=0) for p in members[0].quantiles}
                res.cells[("sf-mean3", g.key, sid, o)] = Cell(
                    np.mean([c.mean for c in members], axis=0), mean_q, test, scale
                )
    for n in (*SF_MODELS, "mean3"):
        res.add_time(f"sf-{n}", t_total)


# ---- scoring ----------------------------------------------------------------------------------------------
def table(res: Results, groups: list[Group]) -> pd.DataFrame:
    """One row per (group, method): MASE, sMAPE, coverage and the number of series-origins."""
    rows = []
    methods = list(dict.fromkeys(k[0] for k in res.cells))
    for g in [*groups, None]:
        for method in methods:
            cells = [
                c for (mm, gk, _, _), c in res.cells.items() if mm == method and (g is None or gk == g.key)
            ]
            if not cells:
                continue
            mase = [float(M.mase(c.actual, c.mean, c.scale)) for c in cells]
            smape = [float(M.smape(c.actual, c.mean)) for c in cells]
            row = {
                "group": "pooled" if g is None else g.key,
                "method": method,
                "n": len(cells),
                "mase": float(np.mean(mase)),
                "smape": float(np.mean(smape)),
            }
            for level, (lo, hi) in LEVELS.items():
                hits = np.concatenate(
                    [M.coverage(c.actual, c.quantiles[lo], c.quantiles[hi], reduce=False) for c in cells]
                )
                row[f"cov{level}"] = float(np.mean(hits))
            flags = [c.little_evidence for c in cells if c.little_evidence is not None]
            row["little_evidence"] = float(np.mean(flags)) if flags else float("nan")
            row["seconds"] = res.seconds.get(method, float("nan"))
            rows.append(row)
    return pd.DataFrame(rows)


def beats_naive(res: Results, groups: list[Group]) -> dict[str, tuple[float, float]]:
    """Per group: share of series-origins where auto's MASE is below naive's, and the share of ties."""
    out = {}
    for g in groups:
        better = ties = n = 0
        for (method, gk, sid, o), c in res.cells.items():
            if method != "auto" or gk != g.key or ("naive", gk, sid, o) not in res.cells:
                continue
            nv = res.cells[("naive", gk, sid, o)]
            a, b = float(M.mase(c.actual, c.mean, c.scale)), float(M.mase(nv.actual, nv.mean, nv.scale))
            better += a < b - 1e-12
            ties += abs(a - b) <= 1e-12
            n += 1
        if n:
            out[g.key] = (better / n, ties / n)
    return out


def checks(df: pd.DataFrame) -> list[tuple[str, bool]]:
    """The targets of BENCHMARKS.md for ``auto`` (naive/drift comparison per group, coverage)."""
    out: list[tuple[str, bool]] = []
    rows = df.set_index(["group", "method"])
    for grp in [g for g in df["group"].unique() if g != "pooled"]:
        if (grp, "auto") not in rows.index:
            continue
        a = rows.loc[(grp, "auto")]
        for ref in ("sf-mean3",):
            if (grp, ref) in rows.index:
                r = rows.loc[(grp, ref)]
                out.append((f"{grp}: auto MASE {a.mase:.3f} <= {ref} {r.mase:.3f}", a.mase <= r.mase + 1e-12))
        for ref in ("naive", "drift"):  # strictly below each simple rival
            if (grp, ref) in rows.index:
                r = rows.loc[(grp, ref)]
                out.append((f"{grp}: auto MASE {a.mase:.3f} < {ref} {r.mase:.3f}", a.mase < r.mase - 1e-12))
        for level in (80, 95):  # every group calibrated, not just the pool
            lo, hi = TARGETS[f"cov{level}"]
            v = a[f"cov{level}"]
            out.append((f"{grp}: auto coverage{level} {v:.3f} in [{lo}, {hi}]", lo <= v <= hi))
    if ("pooled", "auto") in rows.index:
        a = rows.loc[("pooled", "auto")]
        for level in (80, 95):
            lo, hi = TARGETS[f"cov{level}"]
            v = a[f"cov{level}"]
            out.append((f"pooled: auto coverage{level} {v:.3f} in [{lo}, {hi}]", lo <= v <= hi))
    return out


def show(df: pd.DataFrame, groups: list[Group], beats: dict[str, tuple[float, float]], rich: bool) -> None:
    titles = {g.key: f"{g.title}: {len(g.series)} series x {len(g.origins)} origins, h={g.h}" for g in groups}
    titles["pooled"] = "pooled over all groups"
    cols = ["method", "n", "mase", "smape", "cov80", "cov95", "little_evidence", "seconds"]
    fmt = {"n": "{:.0f}", "mase": "{:.3f}", "smape": "{:.2f}", "cov80": "{:.3f}", "cov95": "{:.3f}"}
    fmt.update({"little_evidence": "{:.2f}", "seconds": "{:.1f}"})

    def cell(col: str, v) -> str:
        if isinstance(v, str):
            return v
        return "-" if not np.isfinite(v) else fmt[col].format(v)

    for grp in [*[g.key for g in groups], "pooled"]:
        part = df[df["group"] == grp]
        if part.empty:
            continue
        extra = ""
        if grp in beats:
            extra = f"  (auto beats naive on {beats[grp][0]:.0%} of series-origins, ties {beats[grp][1]:.0%})"
        if rich:
            from rich.console import Console
            from rich.table import Table

            t = Table(title=titles[grp] + extra, title_justify="left")
            for c in cols:
                t.add_column(c, justify="left" if c == "method" else "right")
            for _, r in part.iterrows():
                t.add_row(*[cell(c, r[c]) for c in cols])
            Console().print(t)
        else:
            print(f"\n== {titles[grp]}{extra} ==")
            print("  ".join(f"{c:>15s}" if c != "method" else f"{c:14s}" for c in cols))
            for _, r in part.iterrows():
                print("  ".join(f"{cell(c, r[c]):>15s}" if c != "method" else f"{r[c]:14s}" for c in cols))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--groups", default=",".join(LOADERS), help=f"comma list from {','.join(LOADERS)}")
    p.add_argument(
        "--methods", default=",".join(ALL_METHODS), help=f"comma list from {','.join(ALL_METHODS)}"
    )
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--data", default=None, help="data root (default $INVEST_MIRROR or /work/shared/data)")
    p.add_argument("--output", default=None, help="also write the table as CSV")
    p.add_argument("--plain", action="store_true", help="plain lines even on a terminal")
    p.add_argument(
        "--origins",
        action="append",
        default=[],
        help="GROUP=FIRST:LAST: an annual group's origins as years FIRST..LAST (e.g. gva=2003:2014)",
    )
    args = p.parse_args(argv)
    import os

    root = Path(args.data or os.environ.get("INVEST_MIRROR") or DEFAULT_DATA)
    keys = [k.strip() for k in args.groups.split(",") if k.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    from models.base import registry

    bad = (set(keys) - set(LOADERS)) | (set(methods) - set(ALL_METHODS) - set(registry()))
    if bad:
        p.error(f"unknown groups/methods {sorted(bad)}")
    groups = [LOADERS[k](root) for k in keys]
    for spec in args.origins:
        key, _, span = spec.partition("=")
        first, _, last = span.partition(":")
        g = next((g for g in groups if g.key == key and g.frequency == "A"), None)
        if g is None or not first.isdigit() or not last.isdigit():
            p.error(f"--origins {spec!r}: use GROUP=FIRST:LAST with an annual group of --groups")
        g.origins = [pd.Timestamp(f"{y}-01-01") for y in range(int(first), int(last) + 1)]
    res = Results()
    for method in methods:
        if method == "auto":
            run_auto(groups, res, args.n_jobs)
        elif method == "sf":
            run_statsforecast(groups, res, args.n_jobs)
        else:
            run_family(groups, method, res)
        print(
            f"  {method} done ({res.seconds.get(method, res.seconds.get('sf-mean3', 0)):.1f}s)",
            file=sys.stderr,
        )
    df = table(res, groups)
    beats = beats_naive(res, groups)
    show(df, groups, beats, rich=sys.stdout.isatty() and not args.plain)
    print()
    failed = False
    for msg, ok in checks(df):
        print(f"  {'PASS' if ok else 'FAIL'}  {msg}")
        failed |= not ok
    if args.output:
        df.to_csv(args.output, index=False)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
