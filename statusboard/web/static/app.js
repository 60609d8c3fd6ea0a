// The board's page: a verdict in words, the board as its LEDs show it, every target (problems first) with its
// last 24 hours and uptime, and one target's detail. Live from /events (Server-Sent Events, with a heartbeat):
// when the board goes quiet the page says so and greys what it shows.
// Everything that comes from outside (details, names) is set as text, never as HTML.
"use strict";

const DAY = 86400;
const QUIET = 9.5;          // seconds without a word (two heartbeats of 4 s, and some) before "no contact"
const RANK = { critical: 0, warning: 1, unknown: 2, transitional: 3, ok: 4 };
let doc = null;
let received = 0;           // performance.now() when doc came
let heard = null;           // performance.now() of the last word from the board (a document or a heartbeat)
let closed = false;         // the event stream is closed (the board is gone, or restarting)
let lost = null;            // performance.now() when contact was lost, while it is
let regained = 0;           // performance.now() when contact came back
let selected = null;        // the target whose detail is kept open
let previewed = null;       // the target under the pointer, shown until the pointer leaves the board
let historyOf = null;       // [name, answer] of the last history fetched for the detail
let summary = null;         // /api/history?limit=0: every target's bar and uptime
let summaryAt = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function setText(node, text) {  // only when it changed, so that a selection of the text survives an update
  if (node.dataset.text !== text) {
    node.dataset.text = text;
    wrapInto(node, text);
  }
}

function wrapInto(node, text) {  // text that may break after - _ / : and a dot before a letter (ids wrap there),
  // but not after a word's prefix of 1 to 3 characters: "i-0fa4ea2560aa17ffd" moves down whole, not "i-" and the rest
  const parts = String(text).split(/(?<=[-_/:])(?<!(?:^|\s)[^\s\-_/:]{1,3}[-_/:])|(?<=\.)(?=[A-Za-z])/);
  const nodes = [];
  parts.forEach((part, i) => { nodes.push(document.createTextNode(part)); if (i + 1 < parts.length) nodes.push(el("wbr")); });
  node.replaceChildren(...nodes);
}

function luminance(hex) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

