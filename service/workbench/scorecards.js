// Cluster scorecards: the ranking with rank intervals, each cluster's page, the PDFs, and whether each
// declared cluster is borne out by the data (validation verdicts with their evidence). Metrics from the
// synthetic "licensed data preview" are shown apart and never as scored.
import { announce, clear, clearError, el, getJSON, num, showError, table } from "./lib.js";

const VIEW = "scorecards";

const $ = (id) => document.getElementById(id);
let doc = null;
let validation = null; // /v1/clusters/validation, or null when not written

export async function initScorecards() {
  // both documents are asked for at once; a failure of either is reported once both have answered
  const verdicts = loadValidation().then(
    () => null,
    (err) => err,
  );
  try {
    doc = await getJSON("/v1/clusters");
  } catch (err) {
    await verdicts;
    if (err.network) throw err; // the API is down: the view retries until it answers
    clear($("ranking"), el("p", { class: "help" }, `No scorecards to show: ${err.message}`));
    $("pdf-all").hidden = true;
    return;
  }
  const failed = await verdicts;
  if (failed) throw failed;
  $("pdf-all").hidden = false;
  const p = doc.provenance;
  const model = p.model ? p.model.label || `${p.model.model_name} v${p.model.model_version}` : "–";
  $("sc-prov").textContent =
    `Data vintage ${p.data_vintage || "–"} · model ${model} · ${p.draws ?? "–"} Monte Carlo draws · partner data: ${p.partner_data || "–"}` +
    (p.stale ? ` · STALE: built from another model than the one served (v${p.served_model_version})` : "");
  const rows = doc.items.map((c) => ({
    cells: [
      String(c.rank),
      { node: el("button", { type: "button", class: "link", "data-cluster": c.id, onclick: () => openCluster(c.id) }, c.name), class: "text wrap" },
      c.score == null ? "–" : c.score.toFixed(1),
      { node: el("span", {}, rankBar(c.rank_interval), ` ${c.rank_interval.p05}–${c.rank_interval.p95}`), class: "text" },
      { text: c.band_label, class: "text" },
      { node: stars(c.stars), class: "text" },
    ],
  }));
  clear(
    $("ranking"),
    table(
      "Ranking (rank follows the score; the interval is the 5–95% range of ranks over the Monte Carlo draws)",
      ["Rank", { text: "Cluster", class: "text" }, "Score", { text: "Ranks 5–95%", class: "text" }, { text: "Band", class: "text" }, { text: "Stars earned", class: "text" }],
      rows,
    ),
  );
}

// ---- validation: is each declared cluster borne out by the data? ----------------------------------------
const VERDICT_CLASS = { validated: "ok", emerging: "warn", "not evidenced": "bad" };
const lq = (v) => (v == null ? "–" : v.toFixed(2));
const yes = (passed) => (passed ? "met" : "not met");

async function loadValidation() {
  try {
    validation = await getJSON("/v1/clusters/validation");
  } catch (err) {
    if (err.network) throw err;
    validation = null;
    clear($("validation"), el("h2", {}, "Are the clusters borne out by the data?"), el("p", { class: "help", id: "validation-none" }, `No validation to show: ${err.message}`));
    return;
  }
  const v = validation;
  const counts = Object.entries(v.counts || {}).map(([k, n]) => `${n} ${k}`).join(", ");
  const rows = v.clusters.map((c) => ({
    cells: [
      { node: el("button", { type: "button", class: "link", "data-cluster": c.cluster, onclick: () => openCluster(c.cluster) }, c.name), class: "text wrap" },
      { node: verdictBadge(c.verdict), class: "text" },
      `${lq(c.specialisation.midlands_lq)} (${lq(c.specialisation.lq_low)}–${lq(c.specialisation.lq_high)})`,
      num(c.critical_mass.jobs),
      c.growth.competitive_effect == null ? "–" : `${c.growth.competitive_effect > 0 ? "+" : ""}${c.growth.competitive_effect.toFixed(1)}`,
      { text: c.reason, class: "text wrap" },
    ],
  }));
  clear(
    $("validation"),
    el("h2", {}, "Are the clusters borne out by the data?"),
    el("p", { class: "sub" }, `${counts} · BRES ${v.first_year}–${v.year} · data vintage ${(v.provenance || {}).data_vintage || "–"}`),
    el("p", { class: "help" }, v.method),
    el(
      "div",
      { class: "table-wrap" },
      table(
        "Verdict per declared cluster: Midlands location quotient against Great Britain (with its 10–90% range), jobs, and the shift-share competitive effect (percentage points a year)",
        [{ text: "Cluster", class: "text" }, { text: "Verdict", class: "text" }, "LQ (range)", "Jobs", "Competitive effect", { text: "Why", class: "text" }],
        rows,
      ),
    ),
  );
}

