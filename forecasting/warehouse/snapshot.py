"""The warehouse's read contract: a ``Snapshot`` is the warehouse as it stood at one ``as_of``.

Readers outside ``forecasting/warehouse`` (training, scorecards, profiles, clusters, the service) see the
warehouse only through this typed API; the DuckDB connection and the visibility SQL stay private to the
package, so a change to the tables or to what "visible as of" means is made here once
(``tests/test_architecture.py`` forbids SQL and the connection elsewhere).

A snapshot is opened once per job (``open_snapshot(path, as_of)``) and read-only. Every reader uses the
snapshot's ``as_of`` unless given an explicit one: a real-time replay asks for each older release's view.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.vocabulary import parse_series_id
from forecasting.warehouse.store import _DATE, Warehouse, WarehouseError, catalogue_from_observations

__all__ = ["Snapshot", "WarehouseError", "catalogue_from_observations", "open_snapshot"]


class Snapshot:
    """Typed reads of one warehouse at one ``as_of`` (a vintage id, a release date YYYY-MM-DD, or latest)."""

    def __init__(self, warehouse: Warehouse, as_of: str | None = None) -> None:
        self._wh = warehouse
        self.as_of = as_of
        self.path = warehouse.path
        if as_of is not None:
            warehouse._visible_sql(as_of)  # an unknown vintage is refused when the snapshot is opened

    # ---- identity -------------------------------------------------------------------------------------
    @property
    def latest_vintage(self) -> str | None:
        """The newest vintage in the file (None: nothing ingested yet)."""
        return self._wh.latest_vintage()

    @property
    def vintage(self) -> str | None:
        """What this snapshot shows: its ``as_of`` when given, else the newest vintage."""
        return self.as_of if self.as_of is not None else self._wh.latest_vintage()

    @property
    def present(self) -> pd.Timestamp:
        """The snapshot's 'today': the as-of date, or the day its vintage was ingested."""
        if self.as_of is not None and _DATE.match(self.as_of):
            return pd.Timestamp(self.as_of)
        vintage = self.vintage
        if vintage is None:
            raise WarehouseError(
                f"warehouse {self.path} is empty: run `invest data ingest` (or `invest run`) first"
            )
        return self._wh.vintage_created(vintage).normalize()

    def at(self, as_of: str | None) -> Snapshot:
        """The same open warehouse at another ``as_of`` (no second connection)."""
        return Snapshot(self._wh, as_of)

    # ---- current values --------------------------------------------------------------------------------
    def measures(self) -> list[str]:
        """Every measure held (in any release), sorted."""
        return self._wh._measures()

    def observations(self, *, as_of: str | None = None, **filters: Any) -> pd.DataFrame:
        """Current value per observation key with provenance; ``filters`` are ``Warehouse.observations``'s
        (measures, geographies, clusters, frequency)."""
        return self._wh.observations(as_of=as_of or self.as_of, **filters)

    def panel(self, **filters: Any) -> pd.DataFrame:
        """Observations for modelling (same columns as ``observations``)."""
        return self.observations(**filters)

    def series(self, series_id: str, as_of: str | None = None) -> pd.DataFrame:
        """One series' current values (with period labels); ``WarehouseError`` when it has none."""
        return self._wh.series(series_id, as_of=as_of or self.as_of)

    def catalogue(self, **filters: Any) -> pd.DataFrame:
        """One row per visible series (``Warehouse.catalogue``)."""
        filters.setdefault("as_of", self.as_of)
        return self._wh.catalogue(**filters)

    # ---- releases --------------------------------------------------------------------------------------
    def release_rows(
        self,
        *,
        series_ids: Sequence[str] | None = None,
        measures: Sequence[str] | None = None,
        geographies: Sequence[str] | None = None,
        as_of: str | None = None,
    ) -> pd.DataFrame:
        """Every visible row of every release (series_id, measure, geography, cluster, frequency, period,
        value, source, release, vintage, reference_year), ordered by series, release, vintage, period and source
        (two sources of one release may disagree: a fixed order keeps real-time histories reproducible):
        what revision statistics and real-time histories are built from."""
        return self._wh._release_rows(
            series_ids=series_ids, measures=measures, geographies=geographies, as_of=as_of or self.as_of
        )

    def release_history(self, series_id: str) -> pd.DataFrame:
        """Every published value of a series held in the file (period, value, release, source, vintage,
        reference_year; oldest release first), whatever the snapshot's ``as_of``: a track record replays
        each release and scores it against the later ones."""
        try:
            key = parse_series_id(series_id)
        except ValueError as exc:
            raise WarehouseError(f"{exc} (see `invest data list`)") from None
        return self._wh._series_rows(key)

    def releases(self, series_id: str) -> pd.DataFrame:
        """One row per publisher release holding the series (``Warehouse.releases``)."""
        return self._wh.releases(series_id)

    def replayable_series(self, measures: Sequence[str] | None = None) -> list[str]:
        """Series with at least two publisher releases (optionally of some measures), sorted."""
        return self._wh._replayable_series(measures)


@contextmanager
def open_snapshot(path: Path | str, as_of: str | None = None) -> Iterator[Snapshot]:
    """Open the warehouse file read-only at ``as_of``; closed when the block ends."""
    with Warehouse(Path(path), read_only=True) as wh:
        wh._quiet()
        yield Snapshot(wh, as_of)
