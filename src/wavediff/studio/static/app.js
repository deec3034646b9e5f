// WaveDiff Studio page: five panels over the HTTP API (see /docs). No build step.
"use strict";

const $ = (sel) => document.querySelector(sel);
let OPTIONS = null;

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, options = {}) {
  const init = { headers: { "Content-Type": "application/json" }, ...options };
  const response = await fetch(path, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = Array.isArray(body.detail)
      ? body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ")
      : body.detail || response.statusText;
    throw new Error(detail);
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function badge(status) {
  return el("span", { class: `badge ${status}`, text: status });
}

function fmt(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return String(value).replace("T", " ").slice(0, 19);
}

function table(target, rows, columns) {
  const head = el("tr", {}, ...columns.map(([label]) => el("th", { text: label })));
  const body = rows.map((row) => el("tr", {}, ...columns.map(([, render]) => {
    const value = render(row);
    return el("td", {}, value instanceof Node ? value : fmt(value));
  })));
  target.replaceChildren(head, ...body);
}

function link(url, text) {
  return url ? el("a", { href: url, target: "_blank", text }) : "";
}

// ---- tabs -------------------------------------------------------------------------------
for (const tab of document.querySelectorAll("button.tab")) {
  tab.addEventListener("click", () => {
    document.querySelectorAll("button.tab").forEach((t) => t.classList.toggle("active", t === tab));
    document.querySelectorAll(".panel").forEach((p) => { p.hidden = p.id !== `panel-${tab.dataset.panel}`; });
    showError("");
    refresh(tab.dataset.panel);
  });
}

function refresh(panel) {
  const actions = { data: loadDataRuns, train: async () => {}, generate: loadGenerate, history: loadHistory,
    reports: loadReports };
  return actions[panel]().catch((e) => showError(e.message));
}

// ---- data -------------------------------------------------------------------------------
function renderSimulatorParams() {
  const model = $("#data-model").value;
  const sim = OPTIONS.simulators[model];
  $("#data-params").replaceChildren(...sim.params.map((p) => el("label", { title: p.help },
    p.name, el("input", { name: `param.${p.name}`, type: "number", step: "any", value: p.default })
  )));
  $("#data-facts").textContent = `Stylized facts: ${sim.facts}`;
}

function drawPreview(close) {
  const svg = $("#data-preview");
  const lo = Math.min(...close), hi = Math.max(...close);
  const points = close.map((v, i) => `${(i / (close.length - 1)) * 800},${210 - ((v - lo) / (hi - lo || 1)) * 200}`);
  svg.innerHTML = `<polyline fill="none" stroke="#2f5fd0" stroke-width="1.5" points="${points.join(" ")}"/>` +
    `<text x="6" y="16" font-size="12" fill="#667085">${hi.toFixed(2)}</text>` +
    `<text x="6" y="214" font-size="12" fill="#667085">${lo.toFixed(2)}</text>`;
}

async function loadDataRuns() {
  const rows = await api("/api/runs/data");
  table($("#data-runs"), rows, [
    ["id", (r) => r.id], ["status", (r) => badge(r.status)], ["source", (r) => r.source],
    ["rows", (r) => r.n_rows], ["created", (r) => r.created_at],
    ["CSV", (r) => link(r.output_path_url, "csv")],
    ["preview", (r) => {
      if (!r.output_path_url) return "";
      const b = el("button", { type: "button", text: "plot" });
      b.addEventListener("click", async () => drawPreview((await api(`/api/data/${r.id}/preview`)).close));
      return b;
    }],
    ["", (r) => {
      if (!r.output_path_url || r.status !== "finished") return "";
      const b = el("button", { type: "button", text: "train on it", class: "train-on" });
      b.addEventListener("click", () => trainOnDataRun(r.id));
      return b;
    }],
  ]);
}

$("#data-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const params = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith("param.") && value !== "") params[key.slice(6)] = Number(value);
  }
  const body = { model: form.get("model"), days: Number(form.get("days")), bar_minutes: Number(form.get("bar_minutes")),
                 seed: Number(form.get("seed")), params };
  $("#data-submit").disabled = true;
  $("#data-status").textContent = "simulating…";
  try {
    const run = await api("/api/data", { method: "POST", body: JSON.stringify(body) });
    $("#data-status").textContent = `data run ${run.id}: ${run.n_rows} bars`;
    drawPreview((await api(`/api/data/${run.id}/preview`)).close);
    showError("");
    await loadDataRuns();
  } catch (e) {
    $("#data-status").textContent = "";
    showError(e.message);
  } finally {
    $("#data-submit").disabled = false;
  }
});

