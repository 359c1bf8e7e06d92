// Beside the fan chart: how past forecasts of this series turned out (GET /v1/track-record). Each publisher
// release was replayed with the champion's experiment on the data published then, and scored against the
// newest release, beside no-change and drift. Growth rates (what economists quote) come first; a series
// without a replay says so in words and how one is made.
import { trackChart } from "./charts.js";
import { ApiError, clear, el, getJSON, table } from "./lib.js";

const $ = (id) => document.getElementById(id);
let seq = 0;

const fmt1 = (v) => (v == null || Number.isNaN(v) ? "–" : v.toFixed(1));
const signed1 = (v) => (v == null || Number.isNaN(v) ? "–" : `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(v).toFixed(1)}`);

function horizonName(s) {
  if (s.kind === "growth") return s.horizon === 0 ? "growth in the release's own year" : s.horizon === 1 ? "growth in the year after" : `growth ${s.horizon} years after`;
  return `level, ${s.horizon} period${s.horizon === 1 ? "" : "s"} after the last observed`;
}

// One sentence a reader can quote: the nearest growth horizon against no-change.
export function verdict(rec) {
  const g = rec.summary.filter((s) => s.kind === "growth" && s.model != null && s.naive != null).sort((a, b) => a.horizon - b.horizon)[0];
  if (!g) return `${rec.vintages_scored} releases replayed; no calendar-year growth rate could be scored yet.`;
  const better = g.model < g.naive;
  return (
    `Over ${g.n} replayed release${g.n === 1 ? "" : "s"}, forecasts of ${horizonName(g)} missed the outturn by ${fmt1(g.model)} percentage points on average, ` +
    `against ${fmt1(g.naive)} for no change and ${fmt1(g.drift)} for drift: ${better ? "better than" : "no better than"} assuming no change.`
  );
}

function summaryTable(rec) {
  const rows = [...rec.summary]
    .sort((a, b) => (a.kind === b.kind ? a.horizon - b.horizon : a.kind === "growth" ? -1 : 1))
    .map((s) => ({
      cells: [
        { text: horizonName(s), class: "text wrap" },
        String(s.n),
        fmt1(s.model),
        fmt1(s.naive),
        fmt1(s.drift),
        s.ratio_naive == null ? "–" : s.ratio_naive.toFixed(2),
        s.coverage80 == null ? "–" : `${Math.round(s.coverage80 * 100)}%`,
      ],
    }));
  return table(
    "Mean absolute error by horizon (growth: percentage points; levels: % of the outturn). Ratio below 1 beats no change.",
    [{ text: "Forecast of", class: "text" }, "Releases", "Model", "No change", "Drift", "Ratio", "80% band held"],
    rows,
  );
}

function vintageTable(rec) {
  const rows = [];
  for (const v of [...rec.vintages].reverse()) {
    for (const p of v.points.filter((x) => x.kind === "growth")) {
      rows.push({
        cells: [v.release, String(v.last_observed), String(p.period), signed1(p.mean), signed1(p.naive), signed1(p.drift), signed1(p.outturn), p.mean == null || p.outturn == null ? "–" : signed1(p.mean - p.outturn)],
      });
    }
  }
  return table(
    `Calendar-year growth (%) forecast at each release, against the outturn in the ${rec.outturn_release} release`,
    [{ text: "Release", class: "text" }, { text: "Last observed", class: "text" }, { text: "Year", class: "text" }, "Forecast", "No change", "Drift", "Outturn", "Error"],
    rows,
  );
}

function say(...nodes) {
  clear($("track-body"), ...nodes);
}

const NONE =
  "No track record for this series in the served model: past forecasts are replayed only for series with several published releases (such as UK business investment)";

// Called once the fan chart is drawn (plotly.js is loaded by then); a later series cancels an earlier one.
// `known` is the series title's has_track_record: a series without one is said so without asking the API.
export async function showTrack(seriesId, known = true) {
  const mine = ++seq;
  $("track").hidden = false;
  if (!known) {
    say(el("p", { class: "help", id: "track-none" }, `${NONE}. It is made with: invest track-record --series ${seriesId} --attach, then invest train (or invest run).`));
    return;
  }
  say(el("p", { class: "help" }, "Loading the track record…"));
  let rec;
  try {
    rec = await getJSON(`/v1/track-record?series_id=${encodeURIComponent(seriesId)}`);
  } catch (err) {
    if (mine !== seq) return;
    if (err instanceof ApiError && err.status === 404) {
      const how = err.detail && err.detail.how ? ` It is made with: ${err.detail.how}.` : "";
      say(
        el(
          "p",
          { class: "help", id: "track-none" },
          `${NONE}.${how}`,
        ),
      );
      return;
    }
    say(el("p", { class: "help" }, `The track record did not load: ${err.message} `, el("button", { type: "button", class: "retry", onclick: () => showTrack(seriesId) }, "Retry")));
    return;
  }
  if (mine !== seq) return;
  const chart = el("div", { id: "track-chart", class: "chart small" });
  say(
    el("p", { id: "track-verdict" }, verdict(rec)),
    el(
      "p",
      { class: "help" },
      `${rec.vintages_scored} publisher releases replayed with the “${rec.experiment}” experiment on the data published at each date, scored against the ${rec.outturn_release} release (computed ${String(rec.computed_at).slice(0, 10)}).`,
    ),
    el(
      "figure",
      { class: "figure", "aria-labelledby": "track-title", "aria-describedby": "track-caption" },
      chart,
      el("figcaption", { id: "track-caption", class: "chart-summary" }, "Each thin line is one release's forecast of calendar-year growth; the black line is the growth published in the newest release."),
    ),
    el("div", { class: "table-wrap" }, summaryTable(rec)),
    el("details", { class: "numbers" }, el("summary", {}, "Every replayed release"), el("div", { class: "table-wrap" }, vintageTable(rec))),
  );
  await trackChart(chart, rec);
}

export function hideTrack() {
  seq += 1;
  $("track").hidden = true;
}
