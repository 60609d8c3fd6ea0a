// The board's page: draws the board from /events (Server-Sent Events), as its LEDs show it, with each pixel's
// state in words, and a pixel's detail and 24-hour history when it is tapped or hovered.
// Everything that comes from outside (details, names) is set as text, never as HTML.
"use strict";

const DAY = 86400;
let doc = null;
let received = 0;          // performance.now() when doc came
let selected = null;       // the name of the target shown in the detail panel
let historyOf = null;      // [name, changes] of the last history fetched

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
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

let grid = "";               // the shape the cells were made for
const cellAt = new Map();   // "x,y" -> its button, made once per shape and updated in place
const targetAt = new Map(); // "x,y" -> the target there now

function makeGrid(board) {
  board.style.gridTemplateColumns = `repeat(${doc.width}, 1fr)`;
  cellAt.clear();
  const made = [];
  for (let y = 0; y < doc.height; y++) {
    for (let x = 0; x < doc.width; x++) {
      const key = `${x},${y}`;
      const cell = el("button", "pixel empty");
      cell.type = "button";
      cell.addEventListener("click", () => { const t = targetAt.get(key); if (t) select(t.name); });
      cell.addEventListener("mouseenter", () => { const t = targetAt.get(key); if (t) select(t.name); });
      cellAt.set(key, cell);
      made.push(cell);
    }
  }
  board.replaceChildren(...made);
  grid = `${doc.width}x${doc.height}`;
}

function draw() {
  const board = document.getElementById("board");
  if (grid !== `${doc.width}x${doc.height}`) makeGrid(board);
  targetAt.clear();
  for (const t of doc.targets) targetAt.set(`${t.pixel[0]},${t.pixel[1]}`, t);
  for (const [key, cell] of cellAt) {
    const t = targetAt.get(key);
    if (t) {
      cell.className = "pixel" + (t.blinks ? " blinks" : "") + (t.name === selected ? " selected" : "");
      cell.style.backgroundColor = t.seen;
      cell.textContent = t.letter;
      cell.title = `${t.name}: ${t.state}: ${t.detail}`;
      cell.setAttribute("aria-label", `${t.name}: ${t.state}`);
      cell.dataset.target = t.name;
      cell.dataset.state = t.state;
      cell.disabled = false;
    } else {
      cell.className = "pixel empty";
      cell.style.backgroundColor = "";
      cell.textContent = "";
      cell.title = "";
      cell.setAttribute("aria-label", `no target at ${key}`);
      delete cell.dataset.target;
      delete cell.dataset.state;
      cell.disabled = true;
    }
  }

  const rows = doc.targets.map((t) => {
    const row = el("tr");
    row.dataset.target = t.name;
    row.appendChild(el("td", "", `[${t.pixel[0]},${t.pixel[1]}]`));
    row.appendChild(el("td", "", t.name));
    const state = el("td", "state");
    const swatch = el("span", "swatch");
    swatch.style.backgroundColor = t.seen;
    state.append(swatch, document.createTextNode(t.state));
    row.appendChild(state);
    row.appendChild(el("td", "", t.detail));
    row.addEventListener("click", () => select(t.name));
    return row;
  });
  document.querySelector("#legend tbody").replaceChildren(...rows);

  const counts = new Map();
  for (const t of doc.targets) counts.set(t.state, (counts.get(t.state) || 0) + 1);
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${n} ${s}`);
  document.getElementById("summary").textContent =
    `${doc.targets.length} targets: ${parts.join(", ")}` + (doc.warnings.length ? `; ${doc.warnings.join("; ")}` : "");
  if (selected) showDetail();
}

function select(name) {
  if (selected !== name) {
    selected = name;
    historyOf = null;
    fetchHistory(name);
  }
  for (const cell of document.querySelectorAll(".pixel.selected")) cell.classList.remove("selected");
  const cell = document.querySelector(`.pixel[data-target="${CSS.escape(name)}"]`);
  if (cell) cell.classList.add("selected");
  showDetail();
}

function showDetail() {
  const t = doc.targets.find((x) => x.name === selected);
  const panel = document.getElementById("detail");
  if (!t) { panel.hidden = true; return; }
  panel.hidden = false;
  document.getElementById("detail-name").textContent = t.name;
  const state = document.getElementById("detail-state");
  const swatch = el("span", "swatch");
  swatch.style.backgroundColor = t.seen;
  state.replaceChildren(swatch, document.createTextNode(t.state));
  document.getElementById("detail-kind").textContent = `${t.kind} · ${t.severity}`;
  document.getElementById("detail-text").textContent = t.detail;
  document.getElementById("detail-age").textContent = `result ${age(ageNow(t))}`;
  drawHistory();
}

async function fetchHistory(name) {
  try {
    const answer = await fetch(`/api/history?target=${encodeURIComponent(name)}&since=${DAY}`);
    const body = await answer.json();
    if (selected === name) {
      historyOf = [name, body.changes || []];
      drawHistory();
    }
  } catch (e) {
    historyOf = [name, []];
  }
}

function drawHistory() {
  const strip = document.getElementById("strip");
  const list = document.getElementById("changes");
  if (!historyOf || historyOf[0] !== selected) { strip.replaceChildren(); list.replaceChildren(); return; }
  const changes = historyOf[1];
  const now = Date.now() / 1000;
  const start = now - DAY;
  const spans = [];
  for (let i = 0; i < changes.length; i++) {
    const from = Math.max(changes[i].at_unix, start);
    const to = i + 1 < changes.length ? changes[i + 1].at_unix : now;
    if (to <= start) continue;
    const span = el("span");
    const info = doc.states[changes[i].state];
    span.style.backgroundColor = info ? info.seen : "#555";
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
  const items = changes.slice(-50).reverse().map((c) =>
    el("li", "", `${c.at.replace("T", " ").replace("Z", " UTC")}: ${c.state}: ${c.detail}`));
  list.replaceChildren(...items);
}

function listen() {
  const events = new EventSource("/events");
  const status = document.getElementById("connection");
  events.onmessage = (message) => {
    doc = JSON.parse(message.data);
    received = performance.now();
    if (!doc.targets) return;
    status.textContent = `live · ${doc.served_at || ""}`;
    status.classList.remove("lost");
    draw();
  };
  events.onerror = () => {
    status.textContent = "connection lost: trying again";
    status.classList.add("lost");
  };
}

setInterval(() => { if (doc && selected) showDetail(); }, 1000);
listen();