// ---- train ------------------------------------------------------------------------------
function renderTrainGroups() {
  $("#train-groups").replaceChildren(...Object.entries(OPTIONS.groups).map(([group, choices]) => el("label", {},
    group, el("select", { name: `group.${group}` }, ...choices.map((c) => {
      const option = el("option", { value: c, text: c });
      if (c === OPTIONS.defaults[group]) option.selected = true;
      return option;
    }))
  )));
}

function trainOverrides(form) {
  const overrides = [];
  for (const [key, value] of form.entries()) {
    if (key.startsWith("group.")) {
      const group = key.slice(6);
      if (value !== OPTIONS.defaults[group]) overrides.push(`${group}=${value}`);
    } else if (key === "extra") {
      overrides.push(...String(value).split("\n").map((s) => s.trim()).filter(Boolean));
    } else if (value !== "") {
      overrides.push(`${key}=${value}`);
    }
  }
  return overrides;
}

let currentJob = null;
let logSource = null;

async function pollJob() {
  if (currentJob === null) return;
  const job = await api(`/api/train/${currentJob}`);
  const run = job.run;
  const text = run
    ? `job ${job.job} · train run ${run.id} · ${run.status} · epochs ${run.epochs_completed}` +
      (run.final_val_loss != null ? ` · val/loss ${run.final_val_loss.toFixed(4)}` : "")
    : `job ${job.job} · starting`;
  $("#train-status").replaceChildren(text, " ", badge(run ? run.status : "running"));
  $("#train-status").dataset.status = run ? run.status : "running";
  $("#train-stop").hidden = !job.running;
  if (job.running || (run && run.status === "running")) setTimeout(pollJob, 1000);
}

// Start a training (form or "train on it") and follow its log in the Train panel.
async function startTraining(body) {
  $("#train-submit").disabled = true;
  try {
    const job = await api("/api/train", { method: "POST", body: JSON.stringify(body) });
    showError("");
    currentJob = job.job;
    $("#train-log").textContent = `$ train.py ${job.overrides.join(" ")}\n`;
    if (logSource) logSource.close();
    logSource = new EventSource(`/api/train/${job.job}/log`);
    logSource.onmessage = (m) => {
      const log = $("#train-log");
      log.textContent += m.data + "\n";
      log.scrollTop = log.scrollHeight;
    };
    logSource.addEventListener("end", () => { logSource.close(); pollJob(); });
    pollJob();
  } catch (e) {
    showError(e.message);
  } finally {
    $("#train-submit").disabled = false;
  }
}

$("#train-form").addEventListener("submit", (event) => {
  event.preventDefault();
  startTraining({ overrides: trainOverrides(new FormData(event.target)) });
});

// One click from the Data panel: the data run's CSV with the Train form's other settings.
function trainOnDataRun(runId) {
  document.querySelector('button.tab[data-panel="train"]').click();
  const overrides = trainOverrides(new FormData($("#train-form"))).filter((o) => !o.startsWith("data="));
  startTraining({ overrides, data_run_id: runId });
}

$("#train-stop").addEventListener("click", async () => {
  try {
    await api(`/api/train/${currentJob}/stop`, { method: "POST" });
  } catch (e) {
    showError(e.message);
  }
});

// ---- generate ---------------------------------------------------------------------------
function openLightbox(src) {
  $("#lightbox img").src = src;
  $("#lightbox").hidden = false;
}
$("#lightbox").addEventListener("click", () => { $("#lightbox").hidden = true; });

