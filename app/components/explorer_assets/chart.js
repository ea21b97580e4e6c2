// Canvas drawing: the entropy chart of the window (with the threshold line), the overview of
// the whole input (with the window), and the patch-length histogram. Pure drawing: state in,
// pixels out; main.js owns the state and the events.
"use strict";

const BLT_INK = { line: "#0072B2", surprisal: "#E69F00", theta: "#D55E00", grid: "rgba(128,128,128,0.25)",
                  patch: "rgba(128,128,128,0.35)", window: "rgba(0,114,178,0.18)", bar: "#009E73" };
const BLT_PAD = { l: 44, r: 10, t: 22, b: 26 };  // the top margin holds the chart's legend, off the curves

function bltCanvas(canvas, cssW, cssH) {
  const dpr = window.devicePixelRatio || 1;
  const ctx = canvas.getContext("2d");
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr); canvas.height = Math.round(cssH * dpr);  // resets the context's state
    canvas.style.height = cssH + "px";
    ctx.bltFont = null;
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  return ctx;
}

// Setting a canvas font makes Chromium resolve it against the page's style, recalculating that style
// first when a DOM write has left it dirty (a forced style recalc per frame): set it only when it changes.
function bltFont(ctx, font) {
  if (ctx.bltFont !== font) { ctx.font = font; ctx.bltFont = font; }
}

// Geometry of the entropy chart: byte <-> x, value (nats) <-> y.
function bltChartGeom(w, h, lo, hi, ymaxNats) {
  const pw = w - BLT_PAD.l - BLT_PAD.r, ph = h - BLT_PAD.t - BLT_PAD.b;
  const span = Math.max(1, hi - lo);
  return {
    x: (k) => BLT_PAD.l + ((k - lo + 0.5) / span) * pw,
    byteAt: (x) => Math.min(hi - 1, Math.max(lo, lo + Math.floor(((x - BLT_PAD.l) / pw) * span))),
    y: (v) => BLT_PAD.t + ph * (1 - v / ymaxNats),
    valueAt: (y) => Math.min(ymaxNats, Math.max(0, (1 - (y - BLT_PAD.t) / ph) * ymaxNats)),
  };
}

// The chart's parts that a drag does not move (grid, labels, legend, surprisal dots, entropy line), drawn
// once per window, size, unit and theme into an offscreen canvas that every frame copies.
function bltChartLayer(s, g, memo) {
  const dpr = window.devicePixelRatio || 1, key = [s.lo, s.hi, s.w, s.h, s.unitScale, s.ymax, s.fg, dpr].join();
  if (memo.layer && memo.layerKey === key && memo.layerE === s.e) return memo.layer;
  const layer = memo.layer || document.createElement("canvas");
  const ctx = bltCanvas(layer, s.w, s.h);
  bltFont(ctx, "11px sans-serif"); ctx.fillStyle = s.fg; ctx.strokeStyle = BLT_INK.grid; ctx.lineWidth = 1;
  const top = s.ymax * s.unitScale;
  for (let v = 0; v <= top; v += top > 6 ? 2 : 1) {  // grid and y labels in the chosen unit
    const y = g.y(v / s.unitScale);
    ctx.beginPath(); ctx.moveTo(BLT_PAD.l, y); ctx.lineTo(s.w - BLT_PAD.r, y); ctx.stroke();
    ctx.fillText(String(v), 4, y + 4);
  }
  ctx.fillText(`entropy (${s.unit}) · byte ${s.lo.toLocaleString()}–${(s.hi - 1).toLocaleString()}`,
               BLT_PAD.l, s.h - 6);
  ctx.fillStyle = BLT_INK.surprisal;  // surprisal (bits, converted) as dots
  const toNats = Math.LN2;
  for (let k = s.lo; k < s.hi; k++) ctx.fillRect(g.x(k) - 1, g.y(Math.min(s.ymax, s.surprisal[k] * toNats)) - 1, 2, 2);
  ctx.strokeStyle = BLT_INK.line; ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let k = s.lo; k < s.hi; k++) (k === s.lo ? ctx.moveTo : ctx.lineTo).call(ctx, g.x(k), g.y(Math.min(s.ymax, s.e[k])));
  ctx.stroke();
  ctx.fillStyle = BLT_INK.line; ctx.fillText("— entropy", BLT_PAD.l, 12);  // the legend, above the plot area
  ctx.fillStyle = BLT_INK.surprisal; ctx.fillText("• surprisal of the actual byte", BLT_PAD.l + 70, 12);
  Object.assign(memo, { layer, layerKey: key, layerE: s.e });
  return layer;
}

