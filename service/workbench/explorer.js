// Series explorer: search by words (server-side: names, descriptions, abbreviations, places, typos), a fan
// chart with the nowcast stretch, provenance beside it, downloads that identify themselves, and below the
// chart how past forecasts of the series turned out (track.js).
// The first chart does not wait for the catalogue: a series' title comes from /v1/reference/series/{id}.
import { downloadChart, fanChart, interval, plotlyReady } from "./charts.js";
import { announce, clear, clearError, download, el, getBlob, getJSON, num, option, pct, showError, table, withRetry } from "./lib.js";
import { showTrack } from "./track.js";

const VIEW = "explorer";
const $ = (id) => document.getElementById(id);
let current = null; // {info, forecast, history}
let bound = false;
let filtersLoaded = false;
let searchSeq = 0;
const SHOWN = 80;

// Listeners once; the filter lists (from /v1/reference/names) whenever they are still missing.
export async function initExplorer(onCompare) {
  if (!bound) {
    bound = true;
    bind(onCompare);
  }
  if (!filtersLoaded) {
    const names = await getJSON("/v1/reference/names");
    const measures = Object.entries(names.measures).sort((a, b) => a[1].name.localeCompare(b[1].name));
    $("f-measure").append(...measures.map(([id, m]) => option(id, m.basis ? `${m.name} (${m.basis})` : m.name)));
    $("f-level").append(...Object.entries(names.levels).map(([id, n]) => option(id, n)));
    const clusters = Object.entries(names.clusters).sort((a, b) => (a[0] === "all" ? -1 : b[0] === "all" ? 1 : a[1].localeCompare(b[1])));
    $("f-cluster").append(...clusters.map(([id, n]) => option(id, n)));
    filtersLoaded = true;
  }
  await render();
}

function bind(onCompare) {
  let timer = null;
  $("q").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => render().catch(searchFailed), 200);
  });
  for (const id of ["f-measure", "f-level", "f-cluster", "f-synthetic"]) $(id).addEventListener("change", () => render().catch(searchFailed));
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const first = $("results").querySelector("[role=option]");
    if (first) choose(first);
  });
  $("q").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") {
      const first = $("results").querySelector("[role=option]");
      if (first) {
        e.preventDefault();
        focusOption(first);
      }
    }
  });
  // one Tab stop for the whole list: arrows, Home/End move; Enter or Space opens (roving tabindex)
  $("results").addEventListener("keydown", (e) => {
    const options = [...$("results").querySelectorAll("[role=option]")];
    const i = options.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === "ArrowDown") j = Math.min(options.length - 1, i + 1);
    else if (e.key === "ArrowUp") j = i - 1;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = options.length - 1;
    else if (e.key === "PageDown") j = Math.min(options.length - 1, i + 10);
    else if (e.key === "PageUp") j = Math.max(0, i - 10);
    else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      choose(options[i]);
      return;
    }
    if (j == null) return;
    e.preventDefault();
    if (j < 0) $("q").focus();
    else focusOption(options[j]);
  });
  $("results").addEventListener("click", (e) => {
    const o = e.target.closest("[role=option]");
    if (o) choose(o);
  });
  const meta = () => exportMeta();
  $("dl-png").addEventListener("click", () => downloadChart($("fan"), "png", meta(), current.info.series_id).catch((err) => showError(err, "PNG export", VIEW)));
  $("dl-svg").addEventListener("click", () => downloadChart($("fan"), "svg", meta(), current.info.series_id).catch((err) => showError(err, "SVG export", VIEW)));
  $("dl-csv").addEventListener("click", downloadCsv);
  $("to-compare").addEventListener("click", () => onCompare(current.info.series_id));
}

function focusOption(o) {
  for (const x of $("results").querySelectorAll("[role=option]")) x.tabIndex = x === o ? 0 : -1;
  o.focus();
}

function choose(o) {
  focusOption(o);
  showSeries(o.dataset.series);
}

function searchFailed(err) {
  showError(err, "Search", VIEW, () => render().catch(searchFailed));
}

async function render() {
  const seq = ++searchSeq;
  const q = new URLSearchParams({ q: $("q").value.slice(0, 200), limit: String(SHOWN) });
  for (const [k, id] of [["measure", "f-measure"], ["level", "f-level"], ["cluster", "f-cluster"]]) if ($(id).value) q.set(k, $(id).value);
  if ($("f-synthetic").checked) q.set("synthetic", "true");
  const found = await getJSON(`/v1/reference/search?${q}`);
  if (seq !== searchSeq) return; // a later search has answered already
  $("result-count").textContent = found.total > SHOWN ? `${found.total} series match; the first ${SHOWN} are listed.` : `${found.total} series match.`;
  const hint = $("result-hint");
  const places = found.places.map((p) => `${p.name} (${p.codes.join(", ")})`);
  const text = [found.hint, places.length ? `Places: ${places.join("; ")}, and the areas above them.` : null].filter(Boolean).join(" ");
  hint.hidden = !text;
  hint.textContent = text;
  const selected = current ? current.info.series_id : null;
  const items = found.items.map((s, i) =>
    el(
      "li",
      { role: "option", tabindex: "-1", id: `opt-${i}`, "data-series": s.series_id, "aria-selected": s.series_id === selected ? "true" : "false" },
      el("span", { class: "r-name" }, s.title, s.is_synthetic ? el("span", { class: "badge synthetic" }, " synthetic") : null),
      el("span", { class: "r-meta" }, [s.cluster_name, s.unit, s.level_name, s.series_id].filter(Boolean).join(" · ")),
    ),
  );
  clear($("results"), items);
  const first = items.find((o) => o.getAttribute("aria-selected") === "true") || items[0];
  if (first) first.tabIndex = 0;
  clearError(VIEW);
}

