// The view's state, events and frame loop. Everything a drag changes is recomputed in one
// requestAnimationFrame callback; the server hears the settings only on release.
"use strict";

const BLT_FINE = 0.005, BLT_COARSE = 0.1;  // keyboard steps of θ, nats
const BLT_WINDOW = 1200;  // bytes in the chart and the strip at once

function bltCreateUi(root, component) {
  const $ = (c) => root.querySelector(`[data-c="${c}"]`);
  const ui = { component, p: null, view: null, s: null, sent: [], lo: 0, starts: new Int32Array(0),
               dirty: true, frame: 0, geom: null, dragging: null };
  for (const m of BLT_MODES) { const o = document.createElement("option"); o.value = o.textContent = m; $("mode").appendChild(o); }

  const commit = () => {  // release: the settings go to the server (session state, URL)
    if (bltSame(ui.s, ui.sent.at(-1))) return;
    ui.sent.push({ ...ui.s });
    if (ui.sent.length > 32) ui.sent.shift();
    ui.component.setStateValue("settings", { ...ui.s });
  };
  const set = (key, value) => {
    if (ui.s[key] === value) return;
    ui.s[key] = value; ui.dirty = true; schedule();
  };
  const schedule = () => { if (!ui.frame) ui.frame = requestAnimationFrame(render); };
  const unitScale = () => (ui.view.unit === "bits" ? 1 / Math.LN2 : 1);

  const render = () => {
    ui.frame = 0;
    const p = ui.p;
    if (!p || !ui.s) return;
    if (ui.dirty) {
      try { ui.starts = bltPatch(ui.s.mode, p.e, p.data, ui.s); } catch (err) { $("counts").textContent = String(err.message); ui.countsText = null; return; }
      ui.dirty = false;
    }
    const t0 = performance.now();
    if (bltRenderAll(ui, $, unitScale())) BLT_STORE.changed = (BLT_STORE.changed || 0) + 1;  // read by the bench
    BLT_STORE.frames++;
    BLT_STORE.renderMs = (BLT_STORE.renderMs || 0) + performance.now() - t0;  // read by bench/bench_explorer.py
    BLT_STORE.lastFrame = { id: p.header.id, n: p.n, patches: ui.starts.length, threshold: ui.s.threshold, mode: ui.s.mode };
  };
  ui.schedule = schedule;

  ui.update = (view) => {
    ui.view = view;
    const colours = JSON.stringify(view.colours);
    if (colours !== ui.coloursKey) { bltColourSheet(root.querySelector(".blt-x"), view.colours); ui.coloursKey = colours; }
    // The server echoes each release in a later rerun; by then the user may have moved on, so an
    // echo of anything this view sent is dropped. Anything else (expander, calibrate, URL) applies.
    const incoming = view.settings, echo = ui.sent.findIndex((x) => bltSame(x, incoming));
    if (echo >= 0) ui.sent.splice(0, echo);
    else if (!bltSame(incoming, ui.s)) { ui.s = { ...incoming }; ui.sent = [{ ...incoming }]; ui.dirty = true; }
    bltSyncControls(ui, $, unitScale());
    ui.stripKey = null; ui.histFor = null; ui.histCounts = null; ui.ovKey = null; ui.layerKey = null;  // unit, colours or theme may have changed
    ui.fg = getComputedStyle($("counts")).color; ui.bg = bltPageColour($);  // the theme may have changed
    schedule();
  };
  ui.setPayload = (p) => {
    if (ui.p !== p) { ui.p = p; ui.lo = 0; ui.dirty = true; ui.stripKey = null; }
    schedule();
  };

  // sizes and the text colour are read when they change, never in a frame (no forced layout)
  const measure = () => {
    ui.size = { chart: $("chart").clientWidth || 600, overview: $("overview").clientWidth || 600,
                hist: $("hist").clientWidth || 600 };
    ui.fg = getComputedStyle($("counts")).color; ui.bg = bltPageColour($);
    ui.stripBox = { scrollTop: $("strip").scrollTop, height: $("strip").clientHeight };
    if (ui.strip) ui.strip.tops = null;  // a new width wraps the strip's rows anew
    ui.histFor = null; ui.histCounts = null; ui.stripKey = null; ui.ovKey = null;
    schedule();
  };
  const resized = new ResizeObserver(measure);
  resized.observe($("chart"));
  resized.observe($("strip"));
  measure();
  const tip = (ev) => {
    const el = ev.target.closest(".blt-u");
    if (el && ui.p) el.title = bltStripTitle(el, ui.p.data, ui.p.clusters, ui.starts, (i) => bltPatchTitle(ui, i));
    return el;
  };
  $("strip").addEventListener("pointerover", tip);
  $("strip").addEventListener("click", (ev) => {  // tap or click: the details (hover titles never fire on touch)
    const el = tip(ev);
    if (!el) return;
    $("info").textContent = el.title;
    const r = el.getBoundingClientRect(), box = root.querySelector(".blt-x").getBoundingClientRect();
    bltPlaceTip($, el.title, r.left - box.left, r.bottom - box.top + 4);
  });
  $("strip").addEventListener("scroll", () => {  // rows scrolled into view get painted in the next frame
    $("tip").hidden = true;
    ui.stripBox.scrollTop = $("strip").scrollTop; ui.stripKey = null; schedule();
  }, { passive: true });
  root.querySelector(".blt-x").addEventListener("pointerdown", (ev) => {  // a tap anywhere else puts the tooltip away
    if (!ev.target.closest(".blt-u, .blt-chart")) $("tip").hidden = true;
  });
  $("more").addEventListener("click", () => {
    const open = $("controls").classList.toggle("blt-show-more");
    $("more").setAttribute("aria-expanded", String(open));
    $("more").textContent = open ? "Less ▴" : "More ▾";
  });
  bltBindControls(ui, $, set, commit, unitScale);
  bltBindChart(ui, $, set, commit);
  bltBindOverview(ui, $);
  return ui;
}

