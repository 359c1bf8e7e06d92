// Scenario builder: start from a shipped scenario or a blank one, set driver paths and shocks per period
// (units shown), run it through the API, read baseline vs scenario with the difference and its interval,
// save the definition as a TOML or JSON file the CLI runs (`invest scenario run FILE`), and load one back.
import { diffChart, levelsChart } from "./charts.js";
import { announce, ApiError, busy, clear, clearError, download, el, getJSON, num, option, pct, postJSON, range, showError, signed, table } from "./lib.js";

// the TOML reader/writer only when a file is saved or loaded (not on the page's first load)
const toml = () => import("./vendor/smol-toml/index.js");

const $ = (id) => document.getElementById(id);
let cat = null;
let drivers = [];
let shipped = new Map(); // name -> definition as served
let counter = 0;
let lastResult = null;
const HEADLINE_AREAS = ["MID", "TLF", "TLG", "UK"];
const KINDS = {
  deviation: { label: "% deviation from its baseline", unit: () => "%" },
  growth: { label: "% growth on the previous period", unit: () => "% growth" },
  extra_growth: { label: "points added to its baseline growth", unit: () => "points" },
  level: { label: "level (the value itself)", unit: (d) => d.unit || "level" },
};

// "2025..2031" (annual), "2023Q4..2028Q4", "2025-07..2026-12" -> every period label between.
export function periodsOf(spec, frequency) {
  const [a, b] = spec.split("..");
  const out = [];
  if (frequency === "Q") {
    let [y, q] = a.split("Q").map(Number);
    const [yb, qb] = b.split("Q").map(Number);
    while (y < yb || (y === yb && q <= qb)) {
      out.push(`${y}Q${q}`);
      q += 1;
      if (q > 4) { q = 1; y += 1; }
    }
  } else if (frequency === "M") {
    let [y, m] = a.split("-").map(Number);
    const [yb, mb] = b.split("-").map(Number);
    while (y < yb || (y === yb && m <= mb)) {
      out.push(`${y}-${String(m).padStart(2, "0")}`);
      m += 1;
      if (m > 12) { m = 1; y += 1; }
    }
  } else {
    for (let y = Number(a); y <= Number(b); y += 1) out.push(String(y));
  }
  return out;
}

function driverOf(ref) {
  return drivers.find((d) => d.alias === ref || d.driver_id === ref);
}

function driverLabel(d) {
  const s = cat.byId.get(d.driver_id);
  const what = s ? `${s.measure_name}, ${s.geography_name || s.geography}` : d.driver_id;
  return `${d.alias || d.driver_id} — ${what} (${d.unit || "no unit"}, ${{ A: "annual", Q: "quarterly", M: "monthly" }[d.frequency] || d.frequency})`;
}

const VIEW = "scenarios";
const PERIOD = /^\d{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$/;
let bound = false;
let loaded = false;

// Listeners are bound at start-up, before any data: "Run scenario" always answers (never a native submit the
// page's policy would block), and says so when the builder's data have not loaded yet.
export function bindScenarios() {
  if (bound) return;
  bound = true;
  $("scenario-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!loaded) {
      showError(new Error("the builder has not loaded its drivers and series yet (the API did not answer); it retries on its own, or press Retry"), "Run scenario", VIEW);
      return;
    }
    run();
  });
}

// The data (shipped scenarios, drivers, the catalogue): run again after a failure, so nothing is doubled.
export async function initScenarios(catalogue) {
  bindScenarios();
  cat = catalogue;
  const [list, drv] = await Promise.all([getJSON("/v1/scenarios"), getJSON("/v1/scenarios/drivers")]);
  drivers = drv.drivers;
  shipped = new Map();
  for (const s of list.scenarios) if (s.definition) shipped.set(s.name, s.definition);
  clear($("sc-start"), option("", "A blank scenario"), [...shipped.keys()].map((n) => option(n, `${n} — ${shipped.get(n).description || "shipped scenario"}`)));
  if (loaded) return;
  loaded = true;
  $("sc-start").addEventListener("change", () => {
    const name = $("sc-start").value;
    fill(name ? shipped.get(name) : { name: "my-scenario", description: "", changes: [] });
    announce(name ? `Loaded the shipped scenario ${name}.` : "Started a blank scenario.");
  });
  $("add-driver").addEventListener("click", () => focusNew(addDriver({ type: "driver", driver: drivers[0]?.alias || drivers[0]?.driver_id, kind: "deviation", values: [0] })));
  $("add-shock").addEventListener("click", () => focusNew(addShock({ type: "shock", measure: "fdi_inward_position", geography: "TLG", kind: "level", value: 0 })));
  $("sc-save-toml").addEventListener("click", () => save("toml"));
  $("sc-save-json").addEventListener("click", () => save("json"));
  $("sc-load").addEventListener("change", load);
  initShow();
  fill({ name: "my-scenario", description: "", changes: [] });
}

