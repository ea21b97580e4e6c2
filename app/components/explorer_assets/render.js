// One frame: counts, chart, overview, strip, histogram and caption from the current state; true when
// the counts or the strip changed.
"use strict";

function bltPatchEnd(starts, i, n) { return i + 1 < starts.length ? starts[i + 1] : n; }

// Patch i -> its step in the colour table (by its mean entropy).
function bltColourIndex(ui) {
  const p = ui.p, st = ui.starts, steps = ui.view.colours.length, vmax = ui.view.colour_max;
  return (i) => {
    const s = st[i], e = bltPatchEnd(st, i, p.n), mean = (p.cum[e] - p.cum[s]) / Math.max(1, e - s);
    return Math.min(steps - 1, Math.max(0, Math.round((mean / vmax) * (steps - 1))));
  };
}

function bltPatchTitle(ui, i) {
  const p = ui.p, st = ui.starts, scale = ui.view.unit === "bits" ? 1 / Math.LN2 : 1;
  const s = st[i], e = bltPatchEnd(st, i, p.n), m = (p.cum[e] - p.cum[s]) / Math.max(1, e - s);
  return `patch ${i}: bytes ${s}–${e - 1} (${e - s} bytes), mean entropy ${(m * scale).toFixed(2)} ${ui.view.unit}`;
}

// True when the patch starts inside [lo, hi) (and the one before) are those of the last strip drawn.
function bltStripUnchanged(ui, lo, hi) {
  const st = ui.starts, i0 = Math.max(0, bltUpperBound(st, lo) - 1), i1 = bltUpperBound(st, hi - 1);
  const key = st.subarray(i0, i1), last = ui.stripKey;
  const same = !!last && last.lo === lo && last.hi === hi && last.i0 === i0 && last.key.length === key.length &&
    last.key.every((x, j) => x === key[j]) && last.view === ui.view;
  ui.stripKey = { lo, hi, i0, key: key.slice(), view: ui.view };
  return same;
}

// Canvases first, DOM writes after: a canvas draw never waits for a style recalculation that an
// earlier write in the same frame would have made due.
function bltRenderAll(ui, $, scale) {
  const p = ui.p, st = ui.starts, n = p.n, unit = ui.view.unit, size = ui.size, fg = ui.fg;
  // the window, widened to whole clusters so no character is cut at its edges
  const cl = p.clusters;
  const c0 = Math.max(0, bltUpperBound(cl.start, ui.lo) - 1);
  const c1 = Math.max(c0, bltUpperBound(cl.start, ui.lo + BLT_WINDOW - 1));
  const lo = cl.count ? cl.start[c0] : 0, hi = cl.count ? cl.end[c1 - 1] : 0;
  const uses = ui.s.mode === "entropy" || ui.s.mode === "combined";
  ui.geom = bltDrawChart($("chart"), { w: size.chart, h: 220, lo, hi, e: p.e, surprisal: p.surprisal, starts: st,
    theta: uses ? ui.s.threshold : null, unitScale: scale, unit, ymax: ui.view.ceiling, fg, bg: ui.bg, memo: ui });
  const ovKey = [lo, hi, size.overview, ui.view.ceiling].join();
  if (ui.ovKey !== ovKey || ui.ovE !== p.e) {  // a drag of θ leaves the overview as it is
    bltDrawOverview($("overview"), { w: size.overview, h: 34, e: p.e, lo, hi, ymax: ui.view.ceiling, cache: ui });
    ui.ovKey = ovKey; ui.ovE = p.e;
  }
  if (ui.histFor !== st) {
    const lengths = bltHistCounts(st, n), last = ui.histCounts;
    if (!last || last.some((c, L) => c !== lengths[L])) {  // redraw only when some length's count moved
      bltDrawHistogram($("hist"), { w: size.hist, h: 150, counts: lengths, fg }); ui.histCounts = lengths;
    }
    ui.histFor = st;
  }
  const mean = st.length ? n / st.length : 0;
  const counts = `${st.length.toLocaleString()} patches · mean ${mean.toFixed(2)} bytes per patch · ` +
    `${n.toLocaleString()} bytes · mode ${ui.s.mode}`;
  let changed = counts !== ui.countsText;  // what the user sees change: the counts or the strip
  if (changed) { $("counts").textContent = counts; ui.countsText = counts; }
  const thetaText = (ui.s.threshold * scale).toFixed(3), slider = $("threshold");
  if (thetaText !== ui.thetaText) { $("thetaout").textContent = thetaText; ui.thetaText = thetaText; }
  // the slider follows a drag of the line (and is left alone while it is the one moving)
  if (Math.abs(Number(slider.value) - ui.s.threshold * scale) > 1e-9) slider.value = String(ui.s.threshold * scale);
  $("chart").setAttribute("aria-valuenow", String(ui.s.threshold));
  $("chart").setAttribute("aria-valuetext", `${(ui.s.threshold * scale).toFixed(3)} ${unit}: ${st.length} patches`);
  const caption = n ? `Showing bytes ${lo.toLocaleString()}–${(hi - 1).toLocaleString()} of ` +
    `${n.toLocaleString()} (${Math.round((100 * (hi - lo)) / n)}%). Drag the blue window above, or use ◀ ▶` : "No bytes";
  if (caption !== ui.captionText) { $("caption").textContent = caption; ui.captionText = caption; }  // no relayout per frame
  if (!ui.strip || ui.strip.clusters !== cl || ui.strip.c0 !== c0 || ui.strip.c1 !== c1) {
    ui.strip = bltBuildStrip($("strip"), cl, c0, c1); ui.strip.clusters = cl; ui.stripKey = null;
  }
  if (!bltStripUnchanged(ui, lo, hi)) { bltPaintStripSoon(ui); changed = true; }
  return changed;
}

