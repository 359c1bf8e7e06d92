// Charts with plotly.js (served from the installed plotly wheel). Every chart also gets a text alternative
// and its numbers in a table next to it. Nothing a chart offers may send it anywhere: the library's "share"
// (upload to Plotly Cloud), its logo link and its JSON/cloud buttons are switched off for every chart, and
// the only exports are ours (PNG/SVG with a title band that says what the chart is and where it comes from).
/* global Plotly */

const BLUE = "#1d4e89";
const ORANGE = "#b34700";
const GREY = "#5f6b77";
const FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, Liberation Sans, DejaVu Sans, sans-serif", size: 12, color: "#1b1f24" };
// "59.7k", "1.23M", "846": three significant digits in tooltips and on the axis
const NUMBER = ".3~s";
const PERIOD_FORMAT = { A: "%Y", Q: "%Y Q%q", M: "%b %Y" };

// Buttons that send a chart off the machine (or lead there) in any plotly.js version, and the library's own
// image button (our downloads carry title, series id, source and vintage; its PNG carries none of them).
export const OFF_MACHINE_BUTTONS = ["sendChartToCloud", "sendDataToCloud", "editInChartStudio", "downloadJson", "toImage"];
export const CONFIG = Object.freeze({
  displaylogo: false, // the logo links to plotly.com
  showSendToCloud: false,
  plotlyServerURL: "",
  showTips: false,
  responsive: true,
  displayModeBar: "hover",
  modeBarButtonsToRemove: ["select2d", "lasso2d", ...OFF_MACHINE_BUTTONS],
});

// plotly.js (4.8 MB) is preloaded by the page but run only once the first API calls are on their way: its
// parse takes the main thread for a while, and the data should travel meanwhile, not after.
let ready = null;
export function plotlyReady() {
  if (!ready) {
    ready = new Promise((resolve, reject) => {
      if (window.Plotly) return resolve(window.Plotly);
      const tag = document.createElement("script");
      tag.id = "plotly-js";
      tag.src = document.getElementById("plotly-preload").href;
      tag.addEventListener("load", () => resolve(window.Plotly));
      tag.addEventListener("error", () => reject(new Error("the chart library (plotly.js) did not load from this server; reload the page")));
      document.head.append(tag);
    }).then((P) => {
      performance.mark("plotly-ready"); // read by benchmarks/workbench_first_chart.py
      P.setPlotConfig({ ...CONFIG, modeBarButtonsToRemove: [...CONFIG.modeBarButtonsToRemove] });
      return P;
    });
  }
  return ready;
}

async function draw(div, data, layout, extra = {}) {
  const P = await plotlyReady();
  for (const sketch of div.querySelectorAll(":scope > .sketch")) sketch.remove();
  await P.react(div, data, layout, { ...CONFIG, modeBarButtonsToRemove: [...CONFIG.modeBarButtonsToRemove], ...extra });
  quietModebar(div);
  if (!performance.getEntriesByName("first-chart").length) performance.mark("first-chart");
}

// The mode bar shows on hover only; its buttons stay out of the Tab order (the zoom they offer is a mouse
// gesture, and every export is one of the page's own buttons, reached by the "Skip to downloads" link).
function quietModebar(div) {
  for (const b of div.querySelectorAll(".modebar-btn")) b.tabIndex = -1;
  const bar = div.querySelector(".modebar-container");
  if (bar) bar.setAttribute("aria-hidden", "true");
}

function band(x, lo, hi, color, name, group, showlegend = true) {
  return [
    { x, y: lo, type: "scatter", mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: group },
    { x, y: hi, type: "scatter", mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color, name, legendgroup: group, showlegend, hoverinfo: "skip" },
  ];
}

function narrow(div) {
  return (div.clientWidth || 800) < 520;
}