// s: {w, h, lo, hi, e, surprisal, starts, theta (nats or null), unitScale, unit, ymax, fg, bg, memo}
// Per frame: the patch-start rules, the cached layer over them, and the threshold line.
function bltDrawChart(canvas, s) {
  const ctx = bltCanvas(canvas, s.w, s.h), g = bltChartGeom(s.w, s.h, s.lo, s.hi, s.ymax);
  ctx.strokeStyle = BLT_INK.patch; ctx.lineWidth = 1;  // patch starts: one faint rule each
  ctx.beginPath();
  for (let i = bltUpperBound(s.starts, s.lo - 1); i < s.starts.length && s.starts[i] < s.hi; i++) {
    const x = g.x(s.starts[i]) - 0.5 * (g.x(1) - g.x(0));
    ctx.moveTo(x, BLT_PAD.t); ctx.lineTo(x, s.h - BLT_PAD.b);
  }
  ctx.stroke();
  ctx.drawImage(bltChartLayer(s, g, s.memo), 0, 0, s.w, s.h);
  if (s.theta !== null) {
    const y = g.y(s.theta);
    ctx.strokeStyle = BLT_INK.theta; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
    ctx.beginPath(); ctx.moveTo(BLT_PAD.l, y); ctx.lineTo(s.w - BLT_PAD.r, y); ctx.stroke(); ctx.setLineDash([]);
    ctx.fillStyle = BLT_INK.theta;
    ctx.fillRect(s.w - BLT_PAD.r - 14, y - 7, 14, 14);  // the handle
    bltFont(ctx, "bold 12px sans-serif");
    const label = `θ = ${(s.theta * s.unitScale).toFixed(3)} ${s.unit} (drag)`;
    if (s.bg) {  // a backdrop in the page colour keeps the label readable over the curve
      ctx.globalAlpha = 0.8; ctx.fillStyle = s.bg;
      ctx.fillRect(BLT_PAD.l + 2, y - 18, ctx.measureText(label).width + 4, 15);
      ctx.globalAlpha = 1; ctx.fillStyle = BLT_INK.theta;
    }
    ctx.fillText(label, BLT_PAD.l + 4, y - 5);
  }
  return g;
}

// Whole input: the max entropy per pixel column (computed once per input and width), and the
// window as a shaded box.
function bltDrawOverview(canvas, s) {
  const ctx = bltCanvas(canvas, s.w, s.h), n = s.e.length, cols = Math.max(1, Math.floor(s.w));
  const memo = s.cache.overviewMemo;
  if (!memo || memo.e !== s.e || memo.cols !== cols) {
    const peaks = new Float32Array(cols);
    for (let c = 0; c < cols; c++) {
      const a = Math.floor((c / cols) * n), b = Math.max(a + 1, Math.floor(((c + 1) / cols) * n));
      for (let k = a; k < b && k < n; k++) if (s.e[k] > peaks[c]) peaks[c] = s.e[k];
    }
    s.cache.overviewMemo = { e: s.e, cols, peaks };
  }
  const peaks = s.cache.overviewMemo.peaks;
  ctx.fillStyle = BLT_INK.line;
  for (let c = 0; c < cols; c++) {
    const bh = (Math.min(peaks[c], s.ymax) / s.ymax) * (s.h - 2);
    ctx.fillRect(c, s.h - bh, 1, bh);
  }
  const x0 = (s.lo / Math.max(1, n)) * s.w, x1 = (s.hi / Math.max(1, n)) * s.w;
  ctx.fillStyle = BLT_INK.window; ctx.fillRect(x0, 0, Math.max(3, x1 - x0), s.h);
  ctx.strokeStyle = BLT_INK.line; ctx.lineWidth = 2; ctx.strokeRect(x0 + 1, 1, Math.max(3, x1 - x0) - 2, s.h - 2);
}

const BLT_HIST_CAP = 32;

// Patches per length 1..cap (index cap counts every length >= cap).
function bltHistCounts(starts, n) {
  const counts = new Int32Array(BLT_HIST_CAP + 1);
  for (let i = 0; i < starts.length; i++) {
    const len = (i + 1 < starts.length ? starts[i + 1] : n) - starts[i];
    counts[Math.min(BLT_HIST_CAP, len)]++;
  }
  return counts;
}

// The patch-length histogram from bltHistCounts, integer ticks only.
function bltDrawHistogram(canvas, s) {
  const ctx = bltCanvas(canvas, s.w, s.h), cap = BLT_HIST_CAP, counts = s.counts;
  let top = 1, maxLen = 1;
  for (let L = 1; L <= cap; L++) { if (counts[L] > top) top = counts[L]; if (counts[L]) maxLen = L; }
  const bins = Math.max(8, maxLen), pw = s.w - BLT_PAD.l - BLT_PAD.r, ph = s.h - BLT_PAD.t - BLT_PAD.b;
  const bw = pw / bins;
  ctx.fillStyle = BLT_INK.bar;
  for (let L = 1; L <= bins; L++) {
    const bh = (counts[L] / top) * ph;
    ctx.fillRect(BLT_PAD.l + (L - 1) * bw + 1, BLT_PAD.t + ph - bh, Math.max(1, bw - 2), bh);
  }
  ctx.fillStyle = s.fg; bltFont(ctx, "11px sans-serif");
  const every = Math.ceil(bins / 16);
  for (let L = 1; L <= bins; L += every)
    ctx.fillText(L === cap ? `≥${cap}` : String(L), BLT_PAD.l + (L - 0.5) * bw - 4, s.h - 12);
  ctx.fillText(String(top), 4, BLT_PAD.t + 10); ctx.fillText("0", 4, BLT_PAD.t + ph);
  ctx.fillText("patch length (bytes) · number of patches", BLT_PAD.l, s.h - 1);
}