function focusNew(fieldset) {
  fieldset.querySelector("select, input").focus();
}

// ---- the form <-> a scenario definition ---------------------------------------------------------------
function fill(def) {
  $("sc-name").value = def.name || "";
  $("sc-desc").value = def.description || "";
  counterfactualBox().checked = Boolean(def.counterfactual);
  clear($("changes"));
  for (const c of def.changes || []) {
    if (c.type === "driver") addDriver(c);
    else addShock(c);
  }
  renumber();
}

// A period as the first-period list shows it: over (counterfactual only), nowcast (begun) or forecast.
function periodTag(d, p) {
  const k = (d.period_kinds || {})[p];
  if (k === "past") return `${p} — over: counterfactual only`;
  if (k === "nowcast") return `${p} — nowcast (begun, not published)`;
  return p;
}

// "Counterfactual": changes in periods already over are allowed and the result is labelled so.
function counterfactualBox() {
  let box = document.getElementById("sc-counterfactual");
  if (!box) {
    box = el("input", { type: "checkbox", id: "sc-counterfactual" });
    $("sc-desc").parentElement.after(el("div", { class: "row" }, el("label", { class: "check" }, box, "Counterfactual: what would have happened (allows changes in periods already over)")));
  }
  return box;
}

function renumber() {
  [...$("changes").children].forEach((fs, i) => {
    fs.querySelector("legend").textContent = `Change ${i + 1}: ${fs.dataset.type === "driver" ? "driver path" : "shock"}`;
  });
}

function field(labelText, control, help) {
  const id = control.id || `f${++counter}`;
  control.id = id;
  const helpId = help ? `${id}-help` : null;
  if (helpId) control.setAttribute("aria-describedby", helpId);
  return el("div", {}, el("label", { for: id }, labelText), control, help ? el("p", { id: helpId, class: "help" }, help) : null);
}

function removeButton(fs) {
  return el("button", {
    type: "button",
    class: "remove",
    onclick: () => {
      const next = fs.nextElementSibling || fs.previousElementSibling;
      fs.remove();
      renumber();
      (next ? next.querySelector("select, input") : $("add-driver")).focus();
      announce("Change removed.");
    },
  }, "Remove");
}