function layout(div, unit, extra = {}) {
  const small = narrow(div);
  return {
    font: small ? { ...FONT, size: 11 } : FONT,
    margin: small ? { l: 48, r: 8, t: 10, b: 40 } : { l: 70, r: 16, t: 10, b: 40 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    hovermode: "x unified",
    hoverlabel: { namelength: -1 },
    legend: { orientation: "h", y: -0.16, x: 0 },
    xaxis: { type: "date", gridcolor: "#e3e8ee", zeroline: false, automargin: true, nticks: small ? 5 : 10 },
    yaxis: { title: { text: small ? "" : unit || "" }, gridcolor: "#e3e8ee", zeroline: false, tickformat: "~s", automargin: true },
    ...extra,
  };
}

function periodX(o) {
  return o.period_start || String(o.period);
}

// a date axis that ends where the data end (plotly's autorange can run decades past a short forecast)
function dateRange(xs) {
  const t = xs.filter(Boolean).map((x) => Date.parse(x)).filter(Number.isFinite);
  if (!t.length) return undefined;
  const lo = Math.min(...t);
  const hi = Math.max(...t);
  const pad = Math.max((hi - lo) * 0.02, 86400000 * 20);
  return [new Date(lo - pad).toISOString().slice(0, 10), new Date(hi + pad).toISOString().slice(0, 10)];
}

function line(x, y, name, color, opts = {}) {
  const { line: extraLine = {}, ...rest } = opts;
  return { x, y, type: "scatter", mode: "lines+markers", name, line: { color, width: 2, ...extraLine }, yhoverformat: NUMBER, ...rest };
}

export function interval(point, level) {
  const iv = (point.intervals || []).find((i) => i.level === level);
  return iv ? [iv.lower, iv.upper] : [null, null];
}

// History, nowcast stretch (shaded) and forecast with its 80% and 95% bands. Until plotly.js has been parsed
// (seconds on a busy machine) a plain SVG sketch of the same chart stands in, drawn from the same numbers.
export async function fanChart(div, history, forecast, opts = {}) {
  if (!window.Plotly) sketchFan(div, history, forecast);
  const hx = history.map(periodX);
  const hy = history.map((o) => o.value);
  const pts = forecast.points;
  const fx = pts.map(periodX);
  const lo95 = pts.map((p) => interval(p, 95)[0]);
  const hi95 = pts.map((p) => interval(p, 95)[1]);
  const lo80 = pts.map((p) => interval(p, 80)[0]);
  const hi80 = pts.map((p) => interval(p, 80)[1]);
  const last = history.length ? [history[history.length - 1]] : [];
  const meanX = [...last.map(periodX), ...fx];
  const meanY = [...last.map((o) => o.value), ...pts.map((p) => p.mean)];
  const xfmt = PERIOD_FORMAT[opts.frequency] || "%Y";
  const data = [
    ...band(fx, lo95, hi95, "rgba(29,78,137,0.14)", "95% interval", "b95"),
    ...band(fx, lo80, hi80, "rgba(29,78,137,0.32)", "80% interval", "b80"),
    { ...line(hx, hy, "observed (published)", "#1b1f24"), marker: { size: 4 }, xhoverformat: xfmt },
    { ...line(meanX, meanY, "forecast (mean)", BLUE, { line: { dash: "dash" } }), mode: "lines", xhoverformat: xfmt },
  ];
  const shapes = [];
  const annotations = [];
  const nowcasts = pts.filter((p) => p.kind === "nowcast");
  if (nowcasts.length && last.length) {
    const x0 = periodX(last[0]);
    const x1 = periodX(nowcasts[nowcasts.length - 1]);
    shapes.push({ type: "rect", xref: "x", yref: "paper", x0, x1, y0: 0, y1: 1, fillcolor: "rgba(214,160,0,0.14)", line: { width: 0 }, layer: "below" });
    annotations.push({ xref: "x", yref: "paper", x: x0, y: 1, xanchor: "left", yanchor: "top", text: narrow(div) ? "nowcast" : "nowcast: begun, not yet published", showarrow: false, font: { size: 11, color: "#7a4100" } });
  }
  if (opts.synthetic) {
    annotations.push({ xref: "paper", yref: "paper", x: 0.5, y: 0.5, text: "SYNTHETIC DEMO DATA", showarrow: false, font: { size: narrow(div) ? 18 : 28, color: "rgba(75,42,138,0.25)" } });
  }
  const l = layout(div, opts.unit, { shapes, annotations });
  l.xaxis.range = dateRange([...hx, ...fx]);
  l.xaxis.hoverformat = xfmt;
  await draw(div, data, l);
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.append(node);
  return node;
}

const SHORT = (v) => {
  const a = Math.abs(v);
  for (const [d, u] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]]) if (a >= d) return `${+(v / d).toPrecision(3)}${u}`;
  return `${+v.toPrecision(3)}`;
};

