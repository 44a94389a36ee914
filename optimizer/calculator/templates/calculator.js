// The calculator page: controls -> POST /api/solve; a long poll of /api/state shows the
// answers. Text from the workbook is only ever set as text; the report's sections come
// from the server already escaped.
"use strict";

const config = JSON.parse(document.getElementById("config").textContent);
const session = Array.from(crypto.getRandomValues(new Uint8Array(12)),
  (b) => b.toString(16).padStart(2, "0")).join("");
const ENV = [["onprem", "On-prem", "#2f6b9a"], ["cloud", "Cloud", "#e8862a"],
  ["api", "Token APIs", "#4e9a52"], ["edge", "Edge", "#9467bd"]];
const SETTINGS = { discount_rate: ["Discount rate", "a year (0.08 = 8 %)"],
  max_utilization: ["Max utilization", "of each rack (0.85 = 85 %)"],
  residual_value: ["Residual value", "of hardware at the end"] };
const money = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
let seq = 0;
let version = -1;
let current = { final: config.base, quick: null };
let pinned = null;
let sendTimer = null;

const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}
function usd(x) {
  if (x === null || x === undefined) return "–";
  const a = Math.abs(x);
  if (a >= 1e9) return (x / 1e9).toFixed(2) + " B";
  if (a >= 1e6) return (x / 1e6).toFixed(2) + " M";
  if (a >= 1e4) return (x / 1e3).toFixed(0) + " k";
  return money.format(x);
}
function pct(x, digits = 1) { return (x * 100).toFixed(digits) + " %"; }

// ---- controls ---------------------------------------------------------------------------
const byName = Object.fromEntries(config.controls.parameters.map((p) => [p.parameter, p]));
let rows = 0;

function addRow(parameter, target) {
  const p = byName[parameter];
  const i = rows++;
  const row = el("div", { class: "row", "data-row": String(i) });
  const head = el("div", { class: "row-head" });
  const which = el("select", { "aria-label": "parameter", class: "param" });
  for (const q of config.controls.parameters) {
    const option = el("option", { value: q.parameter, text: q.label });
    if (q.parameter === parameter) option.selected = true;
    which.append(option);
  }
  const where = el("select", { "aria-label": "target", class: "target" });
  const value = el("input", { type: "number", step: "any", min: "0", class: "value",
    "aria-label": "value" });
  const slider = el("input", { type: "range", min: "0", max: "3", step: "0.05",
    class: "slider", "aria-label": "slider" });
  const unit = el("span", { class: "unit" });
  const error = el("div", { class: "error", role: "alert" });
  function fill(name, chosen) {
    const q = byName[name];
    where.replaceChildren(el("option", { value: "*", text: "everywhere" }));
    for (const t of q.targets) {
      const option = el("option", { value: t.id, text: `${t.kind}: ${t.id}` });
      if (t.id === chosen) option.selected = true;
      where.append(option);
    }
    unit.textContent = q.unit;
    value.value = q.neutral === null ? "" : String(q.neutral);
    value.placeholder = q.neutral === null ? "unchanged" : "";
    slider.hidden = q.neutral === null;
    slider.value = q.neutral === null ? "1" : String(q.neutral);
  }
  fill(parameter, target);
  which.addEventListener("change", () => { fill(which.value, "*"); schedule(0); });
  where.addEventListener("change", () => schedule(0));
  value.addEventListener("change", () => { slider.value = value.value; schedule(0); });
  slider.addEventListener("input", () => { value.value = slider.value; schedule(120); });
  head.append(which, where);
  row.append(head, el("div", { class: "row-value" }, slider, value, unit), error);
  $("parameters").append(row);
}

function settingRow(name, spec) {
  const row = el("div", { class: "row", "data-setting": name });
  const label = el("label", { text: SETTINGS[name][0] });
  let input;
  if (spec.choices) {
    input = el("select", { class: "value", "aria-label": name });
    for (const c of spec.choices) {
      const option = el("option", { value: c, text: c.replace("_", " ") });
      if (c === spec.value) option.selected = true;
      input.append(option);
    }
  } else {
    input = el("input", { type: "number", step: "0.01", min: String(spec.min),
      max: String(spec.max), class: "value", "aria-label": name });
    input.value = String(spec.value);
  }
  input.addEventListener("change", () => schedule(0));
  row.append(label, input, el("span", { class: "unit", text: SETTINGS[name][1] }),
    el("div", { class: "error", role: "alert" }));
  $("settings").append(row);
}

