// Compare's lanes for bytes [lo, hi): one row per segmentation, one bar per unit (a patch or a token)
// clipped to the window, its characters as text over it. Built with createElement/textContent only: user bytes never
// pass through innerHTML. Bars are placed in percent of the window, so a resize needs no redraw.
"use strict";

// The pieces of text a lane draws over bytes [lo, hi), in byte order: each run of whole grapheme
// clusters inside one unit is one piece, centred over its bytes; a cluster whose bytes fall in two or
// more units (or that the window's edge cuts) is a piece of its own, drawn once over all its bytes, so a
// character split by a boundary reads as itself with the boundary under it (views/glyphs spells it the
// same way), never as \xNN. Returns [{s, e, text, unit (of its first byte), split}].
function bwPieces(cl, starts, lo, hi) {
  const out = [];
  let run = null;
  for (let c = Math.max(0, bltUpperBound(cl.start, lo) - 1); c < cl.count && cl.start[c] < hi; c++) {
    const cs = cl.start[c], ce = cl.end[c];
    if (ce <= lo) continue;
    const u = bltUpperBound(starts, cs) - 1, split = bltUpperBound(starts, ce - 1) - 1 !== u;
    if (split || cs < lo || ce > hi) {
      run = null;
      out.push({ s: cs, e: ce, text: cl.text[c], unit: u, split });
    } else if (run && run.unit === u && run.e === cs) {
      run.e = ce; run.text += cl.text[c];
    } else {
      out.push((run = { s: cs, e: ce, text: cl.text[c], unit: u, split: false }));
    }
  }
  return out;
}

// Columns a text takes in the bars' monospace font: East Asian wide characters and emoji take two.
const BW_WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f000}-\u{1faff}\u{20000}-\u{3fffd}]/u;
function bwColumns(text) {
  let n = 0;
  for (const ch of text) n += BW_WIDE.test(ch) ? 2 : 1;
  return n;
}

// A unit's tooltip: which unit, its bytes, its text (whole clusters, within the window), and the
// byte split of each character it shares with a neighbour. pieces[j0] is the first piece that may
// overlap bytes [s, e) (the caller walks both in byte order, so a wide window stays linear).
function bwUnitTip(lane, u, s, e, pieces, j0, data, starts) {
  let text = "";
  const splits = [];
  for (let j = j0; j < pieces.length && pieces[j].s < e; j++) {
    const p = pieces[j];
    if (p.e <= s) continue;
    text += p.text;
    if (p.split) splits.push(`${p.text} ${bltSplitTitle(data, p.s, p.e, starts, p.unit, lane.unit)}`);
  }
  return [`${lane.name} #${u}: bytes ${s}–${e - 1}`, text, ...splits].join("\n");
}

// Units of lane `starts` that overlap [lo, hi): [first, last).
function bwUnitRange(starts, lo, hi) {
  return [Math.max(0, bltUpperBound(starts, lo) - 1), bltUpperBound(starts, hi - 1)];
}

function bwTicks(lo, hi, count) {
  const span = Math.max(1, hi - lo), raw = span / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t < hi; t += step) out.push(t);
  return out;
}

// CHAR_PX: the width of one column of the bars' monospace font (11 px, 9 px in a narrow chart:
// window.css .bw-narrow), with a margin.
const BW_CHAR_PX = { wide: 7, narrow: 5.6 };

// Whether the window's text is mostly right-to-left (Arabic, Hebrew): then the lanes run right to left, so
// its units read in order, the first byte on the right.
function bwRightToLeft(cl, lo, hi) {
  let rtl = 0, ltr = 0;
  for (let c = Math.max(0, bltUpperBound(cl.start, lo) - 1); c < cl.count && cl.start[c] < hi; c++) {
    if (cl.kind[c] !== 0) continue;
    if (BLT_RTL.test(cl.text[c])) rtl++;
    else if (/\p{L}/u.test(cl.text[c])) ltr++;
  }
  return rtl > ltr;
}