function bltSyncControls(ui, $, scale) {
  const s = ui.s, v = ui.view;
  $("mode").value = s.mode;
  $("unitlabel").textContent = `(${v.unit})`;
  const slider = $("threshold");
  slider.max = String(v.ceiling * scale);
  slider.step = String(BLT_FINE * scale);
  slider.value = String(s.threshold * scale);
  $("thetaout").textContent = (s.threshold * scale).toFixed(3);
  $("theta_r").value = s.theta_r === null ? "" : String(s.theta_r);
  $("max_patch_length").value = String(s.max_patch_length || 0);
  $("patch_size").value = String(s.patch_size);
  const uses = { threshold: ["entropy", "combined"], theta_r: ["monotonic", "combined"], patch_size: ["static"] };
  for (const [k, modes] of Object.entries(uses)) $(k).disabled = !modes.includes(s.mode);
}

function bltBindControls(ui, $, set, commit, unitScale) {
  $("mode").addEventListener("change", (ev) => { set("mode", ev.target.value); bltSyncControls(ui, $, unitScale()); commit(); });
  const slider = $("threshold");
  slider.addEventListener("input", () => set("threshold", Number(slider.value) / unitScale()));
  slider.addEventListener("change", commit);
  const num = (key, min, parse) => {
    const el = $(key);
    el.addEventListener("input", () => {
      const x = parse(el.value);
      if (Number.isFinite(x) && x >= min) set(key, x);
    });
    el.addEventListener("change", commit);
  };
  num("theta_r", -Infinity, Number);
  num("max_patch_length", 0, (v) => Math.floor(Number(v)));
  num("patch_size", 1, (v) => Math.floor(Number(v)));
  $("png").addEventListener("click", () => {  // the chart as drawn, for slides and notes
    const chart = $("chart"), out = document.createElement("canvas"), ctx = out.getContext("2d");
    out.width = chart.width; out.height = chart.height;  // on the theme's background, not transparent
    ctx.fillStyle = bltPageColour($) || "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(chart, 0, 0);
    const a = document.createElement("a");
    a.href = out.toDataURL("image/png"); a.download = "blt-entropy.png"; a.click();
  });
  $("prev").addEventListener("click", () => bltMoveWindow(ui, -BLT_WINDOW));
  $("next").addEventListener("click", () => bltMoveWindow(ui, BLT_WINDOW));
}

