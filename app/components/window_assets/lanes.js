// Compare's lanes for bytes [lo, hi): one row per segmentation, one bar per unit (a patch or a token)
// clipped to the window, its bytes as text. Built with createElement/textContent only: user bytes never
// pass through innerHTML. Bars are placed in percent of the window, so a resize needs no redraw.
"use strict";

// The text of bytes [a, b), as views/glyphs.visible spells that slice: a unit wholly inside is its
// text (characters, whitespace glyphs, \xNN), and each byte of a unit cut by a or b is \xNN.
function bwSliceText(units, data, a, b) {
  let out = "";
  for (let u = Math.max(0, bltUpperBound(units.start, a) - 1); u < units.m && units.start[u] < b; u++) {
    const s = units.start[u], e = s + units.len[u];
    if (s >= a && e <= b) out += units.text[u];
    else for (let k = Math.max(s, a); k < Math.min(e, b); k++) out += bltHex2(data[k]);
  }
  return out;
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

// A bar shows its text only when the text fits (as plotly's uniformtext "hide" did); its tooltip always
// has it. CHAR_PX: the width of one character of the bars' monospace font (11 px, 9 px in a narrow
// chart: window.css .bw-narrow), with a margin.
const BW_CHAR_PX = { wide: 7, narrow: 5.6 };

function bwDrawLanes(box, d, lo, hi, trackW, narrow) {
  const charPx = narrow ? BW_CHAR_PX.narrow : BW_CHAR_PX.wide;
  const frag = document.createDocumentFragment(), span = Math.max(1, hi - lo);
  d.header.lanes.forEach((lane, i) => {
    const row = document.createElement("div"), name = document.createElement("div"), track = document.createElement("div");
    row.className = "bw-row"; name.className = "bw-name"; track.className = "bw-track";
    name.textContent = lane.name;
    const starts = d.arrays[`lane${i}`], marks = d.arrays[`mark${i}`], [u0, u1] = bwUnitRange(starts, lo, hi);
    for (let u = u0; u < u1; u++) {
      const s = starts[u], e = u + 1 < starts.length ? starts[u + 1] : d.n, a = Math.max(s, lo), b = Math.min(e, hi);
      const bar = document.createElement("div");
      bar.className = "bw-bar" + (marks && marks[u] ? " bw-marked" : "");
      bar.style.left = `${((a - lo) / span) * 100}%`;
      bar.style.width = `${((b - a) / span) * 100}%`;
      bar.style.background = lane.fills[u % 2];
      bar.style.color = lane.ink[u % 2];
      const text = bwSliceText(d.units, d.arrays.data, a, b);
      bar.textContent = [...text].length * charPx <= ((b - a) / span) * trackW ? text : "";
      bar.dataset.tip = `${lane.name} #${u}: bytes ${s}–${e - 1}\n${text}`;
      track.appendChild(bar);
    }
    row.append(name, track);
    frag.appendChild(row);
  });
  const axis = document.createElement("div"), pad = document.createElement("div"), ticks = document.createElement("div");
  axis.className = "bw-row bw-axis"; pad.className = "bw-name"; ticks.className = "bw-track";
  pad.textContent = "byte offset";
  for (const t of bwTicks(lo, hi, 8)) {
    const tick = document.createElement("span");
    tick.style.left = `${((t - lo + 0.5) / span) * 100}%`;
    tick.textContent = t.toLocaleString("en-US");
    ticks.appendChild(tick);
  }
  axis.append(pad, ticks);
  frag.appendChild(axis);
  box.replaceChildren(frag);
}