// Black or white text gets a halo of the other, so a glyph over two differently shaded bars still reads.
function bwHalo(ink) {
  return ink.toUpperCase() === "#FFFFFF" ? "0 0 3px rgba(0,0,0,0.9)" : "0 0 3px rgba(255,255,255,0.95)";
}

function bwDrawLanes(box, d, lo, hi, trackW, narrow) {
  const charPx = narrow ? BW_CHAR_PX.narrow : BW_CHAR_PX.wide;
  const rtl = bwRightToLeft(d.clusters, lo, hi), side = rtl ? "right" : "left";
  box.classList.toggle("bw-rtl", rtl);
  const frag = document.createDocumentFragment(), span = Math.max(1, hi - lo);
  d.header.lanes.forEach((lane, i) => {
    const row = document.createElement("div"), name = document.createElement("div"), track = document.createElement("div");
    row.className = "bw-row"; name.className = "bw-name"; track.className = "bw-track";
    name.textContent = lane.name;
    const starts = d.arrays[`lane${i}`], marks = d.arrays[`mark${i}`], [u0, u1] = bwUnitRange(starts, lo, hi);
    const pieces = bwPieces(d.clusters, starts, lo, hi), pct = (x) => `${((x - lo) / span) * 100}%`;
    let j = 0;
    for (let u = u0; u < u1; u++) {
      const s = starts[u], e = u + 1 < starts.length ? starts[u + 1] : d.n, a = Math.max(s, lo), b = Math.min(e, hi);
      while (j < pieces.length && pieces[j].e <= a) j++;
      const bar = document.createElement("div");
      bar.className = "bw-bar" + (marks && marks[u] ? " bw-marked" : "");
      bar.style[side] = pct(a);
      bar.style.width = `${((b - a) / span) * 100}%`;
      bar.style.background = lane.fills[u % 2];
      bar.dataset.tip = bwUnitTip(lane, u, a, b, pieces, j, d.arrays.data, starts);
      track.appendChild(bar);
    }
    // text over the bars (pointer-events: none, so hover and taps reach the bar under it)
    for (const p of pieces) {
      const el = document.createElement("span");
      el.className = "bw-text" + (p.split ? " bw-split" : "");
      el.style[side] = pct(p.s);
      el.style.width = `${((p.e - p.s) / span) * 100}%`;
      const ink = lane.ink[(p.split ? bltWidestPart(bltSplitParts(p.s, p.e, starts, p.unit)) : p.unit) % 2];
      el.style.color = ink;
      if (p.split) el.style.textShadow = bwHalo(ink);
      el.textContent = p.text;
      // a piece too narrow for its text hides it (plotly's uniformtext "hide"); the tooltip still has it
      if (bwColumns(p.text) * charPx > ((p.e - p.s) / span) * trackW) el.classList.add("bw-hidden");
      track.appendChild(el);
      if (!p.split) continue;
      for (let k = bltUpperBound(starts, p.s); k < starts.length && starts[k] < p.e; k++) {
        const tick = document.createElement("span");  // the boundary, under the glyph
        tick.className = "bw-tick";
        tick.style[side] = pct(starts[k]);
        track.appendChild(tick);
      }
    }
    row.append(name, track);
    frag.appendChild(row);
  });
  const axis = document.createElement("div"), pad = document.createElement("div"), ticks = document.createElement("div");
  axis.className = "bw-row bw-axis"; pad.className = "bw-name"; ticks.className = "bw-track";
  pad.textContent = "byte offset";
  for (const t of bwTicks(lo, hi, 8)) {
    const tick = document.createElement("span");
    tick.style[side] = `${((t - lo + 0.5) / span) * 100}%`;
    tick.textContent = t.toLocaleString("en-US");
    ticks.appendChild(tick);
  }
  axis.append(pad, ticks);
  frag.appendChild(axis);
  box.replaceChildren(frag);
  return rtl;
}