function thumb(url, alt) {
  const img = el("img", { src: url, alt, loading: "lazy" });
  img.addEventListener("click", () => openLightbox(url));
  return img;
}

async function loadGenerate() {
  const runs = (await api("/api/runs/train")).filter((r) => r.status === "finished" && r.checkpoint_path);
  const select = $("#gen-run");
  const previous = select.value;
  select.replaceChildren(...runs.map((r) => el("option", { value: r.id,
    text: `run ${r.id} · ${r.model_name || "?"} · ${r.epochs_completed} epochs · val ${fmt(r.final_val_loss)}` })));
  if (previous) select.value = previous;
  const gens = await api("/api/runs/generation");
  $("#gallery").replaceChildren(...gens.filter((g) => g.png_path_url).map((g) => el("figure", {},
    thumb(g.png_path_url, `generation ${g.id}`),
    el("figcaption", {}, `#${g.id} · run ${g.train_run_id} · ${g.sampler} · ${g.n_samples} series `,
      link(g.npz_path_url, "npz"))
  )));
}

$("#gen-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { train_run_id: Number(form.get("train_run_id")), sampler: form.get("sampler"), n: Number(form.get("n")) };
  if (form.get("steps")) body.steps = Number(form.get("steps"));
  if (form.get("churn")) body.churn = Number(form.get("churn"));
  if (form.get("history")) { body.history = form.get("history"); body.horizon = Number(form.get("horizon")) || null; }
  $("#gen-submit").disabled = true;
  $("#gen-status").textContent = "sampling…";
  try {
    const gen = await api("/api/generate", { method: "POST", body: JSON.stringify(body) });
    showError("");
    $("#gen-status").replaceChildren(`generation ${gen.id}: ${gen.n_samples} series, ${gen.network_evals} network calls each · `,
      link(gen.npz_path_url, "download .npz"));
    $("#gen-latest").replaceChildren(thumb(gen.png_path_url, "scalogram"),
      thumb(gen.paths_png_path_url, body.history ? `fan chart after the ${body.history} split` : "price paths"));
    await loadGenerate();
  } catch (e) {
    $("#gen-status").textContent = "";
    showError(e.message);
  } finally {
    $("#gen-submit").disabled = false;
  }
});

// ---- history ----------------------------------------------------------------------------
let historyKind = "train";
for (const sub of document.querySelectorAll("button.subtab")) {
  sub.addEventListener("click", () => {
    historyKind = sub.dataset.kind;
    document.querySelectorAll("button.subtab").forEach((s) => s.classList.toggle("active", s === sub));
    loadHistory().catch((e) => showError(e.message));
  });
}

const compared = new Map();  // train run id -> row, at most two

function compareBox(row) {
  const box = el("input", { type: "checkbox", "aria-label": `compare run ${row.id}` });
  box.checked = compared.has(row.id);
  box.addEventListener("change", () => {
    if (box.checked) compared.set(row.id, row); else compared.delete(row.id);
    while (compared.size > 2) compared.delete(compared.keys().next().value);
    renderCompare();
    loadHistory().catch((e) => showError(e.message));
  });
  return box;
}

function renderCompare() {
  const runs = [...compared.values()];
  $("#history-compare").hidden = runs.length !== 2;
  if (runs.length !== 2) return;
  const fields = [["model", (r) => r.model_name], ["epochs", (r) => r.epochs_completed],
    ["val/loss", (r) => r.final_val_loss], ["train/loss", (r) => r.final_train_loss]];
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const rows = [...fields, ...metrics.map((m) => [m, (r) => r.metrics[m]])];
  const head = el("tr", {}, el("th", { text: "" }), ...runs.map((r) => el("th", { text: `run ${r.id}` })));
  $("#compare-table").replaceChildren(head, ...rows.map(([label, get]) =>
    el("tr", {}, el("td", { text: label }), ...runs.map((r) => el("td", { text: fmt(get(r)) })))));
}

