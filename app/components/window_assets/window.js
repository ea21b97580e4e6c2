// The window component: a chart of bytes [lo, hi) of a long input (Compare's lanes or Compute's bars), a
// caption saying which bytes it shows, an overview of the whole input with the window shaded, a slider
// for the window's first byte and a choice of its width. The server sends the whole input's data once;
// moving the window redraws here and never reruns the page.
"use strict";

const BW_STORE = (globalThis.__bltWindows = globalThis.__bltWindows || { state: new Map(), draws: 0 });

const BW_HTML = `
<div class="bw">
  <div class="bw-chart" data-w="chart"></div>
  <div class="bw-caption" data-w="caption"></div>
  <div class="bw-info" data-w="info"></div>
  <canvas class="bw-overview" data-w="overview" tabindex="0"
    aria-label="Overview of the whole input: drag or use the arrow keys to move the window"></canvas>
  <div class="bw-controls" data-w="controls">
    <label class="bw-start">Window: first byte shown <input type="range" data-w="start" min="0" step="1"
      aria-label="Window: first byte shown"><output data-w="startout"></output></label>
    <label>Bytes at once <select data-w="width"></select></label>
  </div>
</div>`;

function bwUnpack(u8) {
  const hlen = new DataView(u8.buffer, u8.byteOffset, u8.byteLength).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(4, 4 + hlen)));
  const buf = u8.slice(4 + hlen).buffer, arrays = {};  // a fresh, aligned copy of the body
  const types = { ov_x: Float32Array, ov_y: Float32Array, data: Uint8Array, units: Uint8Array };
  for (const [name, [off, len]] of Object.entries(header.arrays)) {
    const T = types[name] || (name.startsWith("part") ? Float32Array : name.startsWith("mark") ? Uint8Array : Int32Array);
    arrays[name] = new T(buf, off, len);
  }
  const d = { header, n: header.n, arrays };
  if (arrays.data) { d.units = bltUnits(arrays.data, arrays.units); d.clusters = bltClusters(d.units); }
  return d;
}

function bwCaption(lo, hi, n) {
  if (lo === 0 && hi >= n) return `All ${n.toLocaleString("en-US")} bytes shown.`;
  return `Bytes ${lo.toLocaleString("en-US")}–${(hi - 1).toLocaleString("en-US")} of ${n.toLocaleString("en-US")} ` +
         `shown (${Math.round((100 * (hi - lo)) / n)}%).`;
}

// The window's width choices: the offered widths below n, then the whole input.
function bwWidths(d) {
  return [...d.header.widths.filter((w) => w < d.n), d.n];
}

function bwOverview(canvas, d, lo, hi, w) {
  const h = 44, dpr = window.devicePixelRatio || 1, n = Math.max(1, d.n);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d"), xs = d.arrays.ov_x, ys = d.arrays.ov_y;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  let top = 0;
  for (const v of ys) top = Math.max(top, v);
  ctx.fillStyle = "#0072B2";
  const colW = Math.max(1, w / Math.max(1, xs.length));
  for (let i = 0; i < xs.length; i++) {
    const bh = top > 0 ? (ys[i] / top) * (h - 16) : 0;
    ctx.fillRect((xs[i] / n) * w, h - bh, colW, bh);
  }
  const x0 = (lo / n) * w, x1 = Math.max(x0 + 3, (hi / n) * w);
  ctx.fillStyle = "rgba(0,114,178,0.2)"; ctx.fillRect(x0, 0, x1 - x0, h);
  ctx.strokeStyle = "#0072B2"; ctx.lineWidth = 2; ctx.strokeRect(x0 + 1, 1, x1 - x0 - 2, h - 2);
  ctx.font = "11px sans-serif"; ctx.fillStyle = getComputedStyle(canvas).color;
  ctx.fillText(`whole input: ${d.header.what} (shaded: the window)`, 4, 11);
}

