// Compare: the champion's forecast for a series beside another registered version's (the challenger by
// default), so an economist sees what a promotion would change.
import { describeSeries } from "./catalogue.js";
import { compareChart, interval } from "./charts.js";
import { announce, ApiError, clear, clearError, el, getJSON, num, option, pct, showError, signed, table } from "./lib.js";

const $ = (id) => document.getElementById(id);
let cat = null;
let versions = [];
let bound = false;
const VIEW = "compare";

export async function initCompare(catalogue) {
  cat = catalogue;
  const list = cat.items.filter((s) => !s.is_synthetic);
  clear($("cmp-series-list"), list.map((s) => el("option", { value: describeSeries(s) })));
  if (!bound) bindForm(list);
  await loadVersions();
}

function bindForm(list) {
  bound = true;
  $("compare-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const s = list.find((x) => describeSeries(x) === $("cmp-series").value) || cat.byId.get($("cmp-series").value);
    if (!s) {
      showError(new Error("Series: pick one from the list (type part of its name, then choose)"), "Compare", VIEW);
      return;
    }
    compare(s.series_id);
  });
}

async function loadVersions() {
  try {
    const v = await getJSON("/v1/models/versions");
    versions = v.versions;
    const rows = versions.map((x) => [`v${x.version}`, { text: x.aliases.join(", ") || "–", class: "text" }, { text: x.data_vintage || "–", class: "text" }, { text: x.experiment || "–", class: "text" }, { text: x.served ? "served" : "no", class: "text" }]);
    clear($("cmp-versions"), table("Versions in the registry", ["Version", { text: "Aliases", class: "text" }, { text: "Data vintage", class: "text" }, { text: "Experiment", class: "text" }, { text: "Served now", class: "text" }], rows));
    const others = versions.filter((x) => !x.served);
    clear(
      $("cmp-version"),
      option("challenger", others.some((x) => x.aliases.includes("challenger")) ? "the challenger" : "the challenger (none registered yet)"),
      others.map((x) => option(`v${x.version}`, `version ${x.version}${x.aliases.length ? ` (${x.aliases.join(", ")})` : ""}`)),
    );
  } catch (err) {
    if (err.network) throw err; // the API is down: the view retries until it answers
    clear($("cmp-versions"), el("p", { class: "help" }, `Versions cannot be listed: ${err.message}`));
  }
}

export async function compare(seriesId, { push = true } = {}) {
  clearError(VIEW);
  const info = cat.byId.get(seriesId);
  if (info) $("cmp-series").value = describeSeries(info);
  const choice = $("cmp-version").value || "challenger";
  const q = choice.startsWith("v") ? `version=${choice.slice(1)}` : `with=${encodeURIComponent(choice)}`;
  const box = $("cmp-result");
  if (choice === "challenger" && versions.length && !versions.some((x) => x.aliases.includes("challenger"))) {
    // known from the version list: say so without asking for a comparison that cannot exist
    const known = versions.map((x) => `v${x.version}${x.aliases.length ? ` (${x.aliases.join(", ")})` : ""}`).join(", ");
    const text = `No version is aliased challenger yet; registered: ${known}. \`invest train\` registers a new challenger.`;
    clear(box, el("h2", { id: "cmp-title" }, "Nothing to compare with"), el("p", {}, text));
    announce(text);
    return;
  }
  announce(`Comparing ${seriesId}…`);
  try {
    const id = encodeURIComponent(seriesId);
    const [r, hist] = await Promise.all([getJSON(`/v1/forecasts/${id}/compare?${q}`), getJSON(`/v1/series/${id}/history`)]);
    if (push) history.replaceState(null, "", `#compare/${id}`);
    render(box, info, r, hist.observations);
    announce(`Compared v${r.served.provenance.model_version} with v${r.other.provenance.model_version}.`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      clear(box, el("h2", { id: "cmp-title" }, "Nothing to compare with"), el("p", {}, err.message));
      announce(err.message);
    } else showError(err, "Compare", VIEW, () => compare(seriesId, { push }));
  }
}

function render(box, info, r, history) {
  const s = r.served;
  const o = r.other;
  const labels = [`v${s.provenance.model_version} (${s.provenance.model_alias || "served"})`, `v${o.provenance.model_version} (${o.provenance.model_alias || "other"})`];
  const acc = (f, k) => (f.accuracy[k] == null ? "–" : k.startsWith("coverage") ? `${Math.round(f.accuracy[k] * 100)}%` : f.accuracy[k].toFixed(3));
  const accRows = [
    ["Method", s.method, o.method],
    ["Data vintage", s.provenance.data_vintage || "–", o.provenance.data_vintage || "–"],
    ["Backtest MASE (lower is better)", acc(s, "mase"), acc(o, "mase")],
    ["80% interval coverage (nominal 80%)", acc(s, "coverage80"), acc(o, "coverage80")],
    ["95% interval coverage (nominal 95%)", acc(s, "coverage95"), acc(o, "coverage95")],
    ["Interval evidence", evidence(s), evidence(o)],
  ].map((row) => row.map((c, i) => (i ? { text: c, class: "text wrap" } : c)));
  const stepRows = r.steps.map((p) => ({
    class: p.kind === "nowcast" ? "nowcast" : null,
    cells: [String(p.period), { text: p.kind || "", class: "text" }, num(p.served_mean), num(p.other_mean), signed(p.diff), pct(p.diff_pct), num(p.served_width80), num(p.other_width80)],
  }));
  const last = r.steps[r.steps.length - 1];
  const alt = last
    ? `${labels[0]} against ${labels[1]} for ${info ? describeSeries(info) : r.series_id}: in ${last.period} ${num(last.served_mean)} against ${num(last.other_mean)} (${pct(last.diff_pct)}).`
    : "No common periods.";
  clear(
    box,
    el("h2", { id: "cmp-title" }, info ? describeSeries(info) : r.series_id),
    el("p", { class: "sub" }, `${labels[0]} is served now; ${labels[1]} is what a promotion would serve.`),
    el("figure", { class: "figure", "aria-label": alt }, el("div", { id: "cmp-chart", class: "chart" })),
    el("p", { class: "chart-summary" }, alt),
    el("div", { class: "table-wrap" }, table("Backtest accuracy and method", [{ text: "Measure", class: "text" }, { text: labels[0], class: "text" }, { text: labels[1], class: "text" }], accRows)),
    el("div", { class: "table-wrap" }, table("Period by period (difference = other minus served)", ["Period", { text: "Kind", class: "text" }, labels[0], labels[1], "Difference", "Diff %", `80% width ${labels[0]}`, `80% width ${labels[1]}`], stepRows, { class: "cmp-steps" })),
  );
  return compareChart($("cmp-chart"), history, { ...s, unit: info ? info.unit : s.unit }, o, labels);
}

function evidence(f) {
  const p = f.provenance;
  return p.little_evidence ? `little (${p.calibration_errors ?? "?"} errors)` : `${p.calibration_errors ?? "–"} backtest errors`;
}

export { interval };