const HISTORY_COLUMNS = {
  train: [["compare", compareBox], ["id", (r) => r.id], ["status", (r) => badge(r.status)], ["model", (r) => r.model_name],
    ["epochs", (r) => r.epochs_completed], ["val/loss", (r) => r.final_val_loss],
    ["KS", (r) => r.metrics.ks], ["kurtosis", (r) => r.metrics.excess_kurtosis],
    ["created", (r) => r.created_at], ["finished", (r) => r.finished_at],
    ["TensorBoard", (r) => r.tensorboard_dir || ""], ["error", (r) => r.error || ""]],
  data: [["id", (r) => r.id], ["status", (r) => badge(r.status)], ["source", (r) => r.source],
    ["rows", (r) => r.n_rows], ["created", (r) => r.created_at], ["CSV", (r) => link(r.output_path_url, "csv")]],
  generation: [["id", (r) => r.id], ["status", (r) => badge(r.status)], ["train run", (r) => r.train_run_id],
    ["epoch", (r) => r.epoch], ["sampler", (r) => r.sampler], ["series", (r) => r.n_samples],
    ["KS", (r) => r.metrics.ks], ["created", (r) => r.created_at],
    ["images", (r) => el("span", {}, link(r.png_path_url, "scalogram"), " ", link(r.paths_png_path_url, "paths"))],
    ["npz", (r) => link(r.npz_path_url, "npz")]],
  sweep: [["id", (r) => r.id], ["status", (r) => badge(r.status)], ["study", (r) => r.study_name],
    ["objective", (r) => r.objective], ["trials", (r) => r.n_complete], ["best", (r) => r.best_value],
    ["best params", (r) => JSON.stringify(r.best_params || {})], ["created", (r) => r.created_at]],
};

