// The series catalogue (GET /v1/series, every page) with human names (GET /v1/reference/names), searched
// in the browser by words: measure, area, cluster and the id itself.
import { getJSON } from "./lib.js";

let loaded = null;

export function catalogue() {
  if (!loaded) loaded = load();
  return loaded;
}

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
    s.cluster_name = names.clusters[s.cluster] || s.cluster;
    s.level_name = names.levels[s.geography_level] || s.geography_level;
    s.label = `${m.name} — ${s.geography_name || s.geography}`;
    s.freq_name = { A: "annual", Q: "quarterly", M: "monthly" }[s.frequency] || s.frequency;
    s.haystack = [s.measure_name, s.measure_description, s.geography_name, s.geography, s.level_name, s.cluster_name, s.series_id, s.freq_name]
      .join(" ")
      .toLowerCase();
  }
  const byId = new Map(items.map((s) => [s.series_id, s]));
  return { names, items, byId };
}

// Rank: every word must match; series about the Midlands and "all industries" come first.
export function search(cat, query, filters = {}) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const out = [];
  for (const s of cat.items) {
    if (filters.measure && s.measure !== filters.measure) continue;
    if (filters.level && s.geography_level !== filters.level) continue;
    if (filters.cluster && s.cluster !== filters.cluster) continue;
    if (!filters.synthetic && s.is_synthetic) continue;
    if (!words.every((w) => s.haystack.includes(w))) continue;
    out.push(s);
  }
  const weight = (s) =>
    (["midlands", "itl1", "uk"].includes(s.geography_level) ? 0 : 2) + (s.cluster === "all" ? 0 : 1) + (s.frequency === "A" ? 0 : 0.5);
  out.sort((a, b) => weight(a) - weight(b) || a.label.localeCompare(b.label));
  return out;
}

export function describeSeries(s) {
  return `${s.measure_name} — ${s.geography_name || s.geography} · ${s.cluster_name} · ${s.freq_name}`;
}