function verdictBadge(verdict) {
  return el("span", { class: `badge ${VERDICT_CLASS[verdict] || ""}` }, verdict);
}

// One cluster's verdict with the numbers behind each criterion (shown on its scorecard).
function evidence(id) {
  const c = validation && validation.clusters.find((x) => x.cluster === id);
  if (!c) return validation ? el("p", { class: "help" }, "This cluster is not in the validation.") : null;
  const crit = validation.criteria || {};
  const sp = c.specialisation;
  const cm = c.critical_mass;
  const g = c.growth;
  const co = c.concentration;
  const areas = (co.areas || []).map((a) => [a.name || a.area, num(a.jobs), `${lq(a.lq)} (${lq(a.lq_low)}–${lq(a.lq_high)})`]);
  const rows = [
    [
      "Specialisation",
      `Midlands LQ ${lq(sp.midlands_lq)} (range ${lq(sp.lq_low)}–${lq(sp.lq_high)}; basket variants ${lq((sp.lq_basket_range || [])[0])}–${lq((sp.lq_basket_range || [])[1])})` +
        `${sp.hotspots && sp.hotspots.length ? `; hotspots ${sp.hotspots.join(", ")}` : ""}; threshold ${(crit.specialisation || {}).midlands_lq ?? "–"}`,
      yes(sp.passed),
    ],
    ["Critical mass", `${num(cm.jobs)} jobs${cm.businesses == null ? "" : `, ${num(cm.businesses)} businesses (${cm.business_year})`}; threshold ${num((crit.critical_mass || {}).jobs)} jobs`, yes(cm.passed)],
    [
      "Growth",
      `employment ${g.midlands_growth == null ? "–" : g.midlands_growth.toFixed(1)}% a year in the Midlands against ${g.gb_growth == null ? "–" : g.gb_growth.toFixed(1)}% in GB (${g.first_year}–${g.year}); competitive effect ${g.competitive_effect == null ? "–" : g.competitive_effect.toFixed(1)} pp` +
        (g.gva && g.gva.available && g.gva.growth != null ? `; GVA ${g.gva.growth.toFixed(1)}% a year (${g.gva.detail || ""})` : ""),
      yes(g.passed),
    ],
    ["Concentration", `HHI ratio ${co.hhi_ratio == null ? "–" : co.hhi_ratio.toFixed(2)}; largest share ${co.top_area || "–"} (${co.top_area_share == null ? "–" : Math.round(co.top_area_share * 100)}%)`, yes(co.passed)],
  ].map(([k, v, p]) => ({ cells: [k, { text: v, class: "text wrap" }, { text: p, class: "text" }] }));
  return el(
    "section",
    { class: "evidence", "aria-labelledby": "evidence-title" },
    el("h3", { id: "evidence-title" }, "Validation: ", verdictBadge(c.verdict)),
    el("p", { class: "help" }, c.reason),
    el("div", { class: "table-wrap" }, table("The evidence behind the verdict", ["Criterion", { text: "Evidence", class: "text" }, { text: "Test", class: "text" }], rows)),
    areas.length ? el("div", { class: "table-wrap" }, table("Jobs and location quotient by Midlands ITL2 area", [{ text: "Area", class: "text" }, "Jobs", "LQ (range)"], areas)) : null,
  );
}

const DIMENSIONS = ["size", "specialisation", "focus", "momentum"];

// The stars a cluster earned by name (the full per-dimension label is its accessible name and tooltip).
function stars(st) {
  const earned = DIMENSIONS.filter((d) => st[d] === true).map((d) => d[0].toUpperCase() + d.slice(1));
  return el("span", { title: st.label || "", "aria-label": st.label || "" }, earned.length ? `★ ${earned.join(", ")}` : "none");
}