function addDriver(c) {
  const fs = el("fieldset", { "data-type": "driver" }, el("legend", {}, "driver path"));
  const driverSel = el("select", {}, drivers.map((d) => option(d.alias || d.driver_id, driverLabel(d))));
  const known = driverOf(c.driver);
  if (known) driverSel.value = known.alias || known.driver_id;
  else driverSel.append(option(c.driver, `${c.driver} (not in this model)`, true));
  const kindSel = el("select", {}, Object.entries(KINDS).map(([k, v]) => option(k, v.label, k === c.kind)));
  const afterSel = el("select", {}, option("hold", "hold its last deviation", c.after !== "revert"), option("revert", "go back to baseline", c.after === "revert"));
  const startSel = el("select", {});
  const count = el("input", { type: "number", min: "1", max: "400", step: "1", value: String((c.values || [0]).length) });
  const note = el("input", { type: "text", value: c.note || "", maxlength: "300" });
  const path = el("div", { class: "path", role: "group" });
  const unitNote = el("p", { class: "unit-note" });
  const acts = el("details", {}, el("summary", {}, "Baseline and where it acts"), el("ul", {}));
  fs.append(
    el("div", { class: "change-head" }, el("span", {}), removeButton(fs)),
    field("Driver", driverSel),
    el("div", { class: "pair" }, field("Path as", kindSel), field("After the path", afterSel)),
    el("div", { class: "pair" }, field("First period", startSel), field("Periods", count)),
    unitNote,
    path,
    field("Note (optional)", note),
    acts,
  );
  const values = [...(c.values || [0])];
  const periodsGiven = c.periods ? [...c.periods] : null;

  function driver() {
    return driverOf(driverSel.value) || { alias: driverSel.value, driver_id: driverSel.value, unit: "", periods: "", frequency: "A", baseline: {}, acts_on: [] };
  }
  function refreshStart(keep) {
    const d = driver();
    const ps = d.periods ? periodsOf(d.periods, d.frequency) : [];
    clear(startSel, ps.map((p) => option(p, periodTag(d, p))));
    const want = keep || (periodsGiven ? periodsGiven[0] : c.start) || d.first_future || ps[0];
    if (want && !ps.includes(want)) startSel.append(option(want, `${want} (outside the driver's periods)`));
    if (want) startSel.value = want;
    const base = Object.entries(d.baseline || {}).map(([p, v]) => `${p}: ${num(v)}`).join(", ");
    clear(acts.querySelector("ul"), el("li", {}, `Baseline (${d.unit || ""}): ${base || "–"}`), (d.acts_on || []).map((a) => el("li", {}, a)));
  }
  function labels() {
    if (periodsGiven && periodsGiven.length === values.length) return periodsGiven;
    const d = driver();
    const ps = d.periods ? periodsOf(d.periods, d.frequency) : [];
    const i = Math.max(0, ps.indexOf(startSel.value));
    return Array.from({ length: values.length }, (_, k) => ps[i + k] || `${startSel.value} +${k}`);
  }
  function refreshPath() {
    const d = driver();
    const unit = KINDS[kindSel.value].unit(d);
    unitNote.textContent = `Values in ${unit}${kindSel.value === "level" ? "" : ` (baseline unit: ${d.unit || "–"})`}; one per period.`;
    const names = labels();
    clear(
      path,
      values.map((v, k) => {
        const id = `f${++counter}`;
        const input = el("input", { id, type: "number", step: "any", required: true, value: String(v), "data-k": String(k) });
        input.addEventListener("input", () => {
          values[k] = input.value === "" ? NaN : Number(input.value);
        });
        return el("div", {}, el("label", { for: id }, `${names[k]} (${unit})`), input);
      }),
    );
    path.setAttribute("aria-label", `Path of ${d.alias || d.driver_id}, ${unit}`);
  }
  driverSel.addEventListener("change", () => {
    refreshStart();
    refreshPath();
  });
  kindSel.addEventListener("change", refreshPath);
  startSel.addEventListener("change", refreshPath);
  count.addEventListener("change", () => {
    const n = Math.max(1, Math.min(400, Number(count.value) || 1));
    if (n === values.length) return; // unchanged: keep the inputs (and whatever is being typed in them)
    while (values.length < n) values.push(values.length ? values[values.length - 1] : 0);
    values.length = n;
    refreshPath();
  });
  fs.toChange = () => {
    const out = { type: "driver", driver: driverSel.value, kind: kindSel.value, values: values.map(Number) };
    const d = driver();
    const first = d.first_future || (d.periods ? periodsOf(d.periods, d.frequency)[0] : null);
    if (periodsGiven && periodsGiven.length === values.length) out.periods = periodsGiven;
    else if (c.start || startSel.value !== first) out.start = startSel.value; // else the file's default
    out.after = afterSel.value;
    if (note.value.trim()) out.note = note.value.trim();
    return out;
  };
  refreshStart();
  refreshPath();
  $("changes").append(fs);
  renumber();
  return fs;
}

function seriesFor(measure) {
  return cat.items.filter((s) => s.measure === measure);
}