// The fan chart as a static SVG (bands, history, dashed mean, nowcast stretch, year and value ticks): the
// first chart on screen while the interactive one is still on its way. Decorative: the figure's caption
// carries the same numbers in words.
export function sketchFan(div, history, forecast) {
  const w = div.clientWidth || 800;
  const h = div.clientHeight || 380;
  const m = { l: 56, r: 22, t: 10, b: 28 };
  const rows = [
    ...history.map((o) => ({ t: Date.parse(periodX(o)), v: o.value })),
    ...forecast.points.map((p) => ({ t: Date.parse(periodX(p)), v: p.mean, lo80: interval(p, 80)[0], hi80: interval(p, 80)[1], lo95: interval(p, 95)[0], hi95: interval(p, 95)[1] })),
  ].filter((r) => Number.isFinite(r.t));
  if (!rows.length) return;
  const vals = rows.flatMap((r) => [r.v, r.lo95, r.hi95]).filter((v) => v != null && Number.isFinite(v));
  const [t0, t1] = [Math.min(...rows.map((r) => r.t)), Math.max(...rows.map((r) => r.t))];
  const [v0, v1] = [Math.min(0, ...vals), Math.max(...vals)];
  const X = (t) => m.l + ((t - t0) / (t1 - t0 || 1)) * (w - m.l - m.r);
  const Y = (v) => h - m.b - ((v - v0) / (v1 - v0 || 1)) * (h - m.t - m.b);
  const root = svg("svg", { class: "sketch", width: w, height: h, viewBox: `0 0 ${w} ${h}`, "aria-hidden": "true", focusable: "false" });
  const fc = rows.filter((r) => r.lo95 != null);
  const area = (lo, hi) => [...fc.map((r) => `${X(r.t)},${Y(r[hi])}`), ...[...fc].reverse().map((r) => `${X(r.t)},${Y(r[lo])}`)].join(" ");
  if (fc.length) {
    svg("polygon", { points: area("lo95", "hi95"), fill: "rgba(29,78,137,0.14)" }, root);
    svg("polygon", { points: area("lo80", "hi80"), fill: "rgba(29,78,137,0.32)" }, root);
  }
  const hist = rows.slice(0, history.length);
  svg("polyline", { points: hist.map((r) => `${X(r.t)},${Y(r.v)}`).join(" "), fill: "none", stroke: "#1b1f24", "stroke-width": 2 }, root);
  const mean = [...hist.slice(-1), ...rows.slice(history.length)];
  svg("polyline", { points: mean.map((r) => `${X(r.t)},${Y(r.v)}`).join(" "), fill: "none", stroke: BLUE, "stroke-width": 2, "stroke-dasharray": "6 4" }, root);
  const years = [...new Set(rows.map((r) => new Date(r.t).getUTCFullYear()))];
  const step = Math.ceil(years.length / (w < 520 ? 5 : 10));
  years.filter((_, i) => i % step === 0).forEach((y) => {
    const text = svg("text", { x: X(Date.UTC(y, 0, 1)), y: h - 8, "text-anchor": "middle", "font-size": 11, fill: "#4f5a66" }, root);
    text.textContent = String(y);
  });
  for (const v of [v0, (v0 + v1) / 2, v1]) {
    const text = svg("text", { x: m.l - 6, y: Y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#4f5a66" }, root);
    text.textContent = SHORT(v);
  }
  for (const old of div.querySelectorAll(":scope > .sketch")) old.remove();
  div.append(root);
  if (!performance.getEntriesByName("first-chart").length) performance.mark("first-chart");
}

// Category axes of period labels ("2025", "2025Q1"): strings, angled when they would crowd.
function periodAxis(div, x) {
  const crowded = x.length * (String(x[0] || "").length + 2) * 7 > (div.clientWidth || 600) * 0.8;
  return { type: "category", gridcolor: "#e3e8ee", automargin: true, tickangle: crowded ? -45 : 0, nticks: narrow(div) ? 6 : 12 };
}

// Baseline against scenario (means and 80% bands) for one projected series.
export async function levelsChart(div, series) {
  const pts = series.points;
  const x = pts.map((p) => String(p.period));
  const data = [
    ...band(x, pts.map((p) => p.baseline_lo80), pts.map((p) => p.baseline_hi80), "rgba(95,107,119,0.22)", "baseline 80%", "bb"),
    ...band(x, pts.map((p) => p.scenario_lo80), pts.map((p) => p.scenario_hi80), "rgba(179,71,0,0.18)", "scenario 80%", "sb"),
    line(x, pts.map((p) => p.baseline_mean), "baseline", GREY),
    line(x, pts.map((p) => p.scenario_mean), "scenario", ORANGE, { line: { dash: "dash" } }),
  ];
  await draw(div, data, layout(div, series.unit, { xaxis: periodAxis(div, x) }));
}

// The difference from baseline with its 80% and 95% intervals.
export async function diffChart(div, series) {
  const pts = series.points;
  const x = pts.map((p) => String(p.period));
  const data = [
    ...band(x, pts.map((p) => p.diff_lo95), pts.map((p) => p.diff_hi95), "rgba(179,71,0,0.13)", "95% interval", "d95"),
    ...band(x, pts.map((p) => p.diff_lo80), pts.map((p) => p.diff_hi80), "rgba(179,71,0,0.30)", "80% interval", "d80"),
    line(x, pts.map((p) => p.diff), "difference", ORANGE),
  ];
  const l = layout(div, `difference (${series.unit || ""})`, { xaxis: periodAxis(div, x) });
  l.yaxis.zeroline = true;
  l.yaxis.zerolinecolor = "#1b1f24";
  await draw(div, data, l);
}

// Served (champion) and another version's forecasts over the same history.
export async function compareChart(div, history, served, other, labels) {
  const hx = history.map(periodX);
  const fline = (f, color, name, dash) => line(f.points.map(periodX), f.points.map((p) => p.mean), name, color, { line: { dash } });
  const b = (f, color, name, group) => band(f.points.map(periodX), f.points.map((p) => interval(p, 80)[0]), f.points.map((p) => interval(p, 80)[1]), color, name, group);
  const data = [
    ...b(served, "rgba(29,78,137,0.22)", `${labels[0]} 80%`, "s"),
    ...b(other, "rgba(179,71,0,0.18)", `${labels[1]} 80%`, "o"),
    { ...line(hx, history.map((o) => o.value), "observed (published)", "#1b1f24"), marker: { size: 4 } },
    fline(served, BLUE, labels[0], "solid"),
    fline(other, ORANGE, labels[1], "dash"),
  ];
  const l = layout(div, served.unit);
  l.xaxis.range = dateRange([...hx, ...served.points.map(periodX), ...other.points.map(periodX)]);
  await draw(div, data, l);
}

// Past forecasts against the outturn: one thin line per replayed release (its calendar-year growth forecasts,
// older releases lighter), the published growth in black on top.
export async function trackChart(div, record) {
  const growth = (v) => v.points.filter((p) => p.kind === "growth" && p.mean != null).sort((a, b) => String(a.period).localeCompare(String(b.period)));
  const vintages = record.vintages.filter((v) => growth(v).length);
  const outturn = new Map();
  for (const v of record.vintages) for (const p of v.points) if (p.kind === "growth" && p.outturn != null) outturn.set(String(p.period), p.outturn);
  const years = [...outturn.keys()].sort();
  const n = Math.max(1, vintages.length - 1);
  const data = vintages.map((v, i) => {
    const pts = growth(v);
    const shade = Math.round(200 - (i / n) * 140);
    return {
      x: pts.map((p) => String(p.period)),
      y: pts.map((p) => p.mean),
      type: "scatter",
      mode: "lines+markers",
      line: { color: `rgb(${shade - 40},${shade},${Math.min(255, shade + 60)})`, width: 1 },
      marker: { size: 4 },
      name: `forecast made ${v.release}`,
      legendgroup: "past",
      showlegend: i === vintages.length - 1,
      hovertemplate: `released ${v.release} (data to ${v.last_observed}): %{y:.1f}%<extra></extra>`,
    };
  });
  if (data.length) data[data.length - 1].name = "past forecasts (one line per release)";
  data.push({ ...line(years, years.map((y) => outturn.get(y)), "outturn (newest release)", "#1b1f24"), hovertemplate: "outturn: %{y:.1f}%<extra></extra>" });
  const l = layout(div, "growth, % a year", { xaxis: { type: "category", gridcolor: "#e3e8ee", automargin: true }, hovermode: "closest", showlegend: true });
  l.yaxis.tickformat = ".1f";
  l.yaxis.zeroline = true;
  l.yaxis.zerolinecolor = "#9aa5b1";
  await draw(div, data, l);
}

function escapeText(s) {
  return String(s ?? "").replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c]);
}