function markSelected(seriesId) {
  for (const o of $("results").querySelectorAll("[role=option]")) o.setAttribute("aria-selected", o.dataset.series === seriesId ? "true" : "false");
}

export async function showSeries(seriesId, { push = true } = {}) {
  clearError(VIEW);
  markSelected(seriesId); // the chosen result reads as selected at once, not only once its chart is drawn
  const id = encodeURIComponent(seriesId);
  const load = async () => {
    const [info, forecast, history] = await Promise.all([getJSON(`/v1/reference/series/${id}`), getJSON(`/v1/forecasts/${id}`), getJSON(`/v1/series/${id}/history`)]);
    return { info, forecast, history };
  };
  try {
    announce(`Loading ${seriesId}…`);
    const wait = (err, ms) => {
      showError(err, "Series explorer", VIEW, () => showSeries(seriesId, { push }));
      announce(`Retrying in ${Math.round(ms / 1000)} s…`);
    };
    const pending = withRetry(load, { onWait: wait });
    plotlyReady().catch(() => {}); // the chart library starts once the requests are out (errors: at draw)
    const got = await pending;
    clearError(VIEW);
    const { info, forecast, history } = got;
    current = got;
    if (push) historyPush(seriesId);
    $("series-title").textContent = info.title;
    $("series-sub").textContent = [info.unit, info.basis, info.frequency_name, info.cluster_name, info.level_name, seriesId].filter(Boolean).join(" · ");
    $("series-desc").textContent = info.measure_description ? `Measure: ${info.measure_description}` : "";
    badges(forecast);
    $("fan-summary").textContent = chartSummary(info, history.observations, forecast);
    provenance(forecast, history);
    numbers(history.observations, forecast, info);
    $("dl-csv").disabled = false;
    $("to-compare").disabled = false;
    await fanChart($("fan"), history.observations, forecast, { unit: info.unit, frequency: info.frequency, synthetic: forecast.provenance.is_synthetic });
    for (const b of ["dl-png", "dl-svg"]) $(b).disabled = false; // image exports need the drawn chart
    markSelected(seriesId);
    announce(`Showing ${info.title}.`);
    showTrack(seriesId, info.has_track_record).catch((err) => showError(err, "Track record", VIEW)); // after the fan chart, never before
  } catch (err) {
    showError(err, "Series explorer", VIEW, () => showSeries(seriesId, { push }));
  }
}

function historyPush(seriesId) {
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
  const unit = info.unit || "";
  const lastText = last ? `last observed ${last.period}: ${num(last.value)} ${unit}; ` : "";
  return (
    `Fan chart of ${info.title}. ${lastText}` +
    `forecast for ${end.period}: ${num(end.mean)} ${unit} (80% interval ${num(lo)} to ${num(hi)}, 95% interval ${num(lo95)} to ${num(hi95)}). ` +
    `${f.provenance.nowcast_periods || 0} nowcast period(s) shaded.`
  );
}

function provenance(f, history) {
  const p = f.provenance;
  const a = f.accuracy || {};
  const obs = history.observations;
  const vintages = [...new Set(obs.map((o) => o.vintage).filter(Boolean))];
  const rows = [
    ["Series id", el("code", {}, f.series_id)],
    ["Data", p.is_synthetic ? el("strong", {}, "Synthetic demo data (generated partner file: not real records)") : "Published statistics"],
    ["Sources", (p.sources || []).join(", ") || "–"],
    ["Data vintage (warehouse)", p.data_vintage || "–"],
    ["Observations as published", vintages.length ? vintages.join(", ") : "–"],
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

function numbers(obs, f, info) {
  const rows = [
    ...obs.slice(-8).map((o) => ({ cells: [String(o.period), "observed", num(o.value), "", "", o.source || "", o.vintage || ""] })),
    ...f.points.map((p) => {
      const [lo80, hi80] = interval(p, 80);
      const [lo95, hi95] = interval(p, 95);
      return { class: p.kind === "nowcast" ? "nowcast" : null, cells: [String(p.period), p.kind || "forecast", num(p.mean), `${num(lo80)} to ${num(hi80)}`, `${num(lo95)} to ${num(hi95)}`, "", ""] };
    }),
  ];
  clear(
    $("numbers-table"),
    table(
      `${info.title}, ${f.unit || info.unit || ""}: last observed values and the forecast`,
      ["Period", { text: "Kind", class: "text" }, "Value / mean", "80% interval", "95% interval", { text: "Source", class: "text" }, { text: "Published (vintage)", class: "text" }],
      rows,
    ),
  );
}

// What an exported image says about itself (title band): title, series id, units, source, vintage, model.
export function exportMeta() {
  const { info, forecast } = current;
  const p = forecast.provenance;
  return {
    title: info.title,
    seriesId: info.series_id,
    units: [info.unit, info.basis].filter(Boolean).join(", ") || "no unit",
    source: (p.sources || []).join(", ") || info.source || "–",
    vintage: p.data_vintage || "–",
    model: `${p.model_name} v${p.model_version ?? "local"}${p.model_alias ? ` (${p.model_alias})` : ""}`,
  };
}

async function downloadCsv() {
  const s = current.info;
  const q = new URLSearchParams({ measure: s.measure, geography: s.geography, cluster: s.cluster, frequency: s.frequency, format: "csv" });
  try {
    const blob = await getBlob(`/v1/forecasts?${q}`, "text/csv");
    download(blob, `${s.series_id}.csv`);
    announce(`Downloaded ${s.series_id}.csv (forecast with provenance columns).`);
  } catch (err) {
    showError(err, "CSV download", VIEW, downloadCsv);
  }
}

export function currentSeries() {
  return current ? current.info.series_id : null;
}

export { pct };
