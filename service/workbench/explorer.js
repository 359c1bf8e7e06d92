// Series explorer: search by words, a fan chart with the nowcast stretch, provenance beside it, downloads.
import { describeSeries, search } from "./catalogue.js";
import { downloadChart, fanChart, interval } from "./charts.js";
import { announce, clear, clearError, download, el, getBlob, getJSON, num, option, pct, showError, table } from "./lib.js";

const $ = (id) => document.getElementById(id);
let cat = null;
let current = null; // {info, forecast, history}
const SHOWN = 80;

export function initExplorer(catalogue, onCompare) {
  cat = catalogue;
  const measures = Object.entries(cat.names.measures).sort((a, b) => a[1].name.localeCompare(b[1].name));
  $("f-measure").append(...measures.map(([id, m]) => option(id, m.name)));
  $("f-level").append(...Object.entries(cat.names.levels).map(([id, n]) => option(id, n)));
  const clusters = Object.entries(cat.names.clusters).sort((a, b) => (a[0] === "all" ? -1 : b[0] === "all" ? 1 : a[1].localeCompare(b[1])));
  $("f-cluster").append(...clusters.map(([id, n]) => option(id, n)));
  let timer = null;
  $("q").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, 150);
  });
  for (const id of ["f-measure", "f-level", "f-cluster", "f-synthetic"]) $(id).addEventListener("change", render);
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const first = $("results").querySelector("button");
    if (first) first.click();
  });
  $("results").addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const buttons = [...$("results").querySelectorAll("button")];
    const i = buttons.indexOf(document.activeElement);
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, i + (e.key === "ArrowDown" ? 1 : -1)))];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  });
  $("dl-png").addEventListener("click", () => downloadChart($("fan"), "png", current.info.series_id));
  $("dl-svg").addEventListener("click", () => downloadChart($("fan"), "svg", current.info.series_id));
  $("dl-csv").addEventListener("click", downloadCsv);
  $("to-compare").addEventListener("click", () => onCompare(current.info.series_id));
  render();
}

function render() {
  const found = search(cat, $("q").value, {
    measure: $("f-measure").value,
    level: $("f-level").value,
    cluster: $("f-cluster").value,
    synthetic: $("f-synthetic").checked,
  });
  const shown = found.slice(0, SHOWN);
  $("result-count").textContent = found.length > SHOWN ? `${found.length} series match; the first ${SHOWN} are listed.` : `${found.length} series match.`;
  clear(
    $("results"),
    shown.map((s) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", "data-series": s.series_id, "aria-current": current && current.info.series_id === s.series_id ? "true" : null, onclick: () => showSeries(s.series_id) },
          el("span", { class: "r-name" }, `${s.measure_name} — ${s.geography_name || s.geography}`, s.is_synthetic ? el("span", { class: "badge synthetic" }, " synthetic") : null),
          el("span", { class: "r-meta" }, `${s.cluster_name} · ${s.freq_name} · ${s.unit || ""} · ${s.level_name}`),
        ),
      ),
    ),
  );
}

export async function showSeries(seriesId, { push = true } = {}) {
  const info = cat.byId.get(seriesId);
  if (!info) {
    showError(new Error(`unknown series ${seriesId}`), "Series explorer");
    return;
  }
  clearError();
  announce(`Loading ${describeSeries(info)}…`);
  try {
    const id = encodeURIComponent(seriesId);
    const [forecast, history] = await Promise.all([getJSON(`/v1/forecasts/${id}`), getJSON(`/v1/series/${id}/history`)]);
    current = { info, forecast, history };
    if (push) history_push(seriesId);
    $("series-title").textContent = `${info.measure_name} — ${info.geography_name || info.geography}`;
    $("series-sub").textContent = `${info.cluster_name} · ${info.freq_name} · ${info.unit || ""} · ${seriesId}`;
    badges(forecast);
    await fanChart($("fan"), history.observations, forecast, { unit: info.unit, synthetic: forecast.provenance.is_synthetic, filename: seriesId });
    const summary = chartSummary(info, history.observations, forecast);
    $("fan").setAttribute("aria-label", summary);
    $("fan-summary").textContent = summary;
    provenance(forecast);
    numbers(history.observations, forecast);
    for (const b of ["dl-png", "dl-svg", "dl-csv", "to-compare"]) $(b).disabled = false;
    for (const b of $("results").querySelectorAll("button")) b.setAttribute("aria-current", b.dataset.series === seriesId ? "true" : "false");
    announce(`Showing ${describeSeries(info)}.`);
  } catch (err) {
    showError(err, "Series explorer");
  }
}

