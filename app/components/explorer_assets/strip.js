// The patch strip: the window's bytes as grapheme clusters, one span each, built with
// createElement/textContent only (user bytes never pass through innerHTML). The spans are built
// once per window; a re-patch only repaints them (background, text colour, an inset shadow
// marking each patch's start), so dragging the threshold never re-lays out the text. A cluster
// whose bytes fall in several patches is drawn once, its background banded in the patches'
// colours with a short tick under each boundary byte; its tooltip spells the byte split.
"use strict";

const BLT_CLASS = ["", "blt-sp", "blt-ctl", "blt-bad"];
const BLT_TICK = "#202020";

// The strip's colours as classes, one per step of the colour table ([background, text] pairs), in a
// style element of the component's own: a re-patch then changes a span's class, not its inline style,
// so nothing is parsed and spans of one colour share one computed style.
function bltColourSheet(root, colours) {
  let sheet = root.querySelector("style[data-blt-colours]");
  if (!sheet) {
    sheet = document.createElement("style");
    sheet.dataset.bltColours = "";
    root.appendChild(sheet);
  }
  const hex = /^#[0-9a-fA-F]{3,8}$/;  // the table is the server's palette; anything else is dropped
  sheet.textContent = colours.map(([bg, fg], i) => hex.test(bg) && hex.test(fg) ?
    `.blt-patches .blt-c${i} { background: ${bg}; color: ${fg}; }` : "").join("\n");
}

// Spans for clusters [c0, c1) of the whole input: {root, c0, c1, els, base (class), rtl, last, ps, pe}.
function bltBuildStrip(root, clusters, c0, c1) {
  const frag = document.createDocumentFragment(), els = [], rtl = [], base = [];
  for (let c = c0; c < c1; c++) {
    const g = document.createElement("span"), text = clusters.text[c];
    g.className = "blt-u " + BLT_CLASS[clusters.kind[c]];
    base.push(g.className);
    g.textContent = text;
    g.dataset.c = c;
    frag.appendChild(g);
    if (text === "↵") frag.appendChild(document.createTextNode("\n"));
    els.push(g); rtl.push(BLT_RTL.test(text));
  }
  root.replaceChildren(frag);
  return { root, c0, c1, els, base, rtl, last: new Array(els.length).fill(""), ps: new Int32Array(els.length).fill(-1),
           pe: new Int32Array(els.length), cls: base.slice(), view: null, tops: null };
}

// Spans [j0, j1) whose rows are on screen in the strip's scroll box (plus a row above and below). The
// spans' tops are read once per build or resize (a repaint never moves them); the scroll position and
// height come from the scroll and resize handlers, so a frame reads no layout.
function bltVisibleSpans(strip, box) {
  if (!box.height) return [0, strip.els.length];
  if (!strip.tops) {
    const base = strip.root.offsetTop;
    strip.tops = Float64Array.from(strip.els, (el) => el.offsetTop - base);
  }
  const margin = 40, a = box.scrollTop - margin, b = box.scrollTop + box.height + margin;
  return [bltUpperBound(strip.tops, a - 1e-9), bltUpperBound(strip.tops, b)];
}

// Style of a split cluster: one colour band per patch over its bytes, and below them a
// short dark tick at each boundary byte (a full-height rule would strike the glyph through);
// drawn right to left for right-to-left text so the tick sits on the right byte.
function bltSplitBackground(cs, ce, starts, pi, colourOf, rtl) {
  const n = ce - cs, bands = [], ticks = [], parts = bltSplitParts(cs, ce, starts, pi);
  for (const { unit, s, e } of parts) {
    const a = ((s - cs) / n) * 100, z = ((e - cs) / n) * 100, col = colourOf(unit)[0];
    bands.push(`${col} ${a}%`, `${col} ${z}%`);
    if (s > cs) ticks.push(`transparent calc(${a}% - 1.5px)`, `${BLT_TICK} calc(${a}% - 1.5px)`,
                           `${BLT_TICK} calc(${a}% + 1.5px)`, `transparent calc(${a}% + 1.5px)`);
  }
  const fg = colourOf(bltWidestPart(parts))[1];  // the text colour of the widest band
  const dir = rtl ? "to left" : "to right";
  return `background:linear-gradient(${dir}, ${ticks.join(", ")}) bottom / 100% 35% no-repeat, ` +
         `linear-gradient(${dir}, ${bands.join(", ")});color:${fg}`;
}

// Repaint spans [j0, j1) of the strip for patch starts `starts`, paint-only changes. A span that lies
// in one patch takes that patch's colour class (colourIndex(i): its step in the colour table) and keeps
// it while the patch's first and next start stay the same, so a drag touches only the spans whose patch
// changed; `view` (colours) changing repaints every span. A split span gets an inline gradient instead.
function bltPaintStrip(strip, clusters, starts, colourIndex, colours, j0, j1, view) {
  if (strip.view !== view) { strip.view = view; strip.ps.fill(-1); strip.last.fill(""); strip.cls = strip.base.slice(); }
  let pi = Math.max(0, bltUpperBound(starts, clusters.start[strip.c0 + j0]) - 1);
  for (let j = j0; j < j1; j++) {
    const c = strip.c0 + j, cs = clusters.start[c], ce = clusters.end[c], el = strip.els[j];
    while (pi + 1 < starts.length && starts[pi + 1] <= cs) pi++;
    const next = pi + 1 < starts.length ? starts[pi + 1] : -1;
    if (next === -1 || next >= ce) {  // the whole cluster is in patch pi
      if (strip.ps[j] === starts[pi] && strip.pe[j] === next) continue;
      if (strip.last[j]) { el.style.cssText = ""; strip.last[j] = ""; }  // it was split
      // a new patch often keeps the old one's colour step: then the class stays and no style is recalculated
      const cls = `${strip.base[j]} blt-c${colourIndex(pi)}${starts[pi] === cs ? " blt-open" : ""}`;
      if (strip.cls[j] !== cls) { el.className = cls; strip.cls[j] = cls; }
      strip.ps[j] = starts[pi]; strip.pe[j] = next;
      continue;
    }
    const last = bltUpperBound(starts, ce - 1) - 1, opens = starts[pi] === cs;
    const style = bltSplitBackground(cs, ce, starts, pi, (i) => colours[colourIndex(i)], strip.rtl[j]);
    const key = style + (opens ? "|open" : "");
    if (strip.last[j] !== key) {
      el.style.cssText = style;
      el.className = strip.cls[j] = `${strip.base[j]} blt-split${opens ? " blt-open" : ""}`;
      strip.last[j] = key; strip.ps[j] = -1;
    }
    pi = last;
  }
}

// The tooltip of a cluster span, made when it is hovered or tapped.
function bltStripTitle(el, data, clusters, starts, patchTitle) {
  const c = Number(el.dataset.c), pi = bltUpperBound(starts, clusters.start[c]) - 1;
  if (el.classList.contains("blt-split")) return bltSplitTitle(data, clusters.start[c], clusters.end[c], starts, pi);
  return patchTitle(pi);
}