function addShock(c) {
  const fs = el("fieldset", { "data-type": "shock" }, el("legend", {}, "shock"));
  const measures = [...new Set(cat.items.map((s) => s.measure))].sort((a, b) => cat.names.measures[a].name.localeCompare(cat.names.measures[b].name));
  const measureSel = el("select", {}, measures.map((m) => option(m, cat.names.measures[m].name, m === c.measure)));
  const geoSel = el("select", {});
  const clusterSel = el("select", {});
  const kindSel = el("select", {}, option("level", "level: added every period from start to end", c.kind === "level"), option("one_off", "one-off: in the start period only", c.kind === "one_off"), option("growth", "growth: extra points per period, compounding", c.kind === "growth"));
  const value = el("input", { type: "number", step: "any", required: true, value: String(c.value ?? 0) });
  const unitSel = el("select", {});
  const start = el("input", { type: "text", value: c.start || "", pattern: "\\d{4}(Q[1-4]|-\\d{2})?", placeholder: "first forecast period" });
  const end = el("input", { type: "text", value: c.end || "", pattern: "\\d{4}(Q[1-4]|-\\d{2})?", placeholder: "last forecast period" });
  const includeAll = el("input", { type: "checkbox" });
  includeAll.checked = c.include_all_cluster !== false;
  const required = el("input", { type: "checkbox" });
  required.checked = c.required !== false;
  const note = el("input", { type: "text", value: c.note || "", maxlength: "300" });
  fs.append(
    el("div", { class: "change-head" }, el("span", {}), removeButton(fs)),
    field("Measure", measureSel),
    el("div", { class: "pair" }, field("Area", geoSel), field("Cluster", clusterSel)),
    el("div", { class: "pair" }, field("Shock", kindSel), field("Value is", unitSel)),
    field("Value", value),
    el("div", { class: "pair" }, field("Start", start, "e.g. 2026; empty: first forecast period"), field("End", end, "empty: last forecast period")),
    el("label", { class: "check" }, includeAll, "Also count a cluster shock in the area's all-industries series"),
    el("label", { class: "check" }, required, "Required (unchecked: skipped with a note when the model lacks the series)"),
    field("Note (optional)", note),
  );
  function refreshGeo(keep) {
    const rows = seriesFor(measureSel.value);
    const geos = new Map(rows.map((s) => [s.geography, s.geography_name || s.geography]));
    const sorted = [...geos.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    clear(geoSel, sorted.map(([g, n]) => option(g, `${n} (${g})`)));
    const want = keep ?? c.geography;
    if (want && geos.has(want)) geoSel.value = want;
    refreshCluster();
  }
  function refreshCluster(keep) {
    const rows = seriesFor(measureSel.value).filter((s) => s.geography === geoSel.value);
    const clusters = [...new Set(rows.map((s) => s.cluster))];
    clear(clusterSel, clusters.map((k) => option(k, cat.names.clusters[k] || k)));
    const want = keep ?? c.cluster ?? "all";
    if (clusters.includes(want)) clusterSel.value = want;
    refreshUnit();
  }
  function refreshUnit() {
    const s = seriesFor(measureSel.value).find((r) => r.geography === geoSel.value && r.cluster === clusterSel.value);
    const unit = s ? s.unit : "the series' unit";
    const pick = unitSel.value || c.unit || "absolute";
    clear(unitSel, option("absolute", `an amount in ${unit}`, pick === "absolute"), option("percent", "% of the baseline", pick === "percent"));
    if (kindSel.value === "growth") unitSel.disabled = true;
    else unitSel.disabled = false;
  }
  measureSel.addEventListener("change", () => refreshGeo(null));
  geoSel.addEventListener("change", () => refreshCluster(null));
  clusterSel.addEventListener("change", refreshUnit);
  kindSel.addEventListener("change", refreshUnit);
  fs.toChange = () => {
    const out = { type: "shock", measure: measureSel.value, geography: geoSel.value, cluster: clusterSel.value, kind: kindSel.value, value: Number(value.value) };
    if (kindSel.value !== "growth") out.unit = unitSel.value;
    if (start.value.trim()) out.start = start.value.trim();
    if (end.value.trim() && kindSel.value !== "one_off") out.end = end.value.trim();
    if (!includeAll.checked) out.include_all_cluster = false;
    if (!required.checked) out.required = false;
    if (c.frequency) out.frequency = c.frequency;
    if (note.value.trim()) out.note = note.value.trim();
    return out;
  };
  refreshGeo();
  $("changes").append(fs);
  renumber();
  return fs;
}

export function definition() {
  const def = { name: $("sc-name").value.trim(), description: $("sc-desc").value.trim(), changes: [...$("changes").children].map((fs) => fs.toChange()) };
  if (!def.description) delete def.description;
  if (counterfactualBox().checked) def.counterfactual = true;
  return def;
}

function check(def) {
  const problems = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(def.name)) problems.push("Name: letters, digits, _ . - only (starting with a letter or digit).");
  def.changes.forEach((c, i) => {
    const vals = c.type === "driver" ? c.values : [c.value];
    vals.forEach((v, k) => {
      if (!Number.isFinite(v)) problems.push(`Change ${i + 1}${c.type === "driver" ? `, value ${k + 1}` : ", value"}: must be a number.`);
    });
    if (c.type === "driver" && !driverOf(c.driver)) problems.push(unknownDriver(c.driver, i));
    for (const f of ["start", "end"]) {
      if (c[f] != null && !PERIOD.test(String(c[f]))) problems.push(`Change ${i + 1}, ${f}: "${c[f]}" is not a period; ${PERIOD_HELP}.`);
    }
  });
  return problems;
}

