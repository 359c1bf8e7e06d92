// Shared helpers: the API client (public routes only), DOM building, number formats, announcements.

const KEY = "invest-api-key";

export class ApiError extends Error {
  constructor(status, detail, path) {
    super(describe(detail) || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
    this.path = path;
  }
}

// A FastAPI error body in plain words: a string, {message/msg}, or a list of {loc, msg}.
export function describe(detail) {
  if (detail == null) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((e) => `${(e.loc || []).filter((p) => p !== "body").join(".")}: ${e.msg}`).join("\n");
  }
  if (typeof detail === "object") return detail.message || detail.msg || JSON.stringify(detail);
  return String(detail);
}

function headers(extra = {}) {
  const h = { Accept: "application/json", ...extra };
  const key = sessionStorage.getItem(KEY);
  if (key) h["X-API-Key"] = key;
  return h;
}

let keyWaiters = [];
export function setKey(key) {
  sessionStorage.setItem(KEY, key);
  const waiting = keyWaiters;
  keyWaiters = [];
  waiting.forEach((resolve) => resolve());
}

// The API does not answer (stopped, restarting, network down): said in words, never "Failed to fetch".
export class NetworkError extends Error {
  constructor(path) {
    super(`The API on this server does not answer (${path.split("?")[0]}): it may be stopped or restarting. The page retries on its own; or press Retry.`);
    this.path = path;
    this.network = true;
  }
}

async function send(path, init, retry = true) {
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new NetworkError(path);
  }
  if (res.status === 401 && retry) {
    // the API needs a read key: ask once, then repeat the request with it
    const form = document.getElementById("key-form");
    form.hidden = false;
    announce("This server needs an API key: enter it at the top right.");
    document.getElementById("api-key").focus();
    await new Promise((resolve) => keyWaiters.push(resolve));
    return send(path, { ...init, headers: headers(init.headers && init.headers["Content-Type"] ? { "Content-Type": "application/json" } : {}) }, false);
  }
  return res;
}

// Worth trying again later: no answer at all, or the server says it is not ready (503) or overloaded (429).
export function transient(err) {
  return Boolean(err && (err.network || (err instanceof ApiError && [429, 502, 503, 504].includes(err.status))));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Run `task` until it succeeds; transient failures wait 1, 2, 4 ... 15 s (onWait says how long), others throw.
export async function withRetry(task, { onWait = () => {}, tries = Infinity, signal = null } = {}) {
  let wait = 1000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task();
    } catch (err) {
      // no answer at all: keep trying (the API is restarting); a 503/429 answer: a few times only
      if (!transient(err) || attempt >= tries || (!err.network && attempt >= 4) || (signal && signal.aborted)) throw err;
      onWait(err, wait);
      await sleep(wait);
      wait = Math.min(wait * 2, 15000);
    }
  }
}

async function errorOf(res, path) {
  let detail = null;
  try {
    detail = (await res.json()).detail;
  } catch {
    detail = res.statusText;
  }
  return new ApiError(res.status, detail, path);
}

export async function getJSON(path) {
  const res = await send(path, { headers: headers() });
  if (!res.ok) throw await errorOf(res, path);
  return res.json();
}

export async function postJSON(path, body) {
  const init = { method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body) };
  const res = await send(path, init);
  if (!res.ok) throw await errorOf(res, path);
  return res.json();
}

export async function getBlob(path, accept = "*/*") {
  const res = await send(path, { headers: headers({ Accept: accept }) });
  if (!res.ok) throw await errorOf(res, path);
  return res.blob();
}

// ---- DOM ------------------------------------------------------------------------------------------------
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c != null));
  return node;
}

export function option(value, label, selected = false) {
  const o = el("option", { value }, label);
  if (selected) o.selected = true;
  return o;
}

// A table with a caption, header cells and rows of cells ({text, class} or plain values).
export function table(caption, head, rows, opts = {}) {
  const thead = el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", class: h.class }, h.text ?? h))));
  const tbody = el(
    "tbody",
    {},
    rows.map((r) =>
      el(
        "tr",
        { class: r.class },
        (r.cells || r).map((c, i) => {
          const cell = c && typeof c === "object" && !(c instanceof Node) ? c : { text: c };
          const tag = i === 0 && opts.rowHeaders ? "th" : "td";
          const node = el(tag, { class: cell.class, scope: tag === "th" ? "row" : null });
          if (cell.node) node.append(cell.node);
          else node.textContent = cell.text ?? "";
          return node;
        }),
      ),
    ),
  );
  return el("table", { class: opts.class }, el("caption", {}, caption), thead, tbody);
}

// ---- numbers --------------------------------------------------------------------------------------------
const plain = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });
const sig = new Intl.NumberFormat("en-GB", { maximumSignificantDigits: 4 });

export function num(v) {
  if (v == null || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e12) return `${sig.format(v / 1e12)} tn`;
  if (a >= 1e9) return `${sig.format(v / 1e9)} bn`;
  if (a >= 1e6 && a < 1e9) return `${sig.format(v / 1e6)} m`;
  if (a >= 1000) return plain.format(Math.round(v));
  return sig.format(v);
}

export function signed(v) {
  if (v == null || Number.isNaN(v)) return "–";
  return (v > 0 ? "+" : v < 0 ? "−" : "") + num(Math.abs(v));
}

export function pct(v, digits = 2) {
  if (v == null || Number.isNaN(v)) return "–";
  return `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(v).toFixed(digits)}%`;
}

export function range(lo, hi) {
  if (lo == null || hi == null) return "–";
  return `${signed(lo)} to ${signed(hi)}`;
}

// ---- feedback ---------------------------------------------------------------------------------------------
export function announce(text) {
  const s = document.getElementById("status");
  s.textContent = "";
  // a fresh text node after a tick, so screen readers announce a repeated message too
  setTimeout(() => {
    s.textContent = text;
  }, 30);
}

// Errors go to the alert box of the view they belong to (one per view), so one view's failure is never
// shown in another; `retry` adds a Retry button that clears the box and runs it again.
function alertBox(view) {
  return document.getElementById(view ? `alert-${view}` : "alert") || document.getElementById("alert");
}

export function showError(err, where = "", view = null, retry = null) {
  const box = alertBox(view);
  box.hidden = false;
  const text = `${where ? where + ": " : ""}${err && err.message ? err.message : err}`;
  clear(box, el("span", {}, text));
  if (retry) {
    box.append(
      " ",
      el("button", {
        type: "button",
        class: "retry",
        onclick: () => {
          clearError(view);
          retry();
        },
      }, "Retry"),
    );
  }
}

export function clearError(view = null) {
  const box = alertBox(view);
  box.hidden = true;
  box.textContent = "";
}

// A busy button and status line that are always put back, however the task ends.
export async function busy(button, text, task) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = text;
  try {
    return await task();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename, class: "visually-hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

export function slug(text) {
  return String(text).replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "") || "chart";
}