function bltMoveWindow(ui, delta) {
  const n = ui.p ? ui.p.n : 0;
  ui.lo = Math.max(0, Math.min(Math.max(0, n - BLT_WINDOW), ui.lo + delta));
  ui.schedule();
}

// Threshold by mouse, touch and keyboard; hover (or tap away from the line) shows a byte's tooltip.
function bltBindChart(ui, $, set, commit) {
  const chart = $("chart");
  // the frame writes the slider and the number (bltRenderAll): an event only moves the state
  const thetaFromY = (y) => set("threshold", Math.round(ui.geom.valueAt(y) * 1e4) / 1e4);
  // a drag reads the chart's box once, at pointerdown: reading it on every move would force a layout
  // each time a frame has left the page dirty
  let box = null;
  const local = (ev) => {
    const r = ui.dragging === ev.pointerId && box ? box : chart.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  chart.addEventListener("pointerdown", (ev) => {
    if (!ui.geom) return;
    box = chart.getBoundingClientRect();
    const [x, y] = local(ev), near = Math.abs(y - ui.geom.y(ui.s.threshold)) < (ev.pointerType === "touch" ? 28 : 14);
    if (ev.pointerType === "touch" && !near) { bltShowTip(ui, $, x, y); return; }
    ui.dragging = ev.pointerId;
    chart.setPointerCapture(ev.pointerId);
    thetaFromY(y);
    ev.preventDefault();
  });
  chart.addEventListener("pointermove", (ev) => {
    const [x, y] = local(ev);
    if (ui.dragging === ev.pointerId) {
      thetaFromY(y);
      ev.stopPropagation();  // the page's own (React) pointer handlers have nothing to do with a drag here
    } else if (ev.pointerType === "mouse") bltShowTip(ui, $, x, y);
  });
  const release = (ev) => { if (ui.dragging === ev.pointerId) { ui.dragging = null; commit(); } };
  chart.addEventListener("pointerup", release);
  chart.addEventListener("pointercancel", release);
  // a touch pointer "leaves" as the finger lifts: only a mouse leaving puts the tooltip away
  chart.addEventListener("pointerleave", (ev) => { if (ui.dragging === null && ev.pointerType === "mouse") $("tip").hidden = true; });
  chart.addEventListener("keydown", (ev) => {
    const coarse = ev.shiftKey || ev.key.startsWith("Page");
    const step = { ArrowUp: 1, ArrowRight: 1, PageUp: 1, ArrowDown: -1, ArrowLeft: -1, PageDown: -1 }[ev.key];
    let t = null;
    if (step) t = ui.s.threshold + step * (coarse ? BLT_COARSE : BLT_FINE);
    else if (ev.key === "Home") t = 0;
    else if (ev.key === "End") t = ui.view.ceiling;
    if (t === null) return;
    ev.preventDefault();
    set("threshold", Math.round(Math.min(ui.view.ceiling, Math.max(0, t)) * 1e4) / 1e4);
  });
  chart.addEventListener("keyup", (ev) => { if (/^(Arrow|Page|Home|End)/.test(ev.key)) commit(); });
}

function bltBindOverview(ui, $) {
  const ov = $("overview");
  const moveTo = (ev) => {
    const r = ov.getBoundingClientRect(), n = ui.p ? ui.p.n : 0;
    bltMoveWindow(ui, Math.round(((ev.clientX - r.left) / r.width) * n - BLT_WINDOW / 2) - ui.lo);
  };
  ov.addEventListener("pointerdown", (ev) => { ov.setPointerCapture(ev.pointerId); moveTo(ev); });
  ov.addEventListener("pointermove", (ev) => { if (ov.hasPointerCapture(ev.pointerId)) moveTo(ev); });
  ov.addEventListener("keydown", (ev) => {
    const d = { ArrowLeft: -1, ArrowRight: 1, PageUp: -1, PageDown: 1 }[ev.key];
    if (d) { ev.preventDefault(); bltMoveWindow(ui, d * (ev.key.startsWith("Page") ? BLT_WINDOW : BLT_WINDOW / 4)); }
  });
}

// The page's background colour (Streamlit's theme variable), or "" outside a themed page.
function bltPageColour($) {
  return getComputedStyle($("counts")).getPropertyValue("--st-background-color").trim();
}