function ink(hex) {  // black or white, whichever reads better on this colour (at least 4.5:1 on any colour)
  const l = luminance(hex);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

function chip(state, className) {  // a state's colour with its letter, readable on any colour
  const info = (doc && doc.states[state]) || { seen: "#5a5a5a", letter: "?" };
  const node = el("span", className || "chip", info.letter);
  node.style.backgroundColor = info.seen;
  node.style.color = ink(info.seen);
  node.setAttribute("aria-hidden", "true");
  return node;
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "not checked yet";
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

function ageNow(target) {
  if (target.age === null || target.age === undefined) return null;
  return target.age + (performance.now() - received) / 1000;
}

function rank(t) { return RANK[t.severity] === undefined ? 2 : RANK[t.severity]; }

function ordered() {  // problems first: critical, warning, unknown and stale, changing, then the healthy
  return [...doc.targets].sort((a, b) => rank(a) - rank(b) || a.pixel[1] - b.pixel[1] || a.pixel[0] - b.pixel[0]);
}

function verdict() {
  const problems = ordered().filter((t) => t.severity === "critical" || t.severity === "warning");
  const healthy = doc.targets.filter((t) => t.severity === "ok").length;
  const others = new Map();
  for (const t of doc.targets) {
    if (t.severity !== "ok" && t.severity !== "critical" && t.severity !== "warning") {
      others.set(t.state, (others.get(t.state) || 0) + 1);
    }
  }
  const rest = [...others.entries()].map(([s, n]) => `${n} ${s}`);
  let text;
  if (problems.length) {
    const named = problems.slice(0, 6).map((t) => `${t.name} ${t.state}`);
    if (problems.length > 6) named.push(`and ${problems.length - 6} more`);
    text = `${problems.length} problem${problems.length > 1 ? "s" : ""}: ${named.join(", ")}`;
    if (rest.length) text += `; also ${rest.join(", ")}`;
  } else if (healthy === doc.targets.length) {
    text = `all ${healthy} healthy`;
  } else {
    text = `no problems: ${healthy} healthy, ${rest.join(", ")}`;
  }
  const worst = ordered()[0];
  return { text, problems: problems.length, worst };
}

let grid = "";               // the shape the cells were made for
const cellAt = new Map();   // "x,y" -> its cell, made once per shape and updated in place
const targetAt = new Map(); // "x,y" -> the target there now

function makeGrid(board) {
  board.style.gridTemplateColumns = `repeat(${doc.width}, 1fr)`;
  cellAt.clear();
  const made = [];
  for (let y = 0; y < doc.height; y++) {
    for (let x = 0; x < doc.width; x++) {
      const key = `${x},${y}`;
      const cell = el("span", "pixel empty");
      cell.setAttribute("aria-hidden", "true");
      cellAt.set(key, cell);
      made.push(cell);
    }
  }
  board.replaceChildren(...made);
  grid = `${doc.width}x${doc.height}`;
}

function pixelFor(key, cell) {  // an empty place becomes a button when a target comes there
  if (cell.tagName === "BUTTON") return cell;
  const button = el("button", "pixel");
  button.type = "button";
  button.addEventListener("click", () => { const t = targetAt.get(key); if (t) select(t.name); });
  button.addEventListener("mouseenter", () => { const t = targetAt.get(key); if (t) preview(t.name); });
  cell.replaceWith(button);
  cellAt.set(key, button);
  return button;
}

function drawBoard() {
  const board = document.getElementById("board");
  if (grid !== `${doc.width}x${doc.height}`) makeGrid(board);
  targetAt.clear();
  for (const t of doc.targets) targetAt.set(`${t.pixel[0]},${t.pixel[1]}`, t);
  for (const [key, old] of cellAt) {
    const t = targetAt.get(key);
    if (t) {
      const cell = pixelFor(key, old);
      cell.className = "pixel" + (t.blinks ? " blinks" : "") + (t.name === selected ? " selected" : "");
      cell.style.backgroundColor = t.seen;
      cell.style.color = ink(t.seen);
      if (cell.textContent !== t.letter) cell.textContent = t.letter;
      cell.title = `${t.name}: ${t.state}: ${t.detail}`;
      cell.setAttribute("aria-label", `${t.name}: ${t.state}`);
      if (t.name === selected) cell.setAttribute("aria-current", "true"); else cell.removeAttribute("aria-current");
      cell.dataset.target = t.name;
      cell.dataset.state = t.state;
    } else if (old.tagName === "BUTTON") {
      const empty = el("span", "pixel empty");
      empty.setAttribute("aria-hidden", "true");
      old.replaceWith(empty);
      cellAt.set(key, empty);
    }
  }
}

const rowOf = new Map();    // target name -> its row, updated in place

function makeRow(name) {
  const row = el("tr");
  row.tabIndex = 0;
  row.dataset.target = name;
  for (const cls of ["state", "name", "text", "bar-cell", "uptime"]) row.appendChild(el("td", cls));
  row.addEventListener("click", () => select(name));
  row.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(name); }
  });
  return row;
}

function drawTable() {
  const body = document.querySelector("#legend tbody");
  const names = new Set(doc.targets.map((t) => t.name));
  for (const [name, row] of rowOf) if (!names.has(name)) { row.remove(); rowOf.delete(name); }
  const order = ordered();
  for (const t of order) {
    let row = rowOf.get(t.name);
    if (!row) { row = makeRow(t.name); rowOf.set(t.name, row); }
    const [state, name, text, barCell, uptime] = row.cells;
    if (state.dataset.text !== `${t.state}|${t.seen}|${t.letter}`) {
      state.dataset.text = `${t.state}|${t.seen}|${t.letter}`;
      const word = el("span");
      wrapInto(word, t.state);
      state.replaceChildren(chip(t.state), word);
    }
    setText(name, t.name);
    setText(text, t.detail);
    row.dataset.state = t.state;
    row.className = `sev-${t.severity}` + (t.name === selected ? " selected" : "");
    if (t.name === selected) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    drawBar(barCell, t.name);
    const up = summary && summary.targets[t.name] ? summary.targets[t.name].uptime : null;
    const said = up ? ["24h", "7d", "30d"].map((w) => percent(up[w])).join(" · ") : "no history";
    if (uptime.dataset.text !== said) {
      uptime.dataset.text = said;
      const parts = said.split(" · ").map((p, i) => el("span", "", (i ? "· " : "") + p));
      uptime.replaceChildren(...parts.flatMap((p, i) => (i ? [document.createTextNode(" "), p] : [p])));
    }
  }
  const now = [...body.children];
  if (now.length !== order.length || order.some((t, i) => now[i] !== rowOf.get(t.name))) {
    body.replaceChildren(...order.map((t) => rowOf.get(t.name)));
  }
}

