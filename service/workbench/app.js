// The workbench: five views in ARIA tabs (arrow keys move between tabs), the address keeps the view and
// the series or cluster open (#explorer/<id>, #scorecards/<id>, #compare/<id>, #areas/<code>), everything from /v1 routes.
import { initAreas, openArea } from "./areas.js";
import { catalogue } from "./catalogue.js";
import { compare, initCompare } from "./compare.js";
import { initExplorer, showSeries } from "./explorer.js";
import { announce, getJSON, setKey, showError } from "./lib.js";
import { initScenarios } from "./scenarios.js";
import { initScorecards, openCluster } from "./scorecards.js";

const VIEWS = ["explorer", "scenarios", "scorecards", "compare", "areas"];
const $ = (id) => document.getElementById(id);
const started = new Map();

function tabs() {
  return VIEWS.map((v) => $(`tab-${v}`));
}

function select(view, { focus = false, hash = true } = {}) {
  for (const v of VIEWS) {
    const on = v === view;
    const tab = $(`tab-${v}`);
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`view-${v}`).hidden = !on;
  }
  if (focus) $(`tab-${view}`).focus();
  if (hash && !location.hash.startsWith(`#${view}`)) history.replaceState(null, "", `#${view}`);
  window.dispatchEvent(new Event("resize")); // charts drawn while hidden take their size now
  return start(view);
}

function start(view) {
  if (!started.has(view)) {
    const run = {
      explorer: async () => initExplorer(await catalogue(), openCompare),
      scenarios: async () => initScenarios(await catalogue()),
      scorecards: () => initScorecards(),
      compare: async () => initCompare(await catalogue()),
      areas: () => initAreas(),
    }[view];
    started.set(
      view,
      run().catch((err) => showError(err, `Loading the ${view} view`)),
    );
  }
  return started.get(view);
}

async function openCompare(seriesId) {
  await select("compare", { hash: false });
  await compare(seriesId);
}

function initTabs() {
  $("tabs").addEventListener("click", (e) => {
    const tab = e.target.closest("[role=tab]");
    if (tab) select(tab.id.replace("tab-", ""));
  });
  $("tabs").addEventListener("keydown", (e) => {
    const all = tabs();
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === "ArrowRight") j = (i + 1) % all.length;
    else if (e.key === "ArrowLeft") j = (i - 1 + all.length) % all.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = all.length - 1;
    if (j == null) return;
    e.preventDefault();
    select(VIEWS[j], { focus: true });
  });
}

async function route() {
  const [view, arg] = location.hash.slice(1).split("/");
  const v = VIEWS.includes(view) ? view : "explorer";
  await select(v, { hash: !VIEWS.includes(view) });
  const id = arg ? decodeURIComponent(arg) : null;
  if (v === "explorer") await showSeries(id || "fdi_inward_position.MID.all.A", { push: Boolean(id) });
  else if (v === "scorecards" && id) await openCluster(id, { push: false });
  else if (v === "compare" && id) await compare(id, { push: false });
  else if (v === "areas" && id) await openArea(id, { push: false });
}

async function modelLine() {
  try {
    const m = await getJSON("/v1/models/current");
    $("model-line").textContent = `Serving ${m.model_name} v${m.model_version ?? "local"} (${m.model_alias || "local"}) · data vintage ${m.data_vintage} · ${m.n_series.toLocaleString("en-GB")} series`;
  } catch (err) {
    $("model-line").textContent = `No model: ${err.message}`;
  }
}

$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  setKey($("api-key").value);
  $("key-form").hidden = true;
  announce("API key set for this browser tab.");
});
initTabs();
window.addEventListener("hashchange", () => route().catch((err) => showError(err, "Workbench")));
modelLine();
route().catch((err) => showError(err, "Workbench"));