function request() {
  const overrides = [];
  for (const row of document.querySelectorAll("#parameters .row")) {
    const raw = row.querySelector(".value").value.trim();
    const parameter = row.querySelector(".param").value;
    if (raw === "" || (byName[parameter].neutral !== null && Number(raw) === 1)) continue;
    overrides.push({ parameter, target: row.querySelector(".target").value,
      value: Number.isFinite(Number(raw)) ? Number(raw) : raw, row: row.dataset.row });
  }
  const settings = {};
  for (const row of document.querySelectorAll("#settings .row")) {
    const input = row.querySelector(".value");
    settings[row.dataset.setting] = input.tagName === "SELECT" ? input.value : Number(input.value);
  }
  return { overrides, settings };
}

function schedule(delay) {
  clearTimeout(sendTimer);
  sendTimer = setTimeout(send, delay);
}

function clearErrors() {
  for (const e of document.querySelectorAll(".error")) e.textContent = "";
}

function showErrors(errors, rowsSent) {
  for (const { field, message } of errors) {
    const [group, index] = field.split(".");
    let box = $("request-error");
    if (group === "overrides" && rowsSent[Number(index)] !== undefined) {
      const row = document.querySelector(`[data-row="${rowsSent[Number(index)]}"]`);
      if (row) box = row.querySelector(".error");
    } else if (group === "settings") {
      const row = document.querySelector(`[data-setting="${index}"]`);
      if (row) box = row.querySelector(".error");
    }
    box.textContent = message;
  }
}

async function post(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Calculator-Token": config.token },
    body: JSON.stringify({ session, ...body }),
  });
}

async function send() {
  const { overrides, settings } = request();
  const rowsSent = overrides.map((o) => o.row);
  const mine = ++seq;
  document.body.dataset.sent = String(mine);
  const answer = await post("/api/solve", {
    seq: mine, settings, overrides: overrides.map(({ row, ...o }) => o),
  });
  if (answer.status === 202) {
    clearErrors();
    setStatus("busy", "Solving…");
    return;
  }
  clearErrors();
  let body = { errors: [{ field: "request", message: `the server said ${answer.status}` }] };
  try { body = await answer.json(); } catch (e) { /* keep the status line */ }
  showErrors(body.errors || [], rowsSent);
  setStatus("bad", "Not solved: see the message beside the control");
}

// ---- answers ----------------------------------------------------------------------------
function setStatus(kind, text) {
  const pill = $("status");
  pill.className = `pill ${kind}`;
  pill.textContent = text;
}

function shown() {
  const final = current.final;
  if (current.solving && current.quick && current.quick.objective_usd !== undefined) {
    return current.quick;
  }
  return final;
}

function render(state) {
  current = state;
  // which change has its answer at once and which its final one (tests, benchmark)
  document.body.dataset.quick = state.quick ? String(state.seq) : "";
  document.body.dataset.final = state.solving ? "" : String(state.seq || 0);
  const figure = shown();
  const base = config.base;
  const total = $("total");
  if (figure && figure.objective_usd !== undefined) {
    total.textContent = `${money.format(figure.objective_usd)} ${config.currency}`;
    total.dataset.usd = String(figure.objective_usd);
    total.dataset.kind = state.solving && figure.kind === "final" ? "stale" : figure.kind;
    total.dataset.seq = String(state.seq || 0);
    total.classList.toggle("provisional", figure.kind !== "final");
    const d = figure.objective_usd - base.objective_usd;
    const sign = d > 0 ? "+" : d < 0 ? "−" : "±";
    $("delta").textContent = `${sign}${usd(Math.abs(d))} ${config.currency} ` +
      `(${sign}${pct(Math.abs(d) / base.objective_usd)}) against the workbook`;
    $("delta").className = `delta ${d > 0 ? "up" : d < 0 ? "down" : ""}`;
    cards(figure);
  }
  quality(state, figure);
  progress(state);
  if (!state.solving && state.final && state.final.kind === "final") {
    sections(state.final);
  }
  if (pinned) compare();
}

