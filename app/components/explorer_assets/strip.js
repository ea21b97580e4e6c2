// The patch strip: the window's bytes as grapheme clusters inside patch boxes, built with
// createElement/textContent only (user bytes never pass through innerHTML). A cluster whose
// bytes fall in several patches is drawn once, its background split in the patches' colours
// with a tick at each boundary byte; its tooltip spells the byte split.
"use strict";

const BLT_CLASS = ["", "blt-sp", "blt-ctl", "blt-bad"];

function bltHexList(data, s, e) {
  const out = [];
  for (let k = s; k < e; k++) out.push(data[k].toString(16).padStart(2, "0"));
  return out.join(" ");
}

// Background of a split cluster: one colour band per patch over its bytes, and below them a
// short dark tick at each boundary byte (a full-height rule would strike the glyph through);
// drawn right to left for right-to-left text so the tick sits on the right byte.
function bltSplitBackground(cs, ce, starts, pi, colourOf, rtl) {
  const n = ce - cs, bands = [], ticks = [];
  let i = pi;
  for (let b = cs; b < ce;) {
    const next = Math.min(ce, i + 1 < starts.length ? starts[i + 1] : ce);
    const a = ((b - cs) / n) * 100, z = ((next - cs) / n) * 100, col = colourOf(i)[0];
    bands.push(`${col} ${a}%`, `${col} ${z}%`);
    if (b > cs) ticks.push(`transparent calc(${a}% - 1.5px)`, `#202020 calc(${a}% - 1.5px)`,
                           `#202020 calc(${a}% + 1.5px)`, `transparent calc(${a}% + 1.5px)`);
    b = next; i++;
  }
  const dir = rtl ? "to left" : "to right";
  return `linear-gradient(${dir}, ${ticks.join(", ")}) bottom / 100% 35% no-repeat, ` +
         `linear-gradient(${dir}, ${bands.join(", ")})`;
}

function bltSplitTitle(data, cs, ce, starts, pi) {
  const parts = [];
  let i = pi;
  for (let b = cs; b < ce;) {
    const next = Math.min(ce, i + 1 < starts.length ? starts[i + 1] : ce);
    parts.push(`${bltHexList(data, b, next)} (patch ${i})`);
    b = next; i++;
  }
  return "character split across patches: " + parts.join(" | ");
}

// Fill `root` with the patches overlapping clusters [c0, c1). colourOf(i) -> [bg, fg];
// patchTitle(i) -> tooltip text of patch i.
function bltDrawStrip(root, data, clusters, starts, c0, c1, colourOf, patchTitle) {
  const frag = document.createDocumentFragment();
  const P = starts.length;
  let pi = Math.max(0, bltUpperBound(starts, clusters.start[c0]) - 1);
  let box = null, plain = "";
  const flush = () => { if (plain) { box.appendChild(document.createTextNode(plain)); plain = ""; } };
  const openBox = (i) => {
    if (box) { flush(); if (!box.firstChild) box.remove(); }
    box = document.createElement("span");
    box.className = "blt-p";
    const [bg, fg] = colourOf(i);
    box.style.background = bg; box.style.color = fg;
    box.dataset.p = i;
    box.title = patchTitle(i);
    frag.appendChild(box);
  };
  openBox(pi);
  for (let c = c0; c < c1; c++) {
    const cs = clusters.start[c], ce = clusters.end[c], kind = clusters.kind[c], text = clusters.text[c];
    while (pi + 1 < P && starts[pi + 1] <= cs) openBox(++pi);
    const last = bltUpperBound(starts, ce - 1) - 1;  // patch holding the cluster's last byte
    if (last > pi) {  // split: one glyph, several patches
      flush();
      const g = document.createElement("span");
      g.className = "blt-split " + BLT_CLASS[kind];
      g.textContent = text;
      g.style.background = bltSplitBackground(cs, ce, starts, pi, colourOf, BLT_RTL.test(text));
      g.title = bltSplitTitle(data, cs, ce, starts, pi);
      box.classList.add("blt-to-split");
      frag.appendChild(g);  // between the boxes: the glyph belongs to both
      pi = last;
      openBox(pi);
      box.classList.add("blt-cont");
    } else if (kind === 0) {
      plain += text;
    } else {
      flush();
      const g = document.createElement("span");
      g.className = BLT_CLASS[kind];
      g.textContent = text;
      box.appendChild(g);
      if (text === "↵") box.appendChild(document.createTextNode("\n"));
    }
  }
  flush();
  root.replaceChildren(frag);
}