function unknownDriver(name, i) {
  const valid = drivers.map((d) => d.alias || d.driver_id).join(", ");
  return `Change ${i + 1}: driver "${name}" is not a driver of this model; valid drivers: ${valid}.`;
}

// ---- series to show --------------------------------------------------------------------------------------
function initShow() {
  const measures = [...new Set(cat.items.filter((s) => s.cluster === "all").map((s) => s.measure))];
  measures.sort((a, b) => cat.names.measures[a].name.localeCompare(cat.names.measures[b].name));
  $("sc-measure").append(...measures.map((m) => option(m, cat.names.measures[m].name, m === "fdi_inward_position")));
  $("sc-measure").addEventListener("change", renderAreas);
  renderAreas();
}

function renderAreas() {
  const m = $("sc-measure").value;
  const rows = cat.items.filter((s) => s.measure === m && s.cluster === "all" && !s.is_synthetic);
  const order = (s) => (HEADLINE_AREAS.includes(s.geography) ? HEADLINE_AREAS.indexOf(s.geography) : 10);
  rows.sort((a, b) => order(a) - order(b) || (a.geography_name || "").localeCompare(b.geography_name || ""));
  clear(
    $("sc-areas"),
    rows.map((s) => {
      const box = el("input", { type: "checkbox", value: s.series_id });
      box.checked = HEADLINE_AREAS.includes(s.geography);
      return el("label", {}, box, `${s.geography_name || s.geography}${s.frequency !== "A" ? ` (${s.frequency})` : ""}`);
    }),
  );
}

function chosenSeries() {
  return [...$("sc-areas").querySelectorAll("input:checked")].map((b) => b.value);
}

// ---- run ---------------------------------------------------------------------------------------------------
function sameAsShipped(def) {
  const s = shipped.get(def.name);
  if (!s) return false;
  const norm = (d) => JSON.stringify({ name: d.name, description: d.description || "", changes: (d.changes || []).map((c) => Object.keys(c).sort().reduce((o, k) => ((o[k] = c[k]), o), {})) });
  const served = { ...s, changes: (s.changes || []).map((c) => strip(c)) };
  return norm(served) === norm({ ...def, changes: def.changes.map(strip) });
}

// drop the fields a served definition carries at their defaults, so a shipped scenario run unchanged is
// recognised (and fetched by name) whether or not the file spelled the defaults out
function strip(c) {
  const out = {};
  const defaults = { after: "hold", note: "", unit: "absolute", include_all_cluster: true, required: true, cluster: "all", frequency: null, start: null, end: null, periods: null };
  for (const [k, v] of Object.entries(c)) if (!(k in defaults && JSON.stringify(defaults[k]) === JSON.stringify(v))) out[k] = v;
  return out;
}