async function loadHistory() {
  const summary = await api("/api/summary");
  $("#summary").replaceChildren(...Object.entries(summary).map(([kind, counts]) => el("div", {},
    el("strong", { text: `${kind}: ${counts.total}` }), " ",
    Object.entries(counts).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v}`).join(" · "))));
  const rows = await api(`/api/runs/${historyKind}`);
  table($("#history-table"), rows, HISTORY_COLUMNS[historyKind]);
}

// ---- reports ----------------------------------------------------------------------------
let REPORTS = { evaluations: [], benchmarks: [] };

function ratioText(value) {
  if (value === null || value === undefined) return "-";
  return Number.isFinite(value) ? value.toFixed(2) : "inf";
}

async function loadReports() {
  REPORTS = await api("/api/reports");
  const fill = (select, items, label) => {
    const previous = select.value;
    select.replaceChildren(...items.map((item, i) => el("option", { value: String(i), text: label(item) })));
    if (previous && Number(previous) < items.length) select.value = previous;
  };
  fill($("#benchmark-select"), REPORTS.benchmarks,
    (b) => `${b.suite} · ${b.datasets.length} data sets × ${b.generators.length} generators · ${fmt(b.modified)}`);
  fill($("#report-select"), REPORTS.evaluations, (r) => `${r.title} · ${r.sets.join(", ")} · ${fmt(r.modified)}`);
  $("#benchmark-view").hidden = !REPORTS.benchmarks.length;
  $("#report-view").hidden = !REPORTS.evaluations.length;
  if (REPORTS.benchmarks.length) await showBenchmark();
  if (REPORTS.evaluations.length) await showReport();
}

async function showBenchmark() {
  const item = REPORTS.benchmarks[Number($("#benchmark-select").value || 0)];
  const summary = await api(item.url);
  $("#benchmark-title").textContent = `Benchmark: suite ${summary.suite}`;
  $("#benchmark-note").textContent = `median / max over ${summary.n_metrics} distances of value ÷ noise floor; ` +
    `n = ${summary.n} per cell, seeds ${summary.seeds.join(", ")}, commit ${String(summary.commit).slice(0, 10)}; ` +
    "bold: the best generator that does not know the true law.";
  const head = el("tr", {}, el("th", { text: "data" }), ...summary.generators.map((g) => el("th", { text: g })));
  const rows = Object.entries(summary.rows).map(([dataset, row]) => {
    const contenders = summary.generators.filter((g) => row[g] && !row[g].oracle && row[g].applies !== false);
    const best = contenders.sort((a, b) => row[a].median_ratio - row[b].median_ratio)[0];
    return el("tr", {}, el("td", { text: dataset }), ...summary.generators.map((g) => {
      const cell = row[g];
      const text = !cell ? "-" : cell.applies === false ? "n/a"
        : `${ratioText(cell.median_ratio)} / ${ratioText(cell.max_ratio)}`;
      const td = el("td", { text });
      if (g === best) td.classList.add("best");
      return td;
    }));
  });
  $("#benchmark-table").replaceChildren(head, ...rows);
  const verdicts = Object.entries(summary.verdicts).flatMap(([dataset, byGen]) =>
    Object.entries(byGen).map(([gen, v]) => ({ dataset, gen, ...v })));
  table($("#benchmark-verdicts"), verdicts, [["data", (v) => v.dataset], ["WaveDiff", (v) => v.gen],
    ["versus", (v) => v.versus], ["better", (v) => v.better], ["same", (v) => v.same], ["worse", (v) => v.worse]]);
  $("#benchmark-verdicts").hidden = !verdicts.length;  // only WaveDiff generators get verdicts
}

async function showReport() {
  const item = REPORTS.evaluations[Number($("#report-select").value || 0)];
  const report = await api(item.url);
  const sets = Object.keys(report.results);
  const metrics = Object.keys(report.results[sets[0]].metrics);
  $("#report-title").textContent = `Evaluation of ${item.title}`;
  const head = el("tr", {}, el("th", { text: "metric" }), ...sets.map((s) => el("th", { text: s })));
  const rows = metrics.map((m) => {
    const ratios = sets.map((s) => report.results[s].metrics[m].ratio);
    const best = Math.min(...ratios.filter(Number.isFinite));
    return el("tr", {}, el("td", { text: m }), ...sets.map((s, i) => {
      const cell = report.results[s].metrics[m];
      const td = el("td", { text: ratioText(cell.ratio), title: `value ${fmt(cell.value)}, floor ${fmt(cell.floor)}` });
      if (sets.length > 1 && ratios[i] === best) td.classList.add("best");
      return td;
    }));
  });
  $("#report-table").replaceChildren(head, ...rows);
  const verdicts = report.results[sets[0]].verdicts || {};
  const others = Object.keys(verdicts);
  $("#report-verdicts-title").hidden = !others.length;
  if (others.length) {
    const vHead = el("tr", {}, el("th", { text: "metric" }), ...others.map((o) => el("th", { text: `${sets[0]} vs ${o}` })));
    $("#report-verdicts").replaceChildren(vHead, ...Object.keys(verdicts[others[0]]).map((m) => el("tr", {},
      el("td", { text: m }), ...others.map((o) => el("td", { class: `verdict ${verdicts[o][m].verdict}`,
        text: verdicts[o][m].verdict })))));
  } else {
    $("#report-verdicts").replaceChildren();
  }
  $("#report-plots").replaceChildren(...Object.entries(report.plots || {}).map(([name, file]) =>
    el("figure", {}, thumb(item.base_url + file, name), el("figcaption", { text: name }))));
}

$("#benchmark-select").addEventListener("change", () => showBenchmark().catch((e) => showError(e.message)));
$("#report-select").addEventListener("change", () => showReport().catch((e) => showError(e.message)));

// ---- start ------------------------------------------------------------------------------
(async () => {
  try {
    OPTIONS = await api("/api/options");
    $("#data-model").replaceChildren(...Object.keys(OPTIONS.simulators).map((m) => el("option", { value: m, text: m })));
    $("#data-model").value = "mjd";
    $("#data-model").addEventListener("change", renderSimulatorParams);
    renderSimulatorParams();
    renderTrainGroups();
    $("#gen-sampler").replaceChildren(...OPTIONS.groups.sampler.map((s) => el("option", { value: s, text: s })));
    $("#gen-sampler").value = OPTIONS.defaults.sampler;
    await loadDataRuns();
  } catch (e) {
    showError(e.message);
  }
})();