function history_push(seriesId) {
  const hash = `#explorer/${encodeURIComponent(seriesId)}`;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

function badges(f) {
  const p = f.provenance;
  clear(
    $("series-badges"),
    p.is_synthetic ? el("span", { class: "badge synthetic", title: "Generated demo partner data, not real records" }, "SYNTHETIC demo data") : null,
    p.stale ? el("span", { class: "badge warn", title: p.stale_reason || "over a year behind what publishers usually have out" }, p.stale_reason || "stale: over a year behind") : null,
    p.little_evidence ? el("span", { class: "badge warn" }, "interval rests on little evidence") : null,
    f.fallback ? el("span", { class: "badge bad" }, "fallback model") : null,
    p.nowcast_periods ? el("span", { class: "badge ok" }, `${p.nowcast_periods} nowcast period${p.nowcast_periods > 1 ? "s" : ""}`) : null,
  );
}

function chartSummary(info, obs, f) {
  const last = obs[obs.length - 1];
  const end = f.points[f.points.length - 1];
  if (!end) return `No forecast stored for ${info.series_id}.`;
  const [lo, hi] = interval(end, 80);
  const [lo95, hi95] = interval(end, 95);
  const lastText = last ? `last published ${last.period}: ${num(last.value)} ${info.unit || ""}; ` : "";
  return (
    `Fan chart of ${info.measure_name}, ${info.geography_name || info.geography} (${info.cluster_name}). ${lastText}` +
    `forecast for ${end.period}: ${num(end.mean)} (80% interval ${num(lo)} to ${num(hi)}, 95% interval ${num(lo95)} to ${num(hi95)}). ` +
    `${f.provenance.nowcast_periods || 0} nowcast period(s) shaded.`
  );
}

function provenance(f) {
  const p = f.provenance;
  const a = f.accuracy || {};
  const rows = [
    ["Series id", el("code", {}, f.series_id)],
    ["Data", p.is_synthetic ? el("strong", {}, "Synthetic demo data (generated partner file: not real records)") : "Published statistics"],
    ["Sources", (p.sources || []).join(", ") || "–"],
    ["Data vintage", p.data_vintage || "–"],
    ["Model", `${p.model_name} v${p.model_version ?? "local"}${p.model_alias ? ` (${p.model_alias})` : ""}, from ${p.served_from}`],
    ["Method", f.method + (f.fallback ? ` — fallback: ${f.fallback}` : "")],
    ["Last observed", p.last_observed || "–"],
    ["Forecasts made as of", p.present || "–"],
    ["Nowcast periods", p.nowcast_periods == null ? "–" : `${p.nowcast_periods} (begun by then, not yet published)`],
    ["Stale", p.stale == null ? "–" : p.stale ? (p.stale_reason || "yes: more than a year behind what publishers usually have out") : "no"],
    ["History note", p.history_note || "none"],
    [
      "Backtest accuracy",
      `MASE ${a.mase == null ? "–" : a.mase.toFixed(2)} (below 1 beats a naive forecast); 80% interval covered ${cover(a.coverage80)}, 95% covered ${cover(a.coverage95)}`,
    ],
    [
      "Interval evidence",
      p.little_evidence
        ? `little: rests mostly on other series' backtest errors (${p.calibration_errors ?? "?"} errors in its group)`
        : `${p.calibration_errors ?? "–"} backtest errors of its calibration group`,
    ],
  ];
  clear($("provenance"), rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function cover(v) {
  return v == null ? "–" : `${Math.round(v * 100)}%`;
}

function numbers(obs, f) {
  const rows = [
    ...obs.slice(-8).map((o) => ({ cells: [o.period, "published", num(o.value), "", "", o.source || ""] })),
    ...f.points.map((p) => {
      const [lo80, hi80] = interval(p, 80);
      const [lo95, hi95] = interval(p, 95);
      return { class: p.kind === "nowcast" ? "nowcast" : null, cells: [p.period, p.kind || "forecast", num(p.mean), `${num(lo80)} to ${num(hi80)}`, `${num(lo95)} to ${num(hi95)}`, ""] };
    }),
  ];
  clear(
    $("numbers-table"),
    table(`${f.series_id} (${f.unit || ""}): last published values and the forecast`, ["Period", { text: "Kind", class: "text" }, "Value / mean", "80% interval", "95% interval", { text: "Source", class: "text" }], rows),
  );
}

async function downloadCsv() {
  const s = current.info;
  const q = new URLSearchParams({ measure: s.measure, geography: s.geography, cluster: s.cluster, frequency: s.frequency, format: "csv" });
  try {
    const blob = await getBlob(`/v1/forecasts?${q}`, "text/csv");
    download(blob, `${s.series_id}.csv`);
    announce(`Downloaded ${s.series_id}.csv (forecast with provenance columns).`);
  } catch (err) {
    showError(err, "CSV download");
  }
}

export function currentSeries() {
  return current ? current.info.series_id : null;
}

export { pct };
