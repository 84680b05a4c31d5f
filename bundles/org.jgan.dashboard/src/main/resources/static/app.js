// The jgan dashboard: runs, a run (curves, samples, configuration, controls), starting a run, the catalog.
// Live updates come from the server-sent event stream /api/events; nothing polls.
"use strict";

const TOKEN = document.querySelector('meta[name="jgan-token"]').content;
const main = document.getElementById("main");
const runs = new Map();          // id -> latest status
let view = null;                 // the current page: {render(), onEvent(kind, status)}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.substring(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", body: JSON.stringify(body),
    headers: {"Content-Type": "application/json", "X-Jgan-Token": TOKEN}
  };
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (!r.ok) throw new Error((data && data.error) || ("HTTP " + r.status));
  return data;
}

function fmt(v, digits) {
  if (v == null || Number.isNaN(v)) return "";
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits);
}

// a metric's score, not one of the counts it reports beside its scores (mixture.modes_total, features.samples)
function scoresOf(metrics) {
  return Object.entries(metrics).filter(([k]) => !/(_total|samples)$/.test(k))
      .map(([k, v]) => k + " " + fmt(v, 3)).join("  ");
}

function eta(s) {
  if (s == null || s < 0) return "";
  s = Math.round(s);
  return s < 60 ? s + "s" : s < 3600 ? Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s"
      : Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
}

// A status from the API (RunStatusDTO) or from an event (its properties: run, eta) in one shape.
function normal(s) {
  return {id: s.id || s.run, state: s.state, iteration: s.iteration, iterations: s.iterations, rate: s.rate,
          eta: s.etaSeconds != null ? s.etaSeconds : s.eta, losses: s.losses || {}, metrics: s.metrics || {},
          error: s.error, summary: s.summary, outputDir: s.outputDir};
}

// ---- the event stream ----
function connect() {
  const conn = document.getElementById("connection");
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => { conn.textContent = "live"; conn.className = "ok"; });
  source.addEventListener("error", () => { conn.textContent = "reconnecting..."; conn.className = "error"; });
  source.addEventListener("runs", e => {
    runs.clear();
    for (const s of JSON.parse(e.data)) { const n = normal(s); runs.set(n.id, n); }
    if (view) view.render();
  });
  for (const kind of ["progress", "state"]) {
    source.addEventListener(kind, e => {
      const n = normal(JSON.parse(e.data));
      runs.set(n.id, n);
      if (view) view.onEvent(kind, n);
    });
  }
}

// ---- pages ----
function runsPage() {
  const body = el("tbody");
  const table = el("table", {id: "runs"}, el("thead", {}, el("tr", {},
      ...["run", "state", "iteration", "%", "it/s", "ETA", "d_loss", "g_loss", "scores"].map(h => el("th", {}, h)))), body);
  function row(s) {
    const scores = scoresOf(s.metrics);
    return el("tr", {"data-run": s.id},
        el("td", {}, el("a", {href: "#/run/" + encodeURIComponent(s.id)}, s.id)),
        el("td", {class: "state-" + s.state}, s.state),
        el("td", {class: "num iteration"}, s.iteration + "/" + s.iterations),
        el("td", {class: "num"}, s.iterations ? Math.floor(100 * s.iteration / s.iterations) + "%" : ""),
        el("td", {class: "num"}, fmt(s.rate, 1)),
        el("td", {class: "num"}, eta(s.eta)),
        el("td", {class: "num"}, fmt(s.losses.d_loss, 4)),
        el("td", {class: "num"}, fmt(s.losses.g_loss, 4)),
        el("td", {}, scores + (s.error ? "  " : ""), s.error ? el("span", {class: "error"}, s.error) : ""));
  }
  const recordedBody = el("tbody");
  const recorded = el("section", {}, el("h3", {}, "Recorded in runs/ (earlier runtimes, other processes)"),
      el("table", {id: "recorded"}, el("thead", {}, el("tr", {},
          ...["run", "state", "iteration", "%", "", "", "d_loss", "g_loss", "scores"].map(h => el("th", {}, h)))),
          recordedBody));
  api("/api/recorded").then(list => {
    recordedBody.replaceChildren(...list.map(s => row(normal(s))));
    recorded.hidden = list.length === 0;
  }).catch(() => { recorded.hidden = true; });
  recorded.hidden = true;
  return {
    render() {
      body.replaceChildren(...[...runs.values()].map(row));
      main.replaceChildren(el("h2", {}, "Runs"), runs.size ? table : el("p", {class: "muted"},
          "No runs in this runtime yet: start one here or with gan:start."), recorded);
    },
    onEvent() {
      body.replaceChildren(...[...runs.values()].map(row));
      if (!main.contains(table) && runs.size) this.render();
    }
  };
}