function percent(share) {
  if (share === null || share === undefined) return "–";
  const p = share * 100;
  return p >= 99.995 ? "100%" : `${p.toFixed(p >= 99 ? 2 : 1)}%`;
}

function drawBar(cell, name) {
  const info = summary && summary.targets[name];
  const key = info ? `${summaryAt}` : "none";
  if (cell.dataset.text === key && cell.firstChild) return;
  cell.dataset.text = key;
  const bar = el("div", "bar");
  bar.setAttribute("role", "img");
  if (!info) { bar.setAttribute("aria-label", "no history yet"); cell.replaceChildren(bar); return; }
  const slot = summary.slot;
  let worst = null;
  info.bar.forEach((index, i) => {
    const span = el("span");
    const state = index >= 0 ? summary.states[index] : null;
    const from = new Date((summary.bar_end - (info.bar.length - i) * slot) * 1000);
    if (state) {
      const s = doc.states[state];
      span.style.backgroundColor = s ? s.seen : "#5a5a5a";
      span.dataset.state = state;
      if (!worst || RANK[(doc.states[state] || {}).severity] < RANK[(doc.states[worst] || {}).severity]) worst = state;
    }
    span.title = `${from.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${state || "no history"}`;
    bar.appendChild(span);
  });
  bar.setAttribute("aria-label", worst ? `last 24 hours, the worst: ${worst}` : "no history in the last 24 hours");
  cell.replaceChildren(bar);
}

function drawKey() {
  const list = document.getElementById("key-list");
  const key = Object.keys(doc.states).join("|") + Object.values(doc.states).map((s) => s.seen).join("");
  if (list.dataset.text === key) return;
  list.dataset.text = key;
  const names = Object.keys(doc.states).sort((a, b) =>
    (RANK[doc.states[a].severity] - RANK[doc.states[b].severity]) || a.localeCompare(b));
  list.replaceChildren(...names.map((name) => {
    const item = el("li");
    item.append(chip(name), document.createTextNode(` ${doc.states[name].letter} ${name}`));
    return item;
  }));
}

let shownStates = null;     // name -> state, to announce changes of state (not every update)
let verdictTitle = "statusboard";

function showTitle() {  // the tab says the verdict, and first that it is old when the board has gone quiet
  const title = (lost !== null ? "no contact · " : "") + verdictTitle;
  if (document.title !== title) document.title = title;
}

function unbroken(node, text) {  // a short word with a hyphen (a state: no-data, web-3) is never split across lines
  node.replaceChildren(...String(text).split(/(\s+)/).filter((w) => w).map((w) =>
    (w.includes("-") && w.length <= 24 ? el("span", "nowrap", w) : document.createTextNode(w))));
}

function announce(text) { document.getElementById("announce").textContent = text; }

function draw() {
  drawBoard();
  drawTable();
  drawKey();
  const v = verdict();
  const head = document.getElementById("verdict");
  if (head.textContent !== v.text) unbroken(head, v.text);
  head.className = v.worst ? `sev-${v.worst.severity}` : "";
  verdictTitle = (v.problems ? `${v.problems} problem${v.problems > 1 ? "s" : ""}` : "all healthy") + " · statusboard";
  showTitle();
  const icon = document.getElementById("favicon");
  const href = `/favicon.svg?c=${v.worst ? v.worst.seen.slice(1) : "808080"}`;
  if (icon.getAttribute("href") !== href) icon.setAttribute("href", href);
  const states = new Map(doc.targets.map((t) => [t.name, t.state]));
  if (shownStates) {
    const changed = doc.targets.filter((t) => shownStates.has(t.name) && shownStates.get(t.name) !== t.state);
    if (changed.length) {
      const said = changed.slice(0, 5).map((t) => `${t.name} ${t.state}, was ${shownStates.get(t.name)}`);
      if (changed.length > 5) said.push(`and ${changed.length - 5} more`);
      announce(`${said.join("; ")}. ${v.text}.`);
      fetchSummary(5000);
      const shown = previewed || selected;
      if (shown && changed.some((t) => t.name === shown)) setTimeout(() => fetchHistory(shown), 1500);  // kept by then
    }
  }
  shownStates = states;
  showDetail();
}