// Repaint the strip: the rows on screen now, the rest once the patches have stopped changing for a
// moment (a drag repaints a few hundred spans per frame instead of the whole window).
function bltPaintStripSoon(ui) {
  const p = ui.p, strip = ui.strip, rows = strip.painted ? bltVisibleSpans(strip, ui.stripBox) : [0, strip.els.length];
  strip.painted = true;  // a new window is painted whole at once
  bltPaintStrip(strip, p.clusters, ui.starts, bltColourIndex(ui), ui.view.colours, rows[0], rows[1], ui.view);
  clearTimeout(ui.paintRest);
  if (rows[0] > 0 || rows[1] < strip.els.length)
    ui.paintRest = setTimeout(() => {
      if (ui.strip === strip && ui.p === p) bltPaintStrip(strip, p.clusters, ui.starts, bltColourIndex(ui), ui.view.colours, 0, strip.els.length, ui.view);
    }, 150);
}

function bltPercent(q) {
  const pct = (q / 255) * 100;
  return pct < 1 ? "<1%" : `${Math.round(pct)}%`;
}

// A byte's tooltip: its character, entropy, surprisal and the model's top guesses, as text.
function bltShowTip(ui, $, x, y) {
  if (!ui.geom || !ui.p || !ui.p.n) return;
  const p = ui.p, k = ui.geom.byteAt(x), scale = ui.view.unit === "bits" ? 1 / Math.LN2 : 1;
  const u = bltUpperBound(p.units.start, k) - 1;
  const guesses = [];
  for (let j = 0; j < p.k; j++) {
    const b = p.topBytes[k * p.k + j];
    const glyph = b < 0 ? "<special>" : (BLT_WHITESPACE[b] || (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : bltHex2(b)));
    guesses.push(`\`${glyph}\` ${bltPercent(p.topProbs[k * p.k + j])}`);
  }
  const unitText = p.units.text[u], part = p.units.len[u] > 1 ? ` (byte ${k - p.units.start[u] + 1}/${p.units.len[u]})` : "";
  bltPlaceTip($, `byte ${k}: ${unitText}${part} = ${p.data[k].toString(16).padStart(2, "0")} · entropy ` +
    `${(p.e[k] * scale).toFixed(3)} ${ui.view.unit} · surprisal ${(p.surprisal[k] * (ui.view.unit === "bits" ? 1 : Math.LN2)).toFixed(2)} ` +
    `${ui.view.unit} · guesses ${guesses.join(" | ")}`, x + 12, $("chart").offsetTop + y + 12);
}

// The tooltip box, as text (never markup), at (left, top) inside the component, kept on screen.
function bltPlaceTip($, text, left, top) {
  const tip = $("tip");
  tip.textContent = text;
  tip.hidden = false;
  tip.style.left = Math.max(0, Math.min(left, $("chart").clientWidth - tip.offsetWidth)) + "px";
  tip.style.top = top + "px";
}