function cards(figure) {
  const box = $("cards");
  box.replaceChildren();
  const cash = el("div", { class: "card" }, el("div", { class: "k", text: "Cash, undiscounted" }),
    el("div", { class: "v", text: usd(figure.total_cost_usd) }),
    el("div", { class: "s", text: config.currency }));
  box.append(cash);
  for (const [key, label, color] of ENV) {
    const value = figure.by_env ? figure.by_env[key] : null;
    const share = figure.total_cost_usd ? value / figure.total_cost_usd : 0;
    box.append(el("div", { class: "card" },
      el("div", { class: "k" }, el("span", { class: "sw", style: `background:${color}` }),
        document.createTextNode(label)),
      el("div", { class: "v", text: usd(value) }),
      el("div", { class: "s", text: `${pct(share, 0)} of cash` })));
  }
}

function quality(state, figure) {
  const q = $("quality");
  if (state.error) {
    setStatus("bad", "Solve failed");
    q.textContent = `${state.error}. The figures shown are the last good answer.`;
    return;
  }
  if (state.solving) {
    setStatus("busy", "Solving in full…");
    $("changes-held").textContent = "These are the last final answer's decisions; the full " +
      "re-solve will update them.";
    if (state.quick && state.quick.objective_usd !== undefined) {
      const above = state.quick.above_bound;
      q.textContent = "At once: today's sites, racks and commitments held, operations " +
        "re-optimised" + (above === null || above === undefined ? "." :
        `: at most ${pct(above, 2)} above the best possible plan.`) +
        " The full re-solve is running and will replace these figures.";
    } else if (state.quick) {
      q.textContent = `At once: ${state.quick.message}.`;
    } else {
      q.textContent = "Solving…";
    }
    return;
  }
  const f = state.final;
  if (!f || f.objective_usd === undefined) {
    setStatus("bad", "No plan");
    q.textContent = (f && f.diagnosis && f.diagnosis.length) ?
      `No plan meets these figures: ${f.diagnosis.join("; ")}` : "No plan meets these figures.";
    return;
  }
  const gap = f.mip_gap === null ? "" : f.mip_gap < 5e-5 ? ", proven the best possible" :
    `, proven within ${pct(f.mip_gap, 2)} of the best possible`;
  setStatus("ok", f.status === "optimal" ? "Final · certified optimal" : `Final · ${f.status}`);
  q.textContent = `Final: the full plan re-solved and certified${gap} ` +
    `(${f.seconds.toFixed(1)} s). Changes: ${describe()}.`;
  const list = $("changes");
  list.replaceChildren();
  for (const c of f.changes_from_base || []) {
    list.append(el("li", { text: c.before === null ? c.decision :
      `${c.decision}: ${c.before} → ${c.after}` }));
  }
  if (!list.children.length) list.append(el("li", { text: "None: the workbook's plan holds." }));
  const held = f.changes_from_held || [];
  $("changes-held").textContent = held.length ? "The full re-solve changed the held plan: " +
    held.map((c) => `${c.decision} ${c.before ?? ""} → ${c.after ?? ""}`).join("; ") : "";
}

function progress(state) {
  // the full solve as it goes: HiGHS's best plan so far and its bound, never final
  const line = $("progress");
  const g = state.progress;
  line.hidden = !state.solving || !state.quick;
  if (line.hidden) return;
  if (!g || g.incumbent_usd === null) {
    line.textContent = "Full re-solve running: no complete plan found yet.";
    return;
  }
  const gap = g.bound_usd === null || g.bound_usd <= 0 ? "" :
    `, gap ${pct(Math.max(0, (g.incumbent_usd - g.bound_usd) / g.bound_usd), 2)} to the bound`;
  line.textContent = `Full re-solve running (${g.seconds.toFixed(0)} s): best plan found so far ` +
    `${money.format(g.incumbent_usd)} ${config.currency}${gap}. Best found so far, not final.`;
  line.dataset.usd = String(g.incumbent_usd);
}

function sections(final) {
  const parts = final.sections || {};
  for (const name of ["finance", "costs", "sites", "workloads"]) {
    $(name).innerHTML = parts[name] || "";  // rendered and escaped by the server
  }
}

