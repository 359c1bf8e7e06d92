// Charts with plotly.js (served from the installed plotly wheel). Every chart also gets a text alternative
// (aria-label) and its numbers in a table next to it; downloads are plotly's own PNG/SVG export.
/* global Plotly */

const BLUE = "#1d4e89";
const ORANGE = "#b34700";
const GREY = "#5f6b77";
const FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, Liberation Sans, DejaVu Sans, sans-serif", size: 12, color: "#1b1f24" };

function band(x, lo, hi, color, name, group, showlegend = true) {
  return [
    { x, y: lo, type: "scatter", mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: group },
    { x, y: hi, type: "scatter", mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color, name, legendgroup: group, showlegend, hoverinfo: "skip" },
  ];
}

function layout(unit, extra = {}) {
  return {
    font: FONT,
    margin: { l: 70, r: 16, t: 10, b: 40 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    hovermode: "x unified",
    legend: { orientation: "h", y: -0.14, x: 0 },
    xaxis: { type: "date", gridcolor: "#e3e8ee", zeroline: false },
    yaxis: { title: { text: unit || "" }, gridcolor: "#e3e8ee", zeroline: false, separatethousands: true },
    ...extra,
  };
}

const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"], toImageButtonOptions: { format: "png" } };

export function interval(point, level) {
  const iv = (point.intervals || []).find((i) => i.level === level);
  return iv ? [iv.lower, iv.upper] : [null, null];
}

// History, nowcast stretch (shaded) and forecast with its 80% and 95% bands.
export async function fanChart(div, history, forecast, opts = {}) {
  const hx = history.map((o) => o.period_start || o.period);
  const hy = history.map((o) => o.value);
  const pts = forecast.points;
  const fx = pts.map((p) => p.period_start || p.period);
  const lo95 = pts.map((p) => interval(p, 95)[0]);
  const hi95 = pts.map((p) => interval(p, 95)[1]);
  const lo80 = pts.map((p) => interval(p, 80)[0]);
  const hi80 = pts.map((p) => interval(p, 80)[1]);
  const last = history.length ? [history[history.length - 1]] : [];
  const meanX = [...last.map((o) => o.period_start || o.period), ...fx];
  const meanY = [...last.map((o) => o.value), ...pts.map((p) => p.mean)];
  const data = [
    ...band(fx, lo95, hi95, "rgba(29,78,137,0.14)", "95% interval", "b95"),
    ...band(fx, lo80, hi80, "rgba(29,78,137,0.32)", "80% interval", "b80"),
    { x: hx, y: hy, type: "scatter", mode: "lines+markers", name: "published", line: { color: "#1b1f24", width: 2 }, marker: { size: 4 } },
    { x: meanX, y: meanY, type: "scatter", mode: "lines", name: "forecast (mean)", line: { color: BLUE, width: 2, dash: "dash" } },
  ];
  const shapes = [];
  const annotations = [];
  const nowcasts = pts.filter((p) => p.kind === "nowcast");
  if (nowcasts.length && last.length) {
    const x0 = last[0].period_start || last[0].period;
    const x1 = nowcasts[nowcasts.length - 1].period_start || nowcasts[nowcasts.length - 1].period;
    shapes.push({ type: "rect", xref: "x", yref: "paper", x0, x1, y0: 0, y1: 1, fillcolor: "rgba(214,160,0,0.14)", line: { width: 0 }, layer: "below" });
    annotations.push({ xref: "x", yref: "paper", x: x0, y: 1, xanchor: "left", yanchor: "top", text: "nowcast: begun, not yet published", showarrow: false, font: { size: 11, color: "#7a4100" } });
  }
  if (opts.synthetic) {
    annotations.push({ xref: "paper", yref: "paper", x: 0.5, y: 0.5, text: "SYNTHETIC DEMO DATA", showarrow: false, font: { size: 28, color: "rgba(75,42,138,0.25)" } });
  }
  await Plotly.react(div, data, layout(opts.unit, { shapes, annotations }), { ...CONFIG, toImageButtonOptions: { format: "png", filename: opts.filename || "forecast" } });
}

// Baseline against scenario (means and 80% bands) for one projected series.
export async function levelsChart(div, series) {
  const pts = series.points;
  const x = pts.map((p) => p.period);
  const data = [
    ...band(x, pts.map((p) => p.baseline_lo80), pts.map((p) => p.baseline_hi80), "rgba(95,107,119,0.22)", "baseline 80%", "bb"),
    ...band(x, pts.map((p) => p.scenario_lo80), pts.map((p) => p.scenario_hi80), "rgba(179,71,0,0.18)", "scenario 80%", "sb"),
    { x, y: pts.map((p) => p.baseline_mean), type: "scatter", mode: "lines+markers", name: "baseline", line: { color: GREY, width: 2 } },
    { x, y: pts.map((p) => p.scenario_mean), type: "scatter", mode: "lines+markers", name: "scenario", line: { color: ORANGE, width: 2, dash: "dash" } },
  ];
  await Plotly.react(div, data, layout(series.unit, { xaxis: { type: "category", gridcolor: "#e3e8ee" } }), { ...CONFIG, toImageButtonOptions: { format: "png", filename: `${series.series_id}-levels` } });
}

// The difference from baseline with its 80% and 95% intervals.
export async function diffChart(div, series) {
  const pts = series.points;
  const x = pts.map((p) => p.period);
  const data = [
    ...band(x, pts.map((p) => p.diff_lo95), pts.map((p) => p.diff_hi95), "rgba(179,71,0,0.13)", "95% interval", "d95"),
    ...band(x, pts.map((p) => p.diff_lo80), pts.map((p) => p.diff_hi80), "rgba(179,71,0,0.30)", "80% interval", "d80"),
    { x, y: pts.map((p) => p.diff), type: "scatter", mode: "lines+markers", name: "difference", line: { color: ORANGE, width: 2 } },
  ];
  const l = layout(`difference (${series.unit || ""})`, { xaxis: { type: "category", gridcolor: "#e3e8ee" } });
  l.yaxis.zeroline = true;
  l.yaxis.zerolinecolor = "#1b1f24";
  await Plotly.react(div, data, l, { ...CONFIG, toImageButtonOptions: { format: "png", filename: `${series.series_id}-difference` } });
}

// Served (champion) and another version's forecasts over the same history.
export async function compareChart(div, history, served, other, labels) {
  const hx = history.map((o) => o.period_start || o.period);
  const line = (f, color, name, dash) => ({
    x: f.points.map((p) => p.period_start || p.period),
    y: f.points.map((p) => p.mean),
    type: "scatter",
    mode: "lines+markers",
    name,
    line: { color, width: 2, dash },
  });
  const b = (f, color, name, group) =>
    band(f.points.map((p) => p.period_start || p.period), f.points.map((p) => interval(p, 80)[0]), f.points.map((p) => interval(p, 80)[1]), color, name, group);
  const data = [
    ...b(served, "rgba(29,78,137,0.22)", `${labels[0]} 80%`, "s"),
    ...b(other, "rgba(179,71,0,0.18)", `${labels[1]} 80%`, "o"),
    { x: hx, y: history.map((o) => o.value), type: "scatter", mode: "lines+markers", name: "published", line: { color: "#1b1f24", width: 2 }, marker: { size: 4 } },
    line(served, BLUE, labels[0], "solid"),
    line(other, ORANGE, labels[1], "dash"),
  ];
  await Plotly.react(div, data, layout(served.unit), { ...CONFIG, toImageButtonOptions: { format: "png", filename: `${served.series_id}-compare` } });
}

export async function downloadChart(div, format, filename) {
  await Plotly.downloadImage(div, { format, filename, width: 1100, height: 520 });
}

export function purge(div) {
  if (window.Plotly) Plotly.purge(div);
}
