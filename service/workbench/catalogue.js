// The whole series catalogue (GET /v1/series, every page) with human names (GET /v1/reference/names), for the
// views that list or pick among every series (scenario shocks, compare). Fetched only when such a view opens:
// the explorer searches on the server (/v1/reference/search) and its first chart needs none of it.
import { getJSON } from "./lib.js";

let loaded = null;

export function catalogue() {
  if (!loaded) {
    loaded = load().catch((err) => {
      loaded = null; // a failed load is tried again next time (the API may be back)
      throw err;
    });
  }
  return loaded;
}

const FREQ = { A: "annual", Q: "quarterly", M: "monthly" };

async function load() {
  const names = await getJSON("/v1/reference/names");
  const items = [];
  let offset = 0;
  for (;;) {
    const page = await getJSON(`/v1/series?limit=1000&offset=${offset}`);
    items.push(...page.items);
    if (page.next_offset == null) break;
    offset = page.next_offset;
  }
  for (const s of items) {
    const m = names.measures[s.measure] || { name: s.measure, unit: s.unit };
    s.measure_name = m.name;
    s.measure_description = m.description || "";
    s.basis = m.basis || "";
    s.cluster_name = names.clusters[s.cluster] || s.cluster;
    s.level_name = names.levels[s.geography_level] || s.geography_level;
    s.freq_name = FREQ[s.frequency] || s.frequency;
    s.label = `${m.name} — ${s.geography_name || s.geography}`;
  }
  const byId = new Map(items.map((s) => [s.series_id, s]));
  return { names, items, byId };
}

// A title that tells series apart: measure, area, cluster (unless all industries), basis and frequency.
export function describeSeries(s) {
  const detail = [s.basis, s.freq_name].filter(Boolean).join(", ");
  return `${s.measure_name} — ${s.geography_name || s.geography}${s.cluster && s.cluster !== "all" ? ` — ${s.cluster_name}` : ""} (${detail})`;
}