function select(name) {
  previewed = null;
  if (selected !== name) selected = name;
  draw();
  const close = document.getElementById("detail-close");
  if (document.activeElement === document.body) close.focus();
}

function preview(name) { previewed = name; showDetail(); }

function unpreview() { if (previewed) { previewed = null; showDetail(); } }

function closeDetail() {
  const was = selected;
  selected = null;
  previewed = null;
  draw();
  const row = was && rowOf.get(was);
  if (row && document.getElementById("detail").contains(document.activeElement)) row.focus();
}

function showDetail() {
  const name = previewed || selected;
  const t = doc && doc.targets.find((x) => x.name === name);
  const panel = document.getElementById("detail");
  if (!t) { panel.hidden = true; document.querySelector("main").classList.remove("open"); return; }
  panel.hidden = false;
  document.querySelector("main").classList.add("open");
  if (!historyOf || historyOf[0] !== name) fetchHistory(name);
  document.getElementById("detail-preview").hidden = !previewed || previewed === selected;
  setText(document.getElementById("detail-name"), t.name);
  const state = document.getElementById("detail-state");
  if (state.dataset.text !== `${t.state}|${t.seen}`) {
    state.dataset.text = `${t.state}|${t.seen}`;
    state.replaceChildren(chip(t.state), document.createTextNode(t.state));
  }
  document.getElementById("detail-kind").textContent = `${t.kind} · ${t.severity}`;
  setText(document.getElementById("detail-text"), t.detail);
  document.getElementById("detail-age").textContent = `result ${age(ageNow(t))}`;
  const up = summary && summary.targets[t.name];
  document.getElementById("detail-uptime").textContent = up
    ? `uptime ${percent(up.uptime["24h"])} over 24 h, ${percent(up.uptime["7d"])} over 7 days, ` +
      `${percent(up.uptime["30d"])} over 30 days` : "";
  drawHistory(name);
}

async function fetchHistory(name) {
  historyOf = [name, null];
  try {
    const answer = await fetch(`/api/history?target=${encodeURIComponent(name)}&since=${DAY}&limit=500`);
    const body = await answer.json();
    if (historyOf[0] === name) { historyOf = [name, body]; drawHistory(name); }
  } catch (e) {
    if (historyOf[0] === name) historyOf = [name, { changes: [] }];
  }
}

function drawHistory(name) {
  const strip = document.getElementById("strip");
  const list = document.getElementById("changes");
  const took = document.getElementById("took");
  if (!historyOf || historyOf[0] !== name || !historyOf[1]) { strip.replaceChildren(); list.replaceChildren(); took.replaceChildren(); return; }
  const answer = historyOf[1];
  if (strip.dataset.text === `${name}|${answer.changes.length}` && strip.firstChild) return;
  strip.dataset.text = `${name}|${answer.changes.length}`;
  const changes = answer.changes;
  const now = Date.now() / 1000;
  const start = now - DAY;
  const spans = [];
  for (let i = 0; i < changes.length; i++) {
    const from = Math.max(changes[i].at_unix, start);
    const to = i + 1 < changes.length ? changes[i + 1].at_unix : now;
    if (to <= start) continue;
    const span = el("span");
    const info = doc.states[changes[i].state];
    span.style.backgroundColor = info ? info.seen : "#5a5a5a";
    span.style.flexGrow = String(Math.max(to - from, 1));
    span.title = `${changes[i].at}: ${changes[i].state}: ${changes[i].detail}`;
    spans.push(span);
  }
  if (spans.length && changes[0].at_unix > start) {
    const before = el("span");
    before.style.flexGrow = String(changes[0].at_unix - start);
    spans.unshift(before);
  }
  strip.replaceChildren(...spans);
  strip.setAttribute("aria-label", `the last 24 hours: ${changes.length} change${changes.length === 1 ? "" : "s"} of state`);
  drawSparkline(took, answer.took || []);
  const items = changes.slice(-50).reverse().map((c) =>
    el("li", "", `${new Date(c.at_unix * 1000).toLocaleString()}: ${c.state}: ${c.detail}`));
  list.replaceChildren(...items);
}