// An export that identifies itself once pasted into a report: a title band with the title, series id, units,
// source, data vintage and model version above the chart (the same text in the PNG's pixels and the SVG).
export function exportFigure(div, meta, width = 1100, height = 560) {
  const band = 140;
  const lines = [
    `<b>${wrap(escapeText(meta.title), 100)}</b>`,
    `Series ${escapeText(meta.seriesId)} · ${escapeText(meta.units)}`,
    `Source: ${escapeText(meta.source)} · data vintage ${escapeText(meta.vintage)} · model ${escapeText(meta.model)}`,
  ];
  const layoutOut = {
    ...div.layout,
    width,
    height,
    margin: { ...(div.layout.margin || {}), t: band + 10, l: 80, r: 20 },
    font: FONT,
    shapes: [
      ...(div.layout.shapes || []),
      { type: "rect", xref: "paper", yref: "paper", x0: -0.1, x1: 1.05, y0: 1.0 + 6 / (height - band - 50), y1: 1.0 + (band + 4) / (height - band - 50), fillcolor: "#eef2f6", line: { width: 0 }, layer: "below" },
    ],
    annotations: [
      ...(div.layout.annotations || []),
      ...lines.map((text, i) => ({
        xref: "paper",
        yref: "paper",
        x: 0,
        xanchor: "left",
        y: 1 + (band - 12 - (i ? 26 + i * 26 : 0)) / (height - band - 50),
        yanchor: "top",
        text,
        showarrow: false,
        align: "left",
        font: { ...FONT, size: i === 0 ? 17 : 13, color: "#1b1f24" },
      })),
    ],
  };
  return { data: div.data, layout: layoutOut, config: { ...CONFIG, modeBarButtonsToRemove: [...CONFIG.modeBarButtonsToRemove], responsive: false } };
}

// a long title on two lines rather than cut at the image's edge
function wrap(text, width) {
  if (text.length <= width) return text;
  const cut = text.lastIndexOf(" ", width);
  return `${text.slice(0, cut > 0 ? cut : width)}<br>${text.slice(cut > 0 ? cut + 1 : width)}`;
}

export async function chartImage(div, format, meta) {
  const P = await plotlyReady();
  const fig = exportFigure(div, meta);
  return P.toImage(fig, { format, width: fig.layout.width, height: fig.layout.height });
}

export async function downloadChart(div, format, meta, filename) {
  const url = await chartImage(div, format, meta);
  const a = document.createElement("a");
  a.href = url;
  a.download = `${filename}.${format}`;
  a.className = "visually-hidden";
  document.body.append(a);
  a.click();
  a.remove();
}

export function purge(div) {
  if (window.Plotly) Plotly.purge(div);
}
