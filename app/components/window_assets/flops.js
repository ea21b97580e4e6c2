// Compute's bars for bytes [lo, hi): FLOPs per patch stacked by component, for the patches with a byte in
// the window (at most max_bars of them), on a canvas; numbered as in the whole text.
"use strict";

const BW_PAD = { l: 64, r: 10, t: 30, b: 40 };

// Patches [first, last) with a byte in [lo, hi), at most `cap` (views/compute.patch_range).
function bwPatchRange(starts, lo, hi, cap) {
  const first = Math.max(0, bltUpperBound(starts, lo) - 1), last = bltUpperBound(starts, hi - 1);
  return [first, Math.min(last, first + cap)];
}

// SI prefixes as plotly's "~s" writes them on the axis: 200M, 1.5G.
function bwSi(x) {
  const units = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [scale, p] of units) if (Math.abs(x) >= scale) return `${+(x / scale).toPrecision(3)}${p}`;
  return `${+x.toPrecision(3)}`;
}

function bwNiceStep(top, count) {
  const raw = top / count, mag = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
}

// Draws the window; returns the geometry the hover tooltip needs.
function bwDrawFlops(canvas, d, lo, hi, w, fg) {
  const h = 340, dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d"), parts = d.header.parts;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const starts = d.arrays.starts, [first, last] = bwPatchRange(starts, lo, hi, d.header.max_bars);
  let top = 0;
  for (let i = first; i < last; i++) {
    let sum = 0;
    for (let c = 0; c < parts.length; c++) sum += d.arrays[`part${c}`][i];
    top = Math.max(top, sum);
  }
  const step = bwNiceStep(top || 1, 5), ymax = Math.ceil((top || 1) / step) * step;
  const pw = w - BW_PAD.l - BW_PAD.r, ph = h - BW_PAD.t - BW_PAD.b, count = Math.max(1, last - first);
  const bw = pw / count, y = (v) => BW_PAD.t + ph * (1 - v / ymax);
  ctx.font = "11px sans-serif"; ctx.fillStyle = fg; ctx.strokeStyle = "rgba(128,128,128,0.25)"; ctx.textAlign = "right";
  for (let v = 0; v <= ymax + 1e-9 * ymax; v += step) {
    ctx.beginPath(); ctx.moveTo(BW_PAD.l, y(v)); ctx.lineTo(w - BW_PAD.r, y(v)); ctx.stroke();
    ctx.fillText(bwSi(v), BW_PAD.l - 6, y(v) + 4);
  }
  ctx.textAlign = "left";
  for (let i = first; i < last; i++) {
    let base = 0;
    for (let c = 0; c < parts.length; c++) {
      const v = d.arrays[`part${c}`][i];
      ctx.fillStyle = parts[c].colour;
      ctx.fillRect(BW_PAD.l + (i - first) * bw + bw * 0.025, y(base + v), Math.max(1, bw * 0.95), y(base) - y(base + v));
      base += v;
    }
  }
  ctx.fillStyle = fg;
  const every = Math.max(1, bwNiceStep(count, 8));
  for (let i = Math.ceil(first / every) * every; i < last; i += every)
    ctx.fillText(i.toLocaleString("en-US"), BW_PAD.l + (i - first + 0.5) * bw - 6, h - BW_PAD.b + 14);
  ctx.fillText("patch", BW_PAD.l + pw / 2 - 14, h - 6);
  ctx.save(); ctx.translate(12, BW_PAD.t + ph / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
  ctx.fillText("forward FLOP per patch", 0, 0); ctx.restore();
  let x = BW_PAD.l;  // the legend, above the plot
  for (const part of parts) {
    ctx.fillStyle = part.colour; ctx.fillRect(x, 8, 10, 10);
    ctx.fillStyle = fg; ctx.fillText(part.label, x + 14, 17);
    x += ctx.measureText(part.label).width + 30;
  }
  return { first, last, patchAt: (px) => first + Math.floor((px - BW_PAD.l) / bw) };
}

// A patch's tooltip: its bytes and each component's FLOPs, in words.
function bwFlopsTip(d, i) {
  const starts = d.arrays.starts, e = i + 1 < starts.length ? starts[i + 1] : d.n;
  const lines = d.header.parts.map((part, c) => `${part.label}: ${bwSi(d.arrays[`part${c}`][i])}FLOP`);
  return [`patch ${i.toLocaleString("en-US")} (${e - starts[i]} bytes: ${starts[i]}–${e - 1})`, ...lines].join("\n");
}