function bwCreate(root, key) {
  const holder = document.createElement("div");
  holder.innerHTML = BW_HTML;  // a constant template: no user data
  root.appendChild(holder.firstElementChild);
  const $ = (name) => root.querySelector(`[data-w="${name}"]`);
  const w = { d: null, key, lo: 0, width: 0, frame: 0, geom: null, $ };
  const draw = () => {
    w.frame = 0;
    const d = w.d;
    if (!d) return;
    const n = d.n, width = Math.min(w.width, n), lo = Math.max(0, Math.min(w.lo, n - width)), hi = lo + width;
    w.lo = lo;
    const chartW = $("chart").clientWidth || 600;
    // a narrow chart (a phone) has a narrower name column and smaller bar text (window.css .bw-narrow)
    const narrow = chartW < 640;
    $("chart").parentElement.classList.toggle("bw-narrow", narrow);
    let rtl = false;
    if (d.header.kind === "lanes") rtl = bwDrawLanes($("chart"), d, lo, hi, chartW - (narrow ? 85 : 146), narrow);
    else w.geom = bwDrawFlops(bwCanvas($("chart")), d, lo, hi, chartW, getComputedStyle($("chart")).color);
    const whole = hi - lo >= n;
    let text = bwCaption(lo, hi, n);
    if (d.header.kind === "flops") {
      const [first, last] = w.geom ? [w.geom.first, w.geom.last] : [0, 0], total = d.arrays.starts.length;
      text += ` Patches ${first.toLocaleString("en-US")}–${(last - 1).toLocaleString("en-US")} of ${total.toLocaleString("en-US")}` +
        (last - first === d.header.max_bars ? ` (the first ${d.header.max_bars} of this window).` : ".");
    }
    if (rtl) text += " Right-to-left text: byte 0 is on the right, so units read in order.";
    if (!whole) text += " Move the window with the slider under the overview; totals cover every byte.";
    $("caption").textContent = text;
    const small = n <= Math.min(...d.header.widths);  // a short input shows whole, without controls
    $("overview").hidden = whole; $("controls").hidden = small;
    if (!whole) bwOverview($("overview"), d, lo, hi, $("overview").clientWidth || chartW);
    const slider = $("start");
    slider.max = String(Math.max(0, n - width)); slider.value = String(lo); slider.disabled = whole;
    $("startout").textContent = lo.toLocaleString("en-US");
    BW_STORE.state.set(key, { lo, hi, n, width });
    BW_STORE.draws++;
  };
  w.schedule = () => { if (!w.frame) w.frame = requestAnimationFrame(draw); };
  w.moveTo = (lo) => { w.lo = Math.max(0, Math.round(lo)); w.schedule(); };
  $("start").addEventListener("input", () => w.moveTo(Number($("start").value)));
  $("width").addEventListener("change", () => { w.width = Number($("width").value); w.schedule(); });
  const ov = $("overview");
  const fromPointer = (ev) => {
    const r = ov.getBoundingClientRect();
    w.moveTo(((ev.clientX - r.left) / r.width) * w.d.n - Math.min(w.width, w.d.n) / 2);
  };
  ov.addEventListener("pointerdown", (ev) => { ov.setPointerCapture(ev.pointerId); fromPointer(ev); });
  ov.addEventListener("pointermove", (ev) => { if (ov.hasPointerCapture(ev.pointerId)) fromPointer(ev); });
  ov.addEventListener("keydown", (ev) => {
    const width = Math.min(w.width, w.d.n);
    const to = { ArrowLeft: w.lo - width / 4, ArrowRight: w.lo + width / 4, PageUp: w.lo - width, PageDown: w.lo + width,
                 Home: 0, End: w.d.n }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    w.moveTo(to);
  });
  bwBindTips(w, $);
  new ResizeObserver(() => w.schedule()).observe($("chart"));
  return w;
}

function bwCanvas(box) {
  let canvas = box.querySelector("canvas");
  if (!canvas) { canvas = document.createElement("canvas"); canvas.className = "bw-flops"; box.replaceChildren(canvas); }
  return canvas;
}

// Hover titles and, on a tap, the same words in the info line (hover never fires on touch).
function bwBindTips(w, $) {
  const chart = $("chart");
  const tipAt = (ev) => {
    const bar = ev.target.closest(".bw-bar");
    if (bar) return [bar, bar.dataset.tip];  // which unit, its bytes, its text
    if (ev.target.tagName === "CANVAS" && w.geom) {
      const i = w.geom.patchAt(ev.clientX - chart.getBoundingClientRect().left);
      if (i >= w.geom.first && i < w.geom.last) return [ev.target, bwFlopsTip(w.d, i)];
    }
    return [null, null];
  };
  chart.addEventListener("pointerover", (ev) => { const [el, text] = tipAt(ev); if (el) el.title = text; });
  chart.addEventListener("pointermove", (ev) => {
    if (ev.target.tagName === "CANVAS") { const [el, text] = tipAt(ev); if (el) el.title = text; }
  });
  chart.addEventListener("click", (ev) => { const [, text] = tipAt(ev); if (text) $("info").textContent = text; });
}

function bwSetData(w, d) {
  const same = w.d && w.d.n === d.n && w.d.header.kind === d.header.kind;
  const widths = bwWidths(d), select = w.$("width");
  select.replaceChildren(...widths.map((x) => {
    const o = document.createElement("option");
    o.value = String(x); o.textContent = x === d.n ? `all (${x.toLocaleString("en-US")})` : x.toLocaleString("en-US");
    return o;
  }));
  if (!same || !widths.includes(w.width)) {
    // a phone-wide chart starts at the narrowest window, where a lane's characters still fit their bars
    const narrow = (w.$("chart").clientWidth || 1000) < 640;
    w.width = Math.min(narrow ? widths[0] : d.header.width, d.n);
    if (!same) w.lo = 0;
  }
  if (!widths.includes(w.width)) w.width = widths[0];
  select.value = String(w.width);
  w.d = d;
  w.schedule();
}

export default function (component) {
  const root = component.parentElement, u8 = component.data instanceof Uint8Array ? component.data : new Uint8Array(component.data);
  const views = (BW_STORE.views = BW_STORE.views || new Map());
  let w = views.get(root);
  if (!w) { w = bwCreate(root, component.key || "window"); views.set(root, w); }
  const d = bwUnpack(u8);
  if (!w.d || w.d.header.id !== d.header.id) bwSetData(w, d);
  return () => {};
}
