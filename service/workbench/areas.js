// Area profiles: find a local authority, combined authority, county or ITL area by name or code and read
// its profile (key insights, figures with source and year, clusters present, forecasts, similar areas), as
// written by `invest profiles` and served by /v1/areas. Figures published only for a larger area say so.
import { ApiError, clear, el, getJSON, num, table } from "./lib.js";

const $ = (id) => document.getElementById(id);
let index = null;

function shown(f) {
  const u = (f.unit || "").toLowerCase();
  if (u === "gbp million") return `£${Math.round(f.value).toLocaleString("en-GB")}m`;
  if (u === "gbp") return `£${Math.round(f.value).toLocaleString("en-GB")}`;
  if (u === "percent") return `${f.value.toFixed(1)}%`;
  return num(f.value);
}

function where(f, code) {
  return f.geography === code ? f.basis : `${f.geography_name} (${f.geography_level}): ${f.basis}`;
}

function figureTable(caption, section, code) {
  if (!section || section.status !== "ok") return el("p", { class: "help" }, `${caption}: not published at this level.`);
  const rows = section.figures.map((f) => [
    { text: f.kind === "derived" ? `${f.label} (derived)` : f.label, class: "text wrap" },
    shown(f),
    { text: String(f.year), class: "text" },
    { text: where(f, code), class: "text wrap" },
    { text: f.release ? `${f.source} (${f.release})` : f.source, class: "text wrap" },
  ]);
  const head = [{ text: "Figure", class: "text" }, "Value", { text: "Year", class: "text" }, { text: "Where published", class: "text" }, { text: "Source (release)", class: "text" }];
  const out = [table(caption, head, rows)];
  if (section.note) out.push(el("p", { class: "help" }, section.note));
  return el("div", { class: "table-wrap" }, out);
}

function clusters(section) {
  if (!section || section.status !== "ok") return el("p", { class: "help" }, "Clusters: not published at this level.");
  const rows = section.rows.slice(0, 10).map((r) => [
    { text: r.name, class: "text" },
    num(r.jobs),
    r.lq == null ? "–" : r.lq.toFixed(2),
    { text: r.present ? "present" : "", class: "text" },
  ]);
  return el(
    "div",
    { class: "table-wrap" },
    table(`Clusters: BRES employment ${section.year}; ${section.basis}. ${section.rule}.`, [{ text: "Cluster", class: "text" }, "Jobs", "LQ vs GB", { text: "", class: "text" }], rows),
  );
}

function forecasts(section) {
  if (!section || section.status !== "ok") return el("p", { class: "help" }, section && section.note ? section.note : "Forecasts: not published at this level.");
  return section.series.map((s) =>
    el(
      "div",
      { class: "table-wrap" },
      table(
        `${s.label} (${s.unit}) · ${s.series_id} · last observed ${s.last_observed}${s.stale ? " · stale source" : ""}`,
        [{ text: "Period", class: "text" }, { text: "Kind", class: "text" }, "Median", "80% interval"],
        s.steps.map((st) => [{ text: st.period, class: "text" }, { text: st.kind, class: "text" }, num(st.median), `${num(st.lo80)} – ${num(st.hi80)}`]),
      ),
    ),
  );
}

function peers(section) {
  if (!section || section.status !== "ok") return el("p", { class: "help" }, `Similar areas: ${(section && section.reason) || "not published at this level"}.`);
  return el(
    "div",
    {},
    el("p", { class: "help" }, `${section.method} over ${section.candidates} areas of the same kind; features: ${section.features.join("; ")}.`),
    el("ul", {}, section.rows.map((p) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => openArea(p.code) }, `${p.name} (${p.code})`)))),
  );
}

export async function openArea(code, { push = true } = {}) {
  const box = $("area-profile");
  clear(box, el("p", { class: "help" }, "Loading the profile…"));
  let doc;
  try {
    doc = await getJSON(`/v1/areas/${encodeURIComponent(code)}/profile`);
  } catch (err) {
    const text = err instanceof ApiError ? err.message : String(err.message || err);
    clear(box, el("p", { class: "help", role: "status" }, `No profile for “${code}”: ${text}`));
    return;
  }
  const a = doc.area;
  const s = doc.sections;
  const parents = a.parents.map((p) => `${p.name} (${p.code})`).join(", ");
  const prov = doc.provenance;
  const model = prov.model ? `${prov.model.name} v${prov.model.version}` : "none";
  clear(
    box,
    el("h2", {}, `${a.name} · ${a.level_label}`),
    el("p", { class: "sub" }, `${a.code}${parents ? ` · in ${parents}` : ""} · data vintage ${prov.data_vintage} · forecasts ${model}`),
    el("a", { class: "button", href: `/v1/areas/${encodeURIComponent(a.code)}/profile.pdf`, download: `${a.code}-profile.pdf` }, "Profile (PDF)"),
    el("h3", {}, "Key insights"),
    doc.insights.length ? el("ul", {}, doc.insights.map((i) => el("li", {}, i.text))) : el("p", { class: "help" }, "Too few figures are published for this area to state an insight."),
    figureTable("Economy", s.economy, a.code),
    clusters(s.clusters),
    figureTable("Business population", s.business, a.code),
    figureTable("Investment", s.investment, a.code),
    figureTable("Exports", s.exports, a.code),
    el("h3", {}, "Forecasts and nowcasts"),
    forecasts(s.forecasts),
    el("h3", {}, "Similar areas"),
    peers(s.peers),
  );
  if (push) history.replaceState(null, "", `#areas/${encodeURIComponent(a.code)}`);
}

function renderList(items) {
  const list = $("area-list");
  if (!items.length) {
    clear(list, el("p", { class: "help" }, "No area matches: try a council or place name (Derby, Lincolnshire) or a code (E08000025)."));
    return;
  }
  clear(
    list,
    el(
      "ul",
      { class: "area-results" },
      items.slice(0, 30).map((a) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => openArea(a.code) }, `${a.name} (${a.level_label}, ${a.code})`))),
    ),
  );
}

// Loading errors propagate: the workbench shows them in this view's alert box, retries with back-off and
// offers Retry (a 503 "no area profiles written yet" names the command that writes them).
export async function initAreas() {
  index = await getJSON("/v1/areas");
  $("area-search").addEventListener("input", (e) => {
    const words = e.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    renderList(index.items.filter((a) => words.every((w) => `${a.name} ${a.code}`.toLowerCase().includes(w))));
  });
  $("area-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("area-search").value.trim();
    if (q) openArea(q);
  });
  renderList(index.items);
}
