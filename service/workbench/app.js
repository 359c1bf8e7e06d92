// The workbench: five views in ARIA tabs (arrow keys move between tabs), the address keeps the view and
// the series or cluster open (#explorer/<id>, #scorecards/<id>, #compare/<id>, #areas/<code>), everything from /v1 routes.
// A view whose data did not load (API stopped or restarting) says so in its own alert box, retries with
// back-off and offers a Retry button: it recovers without a reload once the API answers again.
import { initAreas, openArea } from "./areas.js";
import { catalogue } from "./catalogue.js";
import { plotlyReady } from "./charts.js";
import { compare, initCompare } from "./compare.js";
import { initExplorer, showSeries } from "./explorer.js";
import { announce, clearError, getJSON, setKey, showError, withRetry } from "./lib.js";
import { bindScenarios, initScenarios } from "./scenarios.js";
import { initScorecards, openCluster } from "./scorecards.js";

const VIEWS = ["explorer", "scenarios", "scorecards", "compare", "areas"];
const NAMES = { explorer: "series explorer", scenarios: "scenario builder", scorecards: "cluster scorecards", compare: "model comparison", areas: "area profiles" };
const DEFAULT_SERIES = "fdi_inward_position.MID.all.A";
const $ = (id) => document.getElementById(id);
const started = new Map(); // view -> promise of its loaded state (removed again when loading failed)

// No form may ever submit natively: the page's policy (form-action 'none') would block it silently.
for (const form of document.querySelectorAll("form")) form.addEventListener("submit", (e) => e.preventDefault());

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
  for (const a of document.querySelectorAll(".skip[data-view]")) a.hidden = a.dataset.view !== view;
  if (focus) $(`tab-${view}`).focus();
  if (hash && !location.hash.startsWith(`#${view}`)) history.replaceState(null, "", `#${view}`);
  $(`tab-${view}`).scrollIntoView({ block: "nearest", inline: "nearest" });
  window.dispatchEvent(new Event("resize")); // charts drawn while hidden take their size now
  return start(view);
}

const loaders = {
  explorer: () => initExplorer(openCompare),
  scenarios: async () => initScenarios(await catalogue()),
  scorecards: () => initScorecards(),
  compare: async () => initCompare(await catalogue()),
  areas: () => initAreas(),
};

function start(view) {
  if (!started.has(view)) {
    const run = withRetry(loaders[view], {
      onWait: (err, ms) => {
        showError(err, `Loading the ${NAMES[view]}`, view, () => retryView(view));
        announce(`The ${NAMES[view]} will try again in ${Math.round(ms / 1000)} s.`);
      },
    })
      .then(() => {
        clearError(view);
        return true;
      })
      .catch((err) => {
        started.delete(view); // opening the tab again (or Retry) tries afresh
        showError(err, `Loading the ${NAMES[view]}`, view, () => retryView(view));
        return false;
      });
    started.set(view, run);
  }
  return started.get(view);
}

function retryView(view) {
  started.delete(view);
  return start(view);
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
  const id = arg ? decodeURIComponent(arg) : null;
  if (v === "explorer") {
    // the first chart does not wait for the search list
    const chart = showSeries(id || DEFAULT_SERIES, { push: Boolean(id) });
    await Promise.all([select(v, { hash: !VIEWS.includes(view) }), chart]);
    return;
  }
  const ok = await select(v, { hash: !VIEWS.includes(view) });
  if (!ok) return;
  if (v === "scorecards" && id) await openCluster(id, { push: false });
  else if (v === "compare" && id) await compare(id, { push: false });
  else if (v === "areas" && id) await openArea(id, { push: false });
}

async function modelLine() {
  try {
    const m = await withRetry(() => getJSON("/v1/models/current"), {
      onWait: () => {
        $("model-line").textContent = "The API does not answer yet; trying again…";
      },
    });
    $("model-line").textContent = `Serving ${m.model_name} v${m.model_version ?? "local"} (${m.model_alias || "local"}) · data vintage ${m.data_vintage} · ${m.n_series.toLocaleString("en-GB")} series`;
  } catch (err) {
    $("model-line").textContent = `No model: ${err.message}`;
  }
}

// Scrollable tables are keyboard-reachable regions named by their caption.
function scrollRegions(root) {
  for (const box of root.querySelectorAll(".table-wrap:not([tabindex])")) {
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    const cap = box.querySelector("caption");
    box.setAttribute("aria-label", cap ? cap.textContent : "Table");
  }
}
new MutationObserver(() => scrollRegions(document.body)).observe($("main"), { childList: true, subtree: true });

// The skip links land on the chart and its downloads (focusable targets, so the next Tab goes on from there).
for (const a of document.querySelectorAll(".skip")) {
  a.addEventListener("click", (e) => {
    const target = document.querySelector(a.getAttribute("href"));
    if (!target) return;
    e.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "center" });
  });
}

$("key-form").addEventListener("submit", () => {
  setKey($("api-key").value);
  $("key-form").hidden = true;
  announce("API key set for this browser tab.");
});
initTabs();
bindScenarios();
window.addEventListener("hashchange", () => route().catch((err) => showError(err, "Workbench")));
modelLine();
route().catch((err) => showError(err, "Workbench"));
plotlyReady().catch((err) => showError(err, "Charts")); // after the first API calls are on their way