function drawSparkline(box, points) {
  const title = document.getElementById("took-title");
  if (points.length < 2) { box.replaceChildren(el("p", "dim", points.length ? `${(points[0][1] * 1000).toFixed(0)} ms` : "no durations kept yet")); return; }
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 300 40");
  svg.setAttribute("preserveAspectRatio", "none");
  const t0 = points[0][0];
  const span = Math.max(points[points.length - 1][0] - t0, 1);
  const most = Math.max(...points.map((p) => p[1]), 1e-6);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.map((p) => `${((p[0] - t0) / span * 300).toFixed(1)},${(38 - p[1] / most * 36).toFixed(1)}`).join(" "));
  svg.appendChild(line);
  const ms = points.map((p) => p[1] * 1000);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `check durations of ${points.length} changes: ${Math.min(...ms).toFixed(0)} to ${Math.max(...ms).toFixed(0)} ms`);
  const said = el("p", "dim", `${Math.min(...ms).toFixed(0)} to ${Math.max(...ms).toFixed(0)} ms, latest ${ms[ms.length - 1].toFixed(0)} ms`);
  box.replaceChildren(svg, said);
  title.hidden = false;
}

let summaryDue = null;
function fetchSummary(delay) {
  if (summaryDue) return;
  summaryDue = setTimeout(async () => {
    summaryDue = null;
    try {
      const answer = await fetch("/api/history?limit=0");
      const body = await answer.json();
      if (body.targets) { summary = body; summaryAt = performance.now(); if (doc && doc.targets) draw(); }
    } catch (e) { /* said by the contact banner when the board is gone */ }
  }, delay);
}

function contact() {  // the age of what is shown, and a banner when the board has gone quiet
  const now = performance.now();
  const banner = document.getElementById("contact");
  const since = heard === null ? null : (now - heard) / 1000;
  const quiet = heard !== null && (closed || since > QUIET);
  if (quiet && lost === null) {
    lost = heard;
    document.body.classList.add("lost");
    announce("no contact with the board: what you see is old");
  } else if (!quiet && lost !== null) {
    banner.dataset.after = String(Math.round((now - lost) / 1000));
    lost = null;
    regained = now;
    document.body.classList.remove("lost");
    announce("contact with the board again");
  }
  if (lost !== null) {
    banner.hidden = false;
    banner.className = "banner lost";
    banner.textContent = `no contact with the board for ${Math.round((now - lost) / 1000)} s: what you see is old`;
  } else if (regained && now - regained < 10000) {
    banner.hidden = false;
    banner.className = "banner back";
    banner.textContent = `contact with the board again (after ${banner.dataset.after} s without): what you see is live`;
  } else {
    banner.hidden = true;
  }
  const updated = document.getElementById("updated");
  updated.textContent = since === null ? "no word from the board yet" : `updated ${age(since)}` +
    (doc && doc.served_at ? ` · board time ${doc.served_at.replace("T", " ").replace("Z", " UTC")}` : "");
  showTitle();
  const footer = document.getElementById("connection");
  footer.textContent = lost !== null ? "no contact: trying again every 2 s" : (closed ? "connecting…" : "live");
}

function listen() {
  const events = new EventSource("/events");
  events.onopen = () => { closed = false; };
  events.onmessage = (message) => {
    heard = performance.now();
    closed = false;
    const next = JSON.parse(message.data);
    if (!next.targets) return;
    doc = next;
    received = heard;
    if (!summary) fetchSummary(0);
    draw();
    contact();
  };
  events.addEventListener("heartbeat", () => { heard = performance.now(); closed = false; contact(); });
  events.onerror = () => { closed = true; contact(); };
}

document.addEventListener("keydown", (e) => { if (e.key === "Escape" && (selected || previewed)) closeDetail(); });
document.getElementById("detail-close").addEventListener("click", closeDetail);
document.getElementById("board").addEventListener("mouseleave", unpreview);
if (window.matchMedia("(max-width: 700px)").matches) document.getElementById("key").open = false;  // a phone: the table first
setInterval(() => { contact(); if (doc && (selected || previewed)) showDetail(); }, 1000);
setInterval(() => { if (doc) fetchSummary(0); }, 60000);
listen();