function rankBar(ri) {
  const n = 25;
  const left = ((ri.p05 - 1) / (n - 1)) * 100;
  const width = Math.max(2, ((ri.p95 - ri.p05) / (n - 1)) * 100);
  const mid = ((ri.median - 1) / (n - 1)) * 100;
  const bar = el("span", { class: "rank-bar", role: "img", "aria-label": `ranks ${ri.p05} to ${ri.p95} of 25, median ${ri.median}` }, el("span", {}), el("i", {}));
  bar.firstChild.style.left = `${left}%`;
  bar.firstChild.style.width = `${width}%`;
  bar.lastChild.style.left = `calc(${mid}% - 1px)`;
  return bar;
}

function fmt(m) {
  if (m.value == null) return "–";
  const v = m.value;
  const unit = m.unit || "";
  const digits = (m.format || "").match(/\.(\d)f/);
  const text = digits ? v.toLocaleString("en-GB", { minimumFractionDigits: Number(digits[1]), maximumFractionDigits: Number(digits[1]) }) : num(v);
  return `${text} ${unit}`.trim();
}

export async function openCluster(id, { push = true } = {}) {
  clearError(VIEW);
  announce(`Loading the ${id} scorecard…`);
  try {
    const c = await getJSON(`/v1/clusters/${encodeURIComponent(id)}/scorecard`);
    if (push) history.replaceState(null, "", `#scorecards/${encodeURIComponent(id)}`);
    render(c);
    for (const b of document.querySelectorAll("#ranking button[data-cluster]")) b.closest("tr").classList.toggle("selected", b.dataset.cluster === id);
    announce(`${c.name}: rank ${c.rank} of 25.`);
    $("cluster-title").focus();
  } catch (err) {
    showError(err, "Scorecard", VIEW, () => openCluster(id, { push }));
  }
}

function render(c) {
  const areas = c.areas || {};
  const scored = c.metrics.filter((m) => !m.preview && !m.is_synthetic);
  const preview = c.metrics.filter((m) => m.preview || m.is_synthetic);
  const metricRows = (list) =>
    list.map((m) => ({
      cells: [
        {
          node: el(
            "span",
            {},
            m.name,
            el("span", { class: "metric-note" }, `${areas[m.area] || m.area} · ${m.source || "–"}`),
            m.scored ? null : el("span", { class: "metric-note" }, m.preview ? "not scored: synthetic demo data" : m.excluded_reason || "context: not scored"),
          ),
          class: "wrap",
        },
        fmt(m),
        { node: el("span", {}, m.benchmark == null ? "–" : fmt({ ...m, value: m.benchmark }), el("span", { class: "metric-note" }, m.benchmark_label || "")), class: "wrap" },
        String(m.period ?? "–"),
      ],
    }));
  const head = [{ text: "Metric (area · source)", class: "text" }, "Value", "Comparator", "Period"];
  const areaRows = Object.entries(c.area_scores || {}).map(([a, v]) => [areas[a] || a, v == null ? "–" : v.toFixed(1)]);
  clear(
    $("cluster"),
    el("div", { class: "title-row" }, el("h2", { id: "cluster-title", tabindex: "-1" }, c.name), el("a", { class: "button", href: `/v1/clusters/${encodeURIComponent(c.id)}.pdf`, download: `${c.id}.pdf` }, "This scorecard (PDF)")),
    el("p", { class: "sub" }, `Rank ${c.rank} of 25 (5–95%: ${c.rank_interval.p05}–${c.rank_interval.p95}) · score ${c.score == null ? "–" : c.score.toFixed(1)} · ${c.band_label}`),
    el("p", { class: "stars" }, c.stars.label || ""),
    c.description ? el("p", { class: "help" }, c.description) : null,
    (c.indistinguishable_from || []).length ? el("p", { class: "help" }, "Not clearly separable from: ", c.indistinguishable_from.map((x) => x.name).join(", ")) : null,
    table("Score by evidence area (0–100)", [{ text: "Area", class: "text" }, "Score"], areaRows),
    evidence(c.id),
    el("div", { class: "table-wrap" }, table("Metrics (public data; scored unless marked)", head, metricRows(scored), { class: "metrics-scored" })),
    preview.length
      ? el(
          "section",
          { class: "preview", "aria-labelledby": "preview-title" },
          el("h3", { id: "preview-title" }, "Licensed data preview — synthetic demo data, not scored"),
          el("p", { class: "help" }, "Generated partner files in the layout of the licensed exports: never used in any score, rank, star or band. Install licensed exports (INVEST_PARTNER_DIR) for real figures."),
          el("div", { class: "table-wrap" }, table("Preview metrics (not scored)", head, metricRows(preview), { class: "metrics-preview" })),
        )
      : null,
  );
}