async function poll() {
  for (;;) {
    try {
      const answer = await fetch(`/api/state?session=${session}&after=${version}`, {
        headers: { "X-Calculator-Token": config.token },
      });
      if (answer.ok) {
        const state = await answer.json();
        if (!state.unknown && state.version !== version) {
          version = state.version;
          if (state.seq === seq) render(state);
        }
        if (state.unknown) await new Promise((r) => setTimeout(r, 500));
      } else {
        await new Promise((r) => setTimeout(r, 1000));
      }
    } catch (e) {
      setStatus("bad", "The calculator's server is not answering");
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

// ---- pin, save, download ----------------------------------------------------------------
function describe() {
  // the current changes in words: "Cloud prices at aws × 1.43; Discount rate 0.066"
  const { overrides, settings } = request();
  const parts = overrides.map((o) => {
    const p = byName[o.parameter];
    const where = o.target === "*" ? "" : ` at ${o.target}`;
    return p.neutral === null ? `${p.label}${where} ${o.value} ${p.unit}` :
      `${p.label.replace(" ×", "")}${where} × ${o.value}`;
  });
  for (const [k, v] of Object.entries(settings)) {
    const spec = config.controls.settings[k];
    if (spec && String(spec.value) !== String(v)) parts.push(`${SETTINGS[k][0]} ${v}`);
  }
  return parts.join("; ") || "the workbook as it is";
}

function compare() {
  const now = shown();
  const t = $("compare");
  const rowsOut = [["", "pinned", "now", "change"]];
  const line = (label, a, b) => [label, usd(a), usd(b),
    a === undefined || b === undefined ? "" : (b - a >= 0 ? "+" : "−") + usd(Math.abs(b - a))];
  rowsOut.push(["what", pinned.what, describe(), ""]);
  rowsOut.push(line("total, discounted", pinned.figure.objective_usd, now.objective_usd));
  rowsOut.push(line("cash, undiscounted", pinned.figure.total_cost_usd, now.total_cost_usd));
  for (const [key, label] of ENV) {
    rowsOut.push(line(label, pinned.figure.by_env?.[key], now.by_env?.[key]));
  }
  t.replaceChildren(...rowsOut.map((r, i) => el("tr", {}, ...r.map((c, j) =>
    el(i === 0 || j === 0 ? "th" : "td", { text: c, class: j > 0 && i > 1 ? "n" : "" })))));
}

$("pin").addEventListener("click", () => {
  pinned = { figure: shown(), what: describe() };
  $("pinned").hidden = false;
  compare();
});
$("unpin").addEventListener("click", () => { pinned = null; $("pinned").hidden = true; });
$("reset").addEventListener("click", () => {
  $("parameters").replaceChildren();
  $("settings").replaceChildren();
  build();
  schedule(0);
});
$("add").addEventListener("click", () => addRow(config.controls.parameters[0].parameter, "*"));

$("save").addEventListener("click", async () => {
  $("save-error").textContent = "";
  $("save-done").textContent = "";
  const answer = await post("/api/save", { name: $("save-name").value, file: $("save-file").value,
    probability: config.probabilities ? $("save-probability").value : null });
  const body = await answer.json();
  if (answer.ok) $("save-done").textContent = `Saved ${body.name} beside the workbook.`;
  else $("save-error").textContent = body.errors.map((e) => e.message).join("; ");
});

$("download").addEventListener("click", async () => {
  $("download-error").textContent = "";
  $("download-note").textContent = "Solving as optimize does…";
  const answer = await post("/api/download", {});
  if (!answer.ok) {
    $("download-note").textContent = "";
    $("download-error").textContent = `the results could not be made (${answer.status})`;
    return;
  }
  const blob = await answer.blob();
  const name = (answer.headers.get("Content-Disposition") || "").split('"')[1] || "results.zip";
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  $("download-note").textContent = `Downloaded ${name}.`;
});

$("save-probability-label").hidden = !config.probabilities;

function build() {
  for (const p of config.controls.parameters) addRow(p.parameter, "*");
  for (const [name, spec] of Object.entries(config.controls.settings)) settingRow(name, spec);
}

build();
render({ final: config.base, quick: null, solving: false, seq: 0 });
poll();