async function run() {
  clearError(VIEW);
  const def = definition();
  const problems = check(def);
  if (problems.length) {
    showError(new Error(problems.join("\n")), "The scenario cannot run yet", VIEW);
    return;
  }
  const series = chosenSeries();
  if (!series.length) {
    showError(new Error("Series to show: tick at least one area"), "The scenario cannot run yet", VIEW);
    return;
  }
  if (!def.changes.length) {
    // nothing to project: say so rather than show every series "unchanged"
    clear(
      $("sc-result"),
      el("h2", { id: "sc-result-title" }, `Result: ${def.name}`),
      el("p", { class: "warnbox", role: "note" }, "This scenario has no changes, so every series stays at its baseline. Add a driver path or a shock, or start from a shipped scenario."),
    );
    announce(`${def.name} has no changes: nothing to run.`);
    return;
  }
  announce(`Running ${def.name}…`);
  await busy($("sc-run"), "Running…", async () => {
    try {
      let result;
      if (sameAsShipped(def) && !def.counterfactual) {
        result = await getJSON(`/v1/scenarios/${encodeURIComponent(def.name)}/projections?series=${series.map(encodeURIComponent).join(",")}`);
      } else {
        result = await postJSON("/v1/scenarios:project", { scenario: def, series });
      }
      lastResult = result;
      renderResult(result);
      announce(`${def.name}: ${result.affected} of ${result.count} series moved${result.not_identified.length ? `, ${result.not_identified.length} held at baseline (not identified)` : ""}.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && Array.isArray(err.detail)) {
        showError(new Error(err.detail.map((e) => explainLoc(e.loc) + explainMsg(e.loc, e.msg)).join("\n")), "The scenario was refused", VIEW);
      } else if (err instanceof ApiError && err.status === 422) {
        showError(new Error(oneBased(err.message)), "The scenario was refused", VIEW);
      } else showError(err, "Running the scenario", VIEW, run);
      announce("The scenario did not run; the reason is shown above the builder.");
    }
  });
}

// Field locations in words, counted from 1 as the form's legends are ("Change 2, values, value 3: ...").
export function explainLoc(loc) {
  const i = loc.indexOf("changes");
  if (i >= 0 && typeof loc[i + 1] === "number") {
    const rest = loc.slice(i + 2);
    const where = rest.map((p) => (typeof p === "number" ? `value ${p + 1}` : p)).join(", ");
    return `Change ${loc[i + 1] + 1}${where ? `, ${where}` : ""}: `;
  }
  return `${loc.filter((p) => p !== "body" && p !== "scenario").join(".")}: `;
}

// The server counts a path's values from 0 ("value 0 (-1000)"); the form counts from 1.
export function oneBased(text) {
  return String(text).replace(/\bvalue (\d+) \(/g, (_, n) => `value ${Number(n) + 1} (`);
}

const PERIOD_HELP = "write a year (2026), a quarter (2026Q1) or a month (2026-03), or leave it empty";

function explainMsg(loc, msg) {
  const field = loc[loc.length - 1];
  if ((field === "start" || field === "end") && /String should|pattern|characters/.test(msg)) return `not a period: ${PERIOD_HELP}.`;
  return oneBased(msg);
}

function label(s) {
  const info = cat.byId.get(s.series_id);
  const name = info ? info.measure_name : s.measure || s.series_id;
  return `${name} — ${s.geography_name || s.geography}${s.cluster && s.cluster !== "all" ? ` · ${cat.names.clusters[s.cluster] || s.cluster}` : ""}`;
}

function statusBadge(s) {
  if (s.status === "not_identified") return el("span", { class: "badge warn" }, "not identified: held at baseline");
  if (s.status === "moved") return el("span", { class: "badge ok" }, "moved");
  return el("span", { class: "badge" }, "unchanged");
}

// A driver's move as % of baseline; beside the level change when the baseline is so small that the
// percentage alone misleads (UK net FDI inflows near zero: a US$15bn fall reads as -442%).
function driverChange(d, k) {
  const v = d.deviation_pct[k] || 0;
  if (Math.abs(v) < 0.05) return null;
  if (Math.abs(v) <= 100) return `${d.periods[k]} ${pct(v, 1)}`;
  return `${d.periods[k]} ${signed(d.scenario[k] - d.baseline[k])} (${pct(v, 0)} of a baseline of ${num(d.baseline[k])})`;
}

function renderResult(r) {
  const box = $("sc-result");
  const m = r.model;
  const held = r.series.filter((s) => s.status === "not_identified");
  const notShown = r.not_identified.filter((id) => !r.series.some((s) => s.series_id === id));
  const measures = new Set(r.series.map((s) => s.measure));
  const oneMeasure = measures.size === 1 ? cat.names.measures[[...measures][0]] : null;
  const short = (s) => (oneMeasure ? `${s.geography_name || s.geography}${s.cluster && s.cluster !== "all" ? ` · ${cat.names.clusters[s.cluster] || s.cluster}` : ""}` : label(s));
  const diffCell = (p) => ({
    node: el("span", {}, `${p.period ?? "–"}: ${signed(p.diff)} (${pct(p.diff_pct)})`, el("span", { class: "metric-note" }, `80%: ${range(p.diff_lo80, p.diff_hi80)}`)),
  });
  const summaryRows = r.series.map((s, i) => {
    const sm = s.summary || {};
    const first = s.points.find((p) => p.period === sm.first_period) || s.points[0] || {};
    const big = s.points.find((p) => p.period === sm.largest_period) || first;
    const last = s.points[s.points.length - 1] || {};
    return {
      cells: [
        { node: el("button", { type: "button", class: "link", "data-series": s.series_id, onclick: () => detail(r, i) }, short(s), s.synthetic ? " (synthetic)" : ""), class: "text" },
        { node: statusBadge(s), class: "text" },
        diffCell(first),
        diffCell(big),
        diffCell(last),
      ],
    };
  });
  const driverRows = r.drivers
    .filter((d) => d.source !== "baseline")
    .map((d) => ({
      cells: [
        `${d.alias || d.driver_id} (${d.unit || ""})`,
        { text: d.source, class: "text wrap" },
        { text: d.periods.map((p, k) => driverChange(d, k)).filter(Boolean).join(", ") || "no change", class: "text wrap" },
      ],
    }));
  const macro = r.macro && r.macro.responses ? Object.entries(r.macro.responses) : [];
  clear(
    box,
    el("h2", { id: "sc-result-title" }, `Result: ${r.scenario.name}${r.timing && r.timing.counterfactual ? " (counterfactual)" : ""}`),
    r.timing && r.timing.counterfactual ? el("p", { class: "warnbox", role: "note" }, `Counterfactual: what would have happened, not a projection (today ${r.timing.today}; first changed period ${r.timing.first_period}).`) : null,
    el("p", { class: "sub" }, `${r.scenario.description || ""} · model ${m.model_name} v${m.model_version ?? "local"} · data vintage ${m.data_vintage} · ${r.draws.n} draws, seed ${r.draws.seed}`),
    held.length || notShown.length
      ? el(
          "div",
          { class: "warnbox", role: "note" },
          el("strong", {}, "Links not identified: these series stay at their baseline."),
          el("ul", {}, held.map((s) => el("li", {}, `${label(s)}: ${s.reason}`)), notShown.map((id) => el("li", {}, id))),
        )
      : null,
    r.notes.length ? el("div", { class: "warnbox" }, el("ul", {}, r.notes.map((n) => el("li", {}, n)))) : null,
    el("div", { class: "table-wrap" }, table(`${oneMeasure ? `${oneMeasure.name} (${r.series[0].unit || ""})` : "Series shown"}: difference from baseline (first, largest and last period) with its 80% interval`, [oneMeasure ? { text: "Area", class: "text" } : { text: "Series", class: "text" }, { text: "Status", class: "text" }, "First", "Largest", "Last"], summaryRows)),
    driverRows.length ? el("div", { class: "table-wrap" }, table("Drivers moved (change from baseline)", ["Driver", { text: "Source", class: "text" }, { text: "Path (change from baseline, where it moves)", class: "text" }], driverRows)) : null,
    macro.length ? el("p", { class: "sub" }, "Macro block: ", macro.map(([v, x]) => `${v} ${x.status === "moved" ? "moved" : `held at baseline (${x.status})`}`).join("; ")) : null,
    el("div", { id: "sc-detail" }),
  );
  const mid = r.series.findIndex((s) => s.geography === "MID");
  detail(r, mid >= 0 ? mid : 0);
}

async function detail(r, i) {
  const s = r.series[i];
  if (!s) return;
  const box = $("sc-detail");
  const flows = s.points.some((p) => p.cum_diff != null);
  const head = ["Period", { text: "Kind", class: "text" }, "Baseline", "Scenario", "Difference", "Diff %", "80% interval of diff", "95% interval of diff"];
  if (flows) head.push("Cumulative diff");
  const rows = s.points.map((p) => ({
    class: p.kind === "nowcast" ? "nowcast" : null,
    cells: [p.period, { text: p.kind || "", class: "text" }, num(p.baseline_mean), num(p.scenario_mean), signed(p.diff), pct(p.diff_pct), range(p.diff_lo80, p.diff_hi80), range(p.diff_lo95, p.diff_hi95), ...(flows ? [signed(p.cum_diff)] : [])],
  }));
  for (const b of document.querySelectorAll("#sc-result button[data-series]")) b.closest("tr").classList.toggle("selected", b.dataset.series === s.series_id);
  const biggest = s.points.reduce((a, p) => (Math.abs(p.diff || 0) > Math.abs(a.diff || 0) ? p : a), s.points[0] || {});
  const alt = `${label(s)}: baseline against scenario. Largest difference ${signed(biggest.diff)} ${s.unit || ""} in ${biggest.period} (${pct(biggest.diff_pct)}; 80% interval ${range(biggest.diff_lo80, biggest.diff_hi80)}, 95% interval ${range(biggest.diff_lo95, biggest.diff_hi95)}).`;
  clear(
    box,
    el("h3", { id: "sc-detail-title" }, label(s), " ", statusBadge(s), s.synthetic ? el("span", { class: "badge synthetic" }, "SYNTHETIC") : null),
    s.reason ? el("p", { class: "help" }, s.reason) : null,
    s.channels && s.channels.length ? el("p", { class: "help" }, "How it is reached: ", s.channels.join("; ")) : null,
    el(
      "div",
      { class: "two-charts" },
      el("figure", { class: "figure", "aria-label": alt }, el("div", { id: "sc-levels", class: "chart small" })),
      el("figure", { class: "figure", "aria-label": `Difference from baseline for ${label(s)} with its 80% and 95% intervals; the numbers are in the table below.` }, el("div", { id: "sc-diff", class: "chart small" })),
    ),
    el("p", { class: "chart-summary" }, alt),
    el("div", { class: "table-wrap" }, table(`${label(s)} (${s.unit || ""}): scenario against baseline`, head, rows, { class: "sc-points" })),
  );
  await levelsChart($("sc-levels"), s);
  await diffChart($("sc-diff"), s);
}

// ---- save / load -----------------------------------------------------------------------------------------
async function save(format) {
  clearError(VIEW);
  const def = definition();
  const problems = check(def);
  if (problems.length) {
    showError(new Error(problems.join("\n")), "Cannot save", VIEW);
    return;
  }
  const text =
    format === "toml"
      ? `# Scenario saved from the Midlands investment workbench; run it with: invest scenario run ${def.name}.toml\n${(await toml()).stringify(def)}\n`
      : `${JSON.stringify(def, null, 2)}\n`;
  download(new Blob([text], { type: format === "toml" ? "application/toml" : "application/json" }), `${def.name}.${format}`);
  announce(`Saved ${def.name}.${format}.`);
}

async function load(e) {
  clearError(VIEW);
  const file = e.target.files[0];
  if (!file) return;
  try {
    const text = await file.text();
    const def = file.name.endsWith(".json") ? JSON.parse(text) : (await toml()).parse(text);
    if (typeof def !== "object" || !def || !Array.isArray(def.changes || [])) throw new Error("not a scenario: expected a name and a list of changes");
    for (const c of def.changes || []) if (c.type !== "driver" && c.type !== "shock") throw new Error(`unknown change type ${JSON.stringify(c.type)}`);
    $("sc-start").value = "";
    fill(def);
    const unknown = (def.changes || []).map((c, i) => (c.type === "driver" && !driverOf(c.driver) ? unknownDriver(c.driver, i) : null)).filter(Boolean);
    if (unknown.length) {
      showError(new Error(unknown.join("\n")), `Loaded ${file.name}, but it cannot run`, VIEW);
      announce(`Loaded ${file.name}; ${unknown.length} change(s) name a driver this model does not have.`);
    } else {
      announce(`Loaded ${file.name}: ${def.changes ? def.changes.length : 0} change(s).`);
    }
    $("sc-name").focus();
  } catch (err) {
    showError(err, `Cannot read ${file.name}`, VIEW);
  } finally {
    e.target.value = "";
  }
}

export function result() {
  return lastResult;
}