function chart(title, columns, data, width) {
  const series = [{}].concat(columns.map((c, i) => ({label: c, stroke: ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"][i % 8], width: 1, spanGaps: true})));
  return new uPlot({title: title, width: width, height: 260, series: series, scales: {x: {time: false}}}, data);
}

function runPage(id) {
  const status = el("p", {id: "status"});
  const message = el("span", {id: "message"});
  const settings = el("input", {type: "text", id: "settings", size: 50, placeholder: "lrD=1e-4 regularizer.r1.weight=5"});
  const charts = el("div", {class: "charts"});
  const slider = el("input", {type: "range", id: "sample-slider", min: 0, max: 0, value: 0});
  const sampleName = el("span", {class: "muted"});
  const image = el("img", {id: "sample", alt: "samples"});
  const config = el("pre", {id: "config"});
  const sampleCount = el("input", {type: "text", id: "sample-count", size: 5, value: "64"});
  const sampleSeed = el("input", {type: "text", id: "sample-seed", size: 8, placeholder: "the run's"});
  const sampleOptions = el("input", {type: "text", id: "sample-options", size: 28,
      placeholder: "class=3 psi=0.7 truncation=1"});
  // the latent explorations: each an options field and a button; the engine checks the options and refuses with
  // its one-line message (shown next to the buttons)
  const explorations = [
    ["interpolate", "Interpolate", "rows=10 steps=10 mode=spherical"],
    ["arithmetic", "Arithmetic", "expression=12,31-3,7+55 variants=8"],
    ["mix", "Mix styles", "rows=0,1,2 columns=3,4,5 layer=4"],
    ["traverse", "Traverse codes", "rows=4 steps=10 range=2"]].map(([action, label, hint]) => {
      const field = el("input", {type: "text", id: action + "-options", size: 30, placeholder: hint});
      // a seed typed in the field wins over the seed box
      const button = el("button", {id: action + "-button", onclick: () => tool(action,
          Object.assign({seed: sampleSeed.value}, words(field.value)), showExplored)}, label);
      return el("span", {class: "exploration"}, field, " ", button, " ");
    });
  const explored = el("img", {id: "explored", alt: ""});
  const evalMetrics = el("input", {type: "text", id: "evaluate-options", size: 40, placeholder: "metrics=auto seed=1"});
  const evalResult = el("pre", {id: "evaluate-result"});
  const toolMessage = el("span", {id: "tool-message"});
  // earlier results of the run folder: the readable evaluations of eval/ and the grids of explore/, by name
  const earlierEvaluations = el("select", {id: "earlier-evaluations"});
  const earlierGrids = el("select", {id: "earlier-grids"});
  earlierEvaluations.addEventListener("change", () => {
    if (!earlierEvaluations.value) return;
    fetch(fileUrl(earlierEvaluations.value)).then(r => r.ok ? r.text() : "(gone)")
        .then(t => { evalResult.textContent = t; });
  });
  earlierGrids.addEventListener("change", () => {
    if (earlierGrids.value) explored.src = fileUrl(earlierGrids.value);
  });
  function fileUrl(name) {
    return "/api/runs/" + encodeURIComponent(id) + "/file/" + name;
  }
  function fillList(select, names, none) {
    const have = Array.from(select.options).map(o => o.value).filter(v => v);
    if (select.options.length > 0 && have.length === names.length && have.every((v, i) => v === names[i])) return;
    const chosen = select.value;
    select.replaceChildren(el("option", {value: ""}, names.length ? "earlier: choose one (" + names.length + ")" : none),
        ...names.map(n => el("option", {value: n}, n.substring(n.indexOf("/") + 1))));
    select.value = names.includes(chosen) ? chosen : "";
  }

  function tool(action, body, then) {
    toolMessage.textContent = action === "evaluate" ? "evaluating (from the latest checkpoint)..." : action + "...";
    toolMessage.className = "muted";
    api("/api/runs/" + encodeURIComponent(id) + "/" + action, body)
        .then(r => { toolMessage.textContent = ""; then(r); })
        .catch(e => { toolMessage.textContent = e.message; toolMessage.className = "error"; });
  }

  function showExplored(r) {
    explored.src = fileUrl(r.file) + "?t=" + Date.now();
    loadDetail().catch(() => {});
  }

  function words(text) {
    const out = {};
    for (const w of text.trim().split(/\s+/).filter(w => w)) {
      const i = w.indexOf("=");
      if (i > 0) out[w.substring(0, i)] = w.substring(i + 1);
    }
    return out;
  }
  const history = el("pre", {id: "history"});
  let losses = {columns: [], rows: []};
  let plots = [];
  let samples = [];
  let loading = false;

  function act(action, body) {
    message.textContent = ""; message.className = "";
    api("/api/runs/" + encodeURIComponent(id) + "/" + action, body || {}).then(s => {
      const n = normal(s); runs.set(n.id, n); showStatus();
      message.textContent = action === "set" ? "taken: the run applies it at its next iteration (see the history below)"
          : action + ": the run is " + n.state + " at iteration " + n.iteration
            + (n.state === "PAUSED" || n.state === "STOPPED" ? ", checkpoint saved" : "");
      message.className = "ok";
      if (action === "set") settings.value = "";
      detailAt = 0;
    }).catch(e => { message.textContent = e.message; message.className = "error"; });
  }

  function setFromField() {
    const changes = {};
    for (const word of settings.value.trim().split(/\s+/).filter(w => w)) {
      const i = word.indexOf("=");
      if (i <= 0) { message.textContent = "expected key=value, got '" + word + "'"; message.className = "error"; return; }
      changes[word.substring(0, i)] = word.substring(i + 1);
    }
    act("set", changes);
  }

  function showStatus() {
    const s = runs.get(id);
    if (!s) { status.textContent = "unknown run"; return; }
    status.replaceChildren(el("span", {class: "state-" + s.state}, s.state), "  ",
        el("span", {class: "iteration"}, s.iteration + "/" + s.iterations), "  " + fmt(s.rate, 1) + " it/s  ETA " +
        eta(s.eta) + "  " + scoresOf(s.metrics),
        s.error ? el("span", {class: "error"}, "  " + s.error) : "");
  }

  function drawCharts() {
    const width = Math.max(360, Math.min(620, (window.innerWidth - 80) / 2));
    const x = losses.rows.map(r => r[0]);
    plots = [];
    charts.replaceChildren();
    const game = losses.columns.some(c => c.startsWith("d_") || c.startsWith("g_"));
    // a model's run (model=NAME) logs its loss and reported values, without players' prefixes
    const panels = game ? [["discriminator", "d_"], ["generator", "g_"]] : [["objective", ""]];
    for (const [title, prefix] of panels) {
      const idx = losses.columns.map((c, i) => [c, i]).filter(([c, i]) => i > 0 && c.startsWith(prefix));
      if (!idx.length) continue;
      const data = [x].concat(idx.map(([, i]) => losses.rows.map(r => r[i])));
      const holder = el("div", {class: "chart", "data-chart": prefix});
      charts.append(holder);
      const p = chart(title, idx.map(([c]) => c), data, width);
      holder.append(p.root);
      plots.push({plot: p, idx: idx});
    }
  }

  async function loadLosses() {
    if (loading) return;
    loading = true;
    try {
      const last = losses.rows.length ? losses.rows[losses.rows.length - 1][0] : 0;
      const more = await api("/api/runs/" + encodeURIComponent(id) + "/losses?from=" + last);
      if (more.columns.join() !== losses.columns.join()) {
        losses = {columns: more.columns, rows: last ? [] : more.rows};
        if (last) { loading = false; losses = {columns: [], rows: []}; return loadLosses(); }
        drawCharts();
      } else if (more.rows.length) {
        losses.rows = losses.rows.concat(more.rows);
        const x = losses.rows.map(r => r[0]);
        for (const {plot, idx} of plots) plot.setData([x].concat(idx.map(([, i]) => losses.rows.map(r => r[i]))));
      }
    } catch (e) { message.textContent = e.message; message.className = "error"; }
    loading = false;
  }

  function showSample() {
    if (!samples.length) { image.removeAttribute("src"); sampleName.textContent = "no samples yet"; return; }
    const name = samples[Number(slider.value)];
    image.src = "/api/runs/" + encodeURIComponent(id) + "/file/" + name;
    image.className = name.endsWith("-samples.png") ? "grid" : "";
    sampleName.textContent = name.replace("samples/", "");
  }

  // the run's sample list, history.csv and config.json: on opening the page, after a change, on a state change and
  // at most every 5 s while it trains (the curves follow every progress event)
  let detailAt = 0;
  async function loadDetail() {
    detailAt = Date.now();
    const d = await api("/api/runs/" + encodeURIComponent(id));
    const n = normal(d.status); runs.set(n.id, n); showStatus();
    const atEnd = Number(slider.value) >= samples.length - 1;
    const changed = d.samples.length !== samples.length;
    samples = d.samples;
    slider.max = Math.max(0, samples.length - 1);
    if (atEnd) slider.value = slider.max;
    if (changed) showSample();
    fillList(earlierEvaluations, d.evaluations || [], "no evaluations yet");
    fillList(earlierGrids, d.explorations || [], "no grids yet");
    for (const [pre, name] of [[config, "config.json"], [history, "history.csv"]]) {
      fetch("/api/runs/" + encodeURIComponent(id) + "/file/" + name)
          .then(r => r.ok ? r.text() : "(none yet)").then(t => { if (pre.textContent !== t) pre.textContent = t; });
    }
  }

  slider.addEventListener("input", showSample);
  return {
    render() {
      main.replaceChildren(
          el("h2", {}, "Run ", el("span", {id: "run-id"}, id)), status,
          el("section", {class: "controls"},
              el("button", {id: "pause", onclick: () => act("pause")}, "Pause"),
              el("button", {id: "resume", onclick: () => act("resume")}, "Resume"),
              el("button", {id: "stop", onclick: () => act("stop")}, "Stop"), " ",
              settings, el("button", {id: "apply", onclick: setFromField}, "Change settings"), " ", message),
          el("section", {}, el("h3", {}, "Losses"), charts),
          el("section", {class: "samples"}, el("h3", {}, "Samples"), slider, " ", sampleName, el("br"), image),
          el("section", {}, el("h3", {}, "Sample and evaluate (from the latest checkpoint)"),
              "count ", sampleCount, " seed ", sampleSeed, " ", sampleOptions, " ",
              el("button", {id: "sample-button", onclick: () => tool("sample", Object.assign(
                  {count: sampleCount.value, seed: sampleSeed.value}, words(sampleOptions.value)), showExplored)},
                  "Sample"), "  ", evalMetrics, " ",
              el("button", {id: "evaluate-button", onclick: () => tool("evaluate", words(evalMetrics.value),
                  r => { evalResult.textContent = r.result; loadDetail().catch(() => {}); })}, "Evaluate"), " ", toolMessage,
              el("br"), ...explorations, el("br"), "earlier grids (explore/) ", earlierGrids,
              "  earlier evaluations (eval/) ", earlierEvaluations, el("br"), explored, evalResult),
          el("section", {}, el("h3", {}, "History (history.csv)"), history),
          el("section", {}, el("h3", {}, "Configuration (config.json)"), config));
      showStatus();
      loadLosses();
      loadDetail().catch(e => { message.textContent = e.message; message.className = "error"; });
    },
    onEvent(kind, s) {
      if (s.id !== id) return;
      showStatus();
      loadLosses();
      if (kind === "state" || Date.now() - detailAt >= 5000) loadDetail().catch(() => {});
    }
  };
}

function startPage() {
  const preset = el("input", {type: "text", id: "preset", size: 24, placeholder: "default"});
  const text = el("textarea", {id: "start-settings", rows: 8, cols: 60, placeholder: "iterations=500\nname=my-run"});
  const out = el("pre", {id: "start-result"});
  function request() {
    const settings = {};
    for (const line of text.value.split(/\n|\s+/).map(l => l.trim()).filter(l => l)) {
      const i = line.indexOf("=");
      if (i <= 0) throw new Error("expected key=value, got '" + line + "'");
      settings[line.substring(0, i)] = line.substring(i + 1);
    }
    return {preset: preset.value.trim() || null, settings: settings};
  }
  function send(path, then) {
    out.className = "";
    let body;
    try { body = request(); } catch (e) { out.textContent = e.message; out.className = "error"; return; }
    api(path, body).then(then).catch(e => { out.textContent = e.message; out.className = "error"; });
  }
  return {
    render() {
      main.replaceChildren(el("h2", {}, "Start a run"),
          el("p", {}, "Preset ", preset, " (see components; empty: settings only)"),
          el("p", {}, "Settings, key=value, one per line or separated by spaces:"), text,
          el("p", {}, el("button", {id: "validate", onclick: () => send("/api/validate", r => {
                out.textContent = Object.entries(r).map(([k, v]) => k + " = " + v).join("\n"); })}, "Validate"), " ",
              el("button", {id: "start", onclick: () => send("/api/runs", s => {
                location.hash = "#/run/" + encodeURIComponent(s.id); })}, "Start")),
          out);
    },
    onEvent() {}
  };
}

function catalogPage() {
  return {
    render() {
      main.replaceChildren(el("h2", {}, "Components"), el("p", {class: "muted"}, "loading..."));
      api("/api/components").then(list => {
        const rows = [];
        for (const c of list) {
          const options = (c.options || []).map(o => o.name + " = " + o.defaultValue + (o.expected ? " (" + o.expected + ")" : "")
              + (o.description ? ": " + o.description : "")).join("\n");
          rows.push(el("tr", {}, el("td", {}, c.kind), el("td", {}, c.name), el("td", {}, c.description || ""),
              el("td", {}, el("pre", {}, options)), el("td", {class: "muted"}, (c.bundle || "") + " " + (c.bundleVersion || ""))));
        }
        main.replaceChildren(el("h2", {}, "Components"), el("table", {id: "catalog"}, el("thead", {}, el("tr", {},
            ...["kind", "name", "description", "options (default, range)", "bundle"].map(h => el("th", {}, h)))),
            el("tbody", {}, ...rows)));
      }).catch(e => main.replaceChildren(el("p", {class: "error"}, e.message)));
    },
    onEvent() {}
  };
}

function route() {
  const hash = location.hash || "#/";
  let run = null;
  try { run = hash.startsWith("#/run/") ? decodeURIComponent(hash.substring(6)) : null; } catch (e) { run = null; }
  if (run !== null) view = runPage(run);
  else if (hash === "#/start") view = startPage();
  else if (hash === "#/catalog") view = catalogPage();
  else view = runsPage();
  view.render();
}

window.addEventListener("hashchange", route);
connect();
route();
