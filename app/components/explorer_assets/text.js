// Bytes -> units -> grapheme clusters. The server's byte renderer decides each unit's kind
// (payload unit codes); this file only spells it: characters decoded as UTF-8, whitespace as
// the app's glyphs, control and invalid bytes as \xNN (multi-byte controls as \uNNNN), exactly
// as blt_core.bytes_codec renders them (a browser test compares every unit's text).
"use strict";

const BLT_KINDS = ["char", "space", "control", "invalid"];
const BLT_WHITESPACE = { 0x20: "·", 0x0a: "↵", 0x09: "⇥" };

function bltHex2(b) { return "\\x" + b.toString(16).padStart(2, "0"); }

function bltHexList(data, s, e) {
  const out = [];
  for (let k = s; k < e; k++) out.push(data[k].toString(16).padStart(2, "0"));
  return out.join(" ");
}

// The parts of a character whose bytes [cs, ce) fall in several units of `starts` (pi: the unit of its
// first byte): [{unit, s, e}] in byte order, one per unit it touches.
function bltSplitParts(cs, ce, starts, pi) {
  const parts = [];
  for (let i = pi, b = cs; b < ce; i++) {
    const next = Math.min(ce, i + 1 < starts.length ? starts[i + 1] : ce);
    parts.push({ unit: i, s: b, e: next });
    b = next;
  }
  return parts;
}

// The unit holding most of a split character's bytes (its glyph takes that unit's text colour).
function bltWidestPart(parts) {
  return parts.reduce((best, p) => (p.e - p.s > best.e - best.s ? p : best)).unit;
}

// The tooltip of a split character: its bytes in hex, grouped by unit. `word` names the units (patch, token).
function bltSplitTitle(data, cs, ce, starts, pi, word = "patch") {
  const parts = bltSplitParts(cs, ce, starts, pi).map((p) => `${bltHexList(data, p.s, p.e)} (${word} ${p.unit})`);
  return `character split across ${word === "patch" ? "patches" : word + "s"}: ` + parts.join(" | ");
}

function bltNamed(cp) {
  return cp <= 0xffff ? "\\u" + cp.toString(16).padStart(4, "0") : "\\U" + cp.toString(16).padStart(8, "0");
}

// One unit's text; `decoded` is its character when the unit is valid UTF-8.
function bltUnitText(kind, bytes, decoded) {
  if (kind === "invalid") return bltHex2(bytes[0]);
  if (kind === "char") return decoded;
  if (bytes.length === 1) return kind === "space" ? BLT_WHITESPACE[bytes[0]] : bltHex2(bytes[0]);
  return bltNamed(decoded.codePointAt(0));
}

// Units of the whole input: {start, len, kind, text} arrays (typed where numeric).
function bltUnits(data, codes) {
  const m = codes.length, start = new Int32Array(m), len = new Uint8Array(m), kind = new Uint8Array(m);
  const text = new Array(m), dec = new TextDecoder("utf-8");
  let pos = 0;
  for (let j = 0; j < m; j++) {
    start[j] = pos; len[j] = (codes[j] & 3) + 1; kind[j] = codes[j] >> 2; pos += len[j];
  }
  // decode each run of valid units at once (one TextDecoder call per run, not per character)
  for (let j = 0; j < m;) {
    let r = j;
    while (r < m && kind[r] !== 3) r++;
    const s = dec.decode(data.subarray(start[j], r < m ? start[r] : pos));
    let off = 0;
    for (let u = j; u < r; u++) {
      const w = len[u] === 4 ? 2 : 1;  // a 4-byte character is a surrogate pair in JS strings
      text[u] = bltUnitText(BLT_KINDS[kind[u]], data.subarray(start[u], start[u] + len[u]), s.slice(off, off + w));
      off += w;
    }
    if (r < m) text[r] = bltHex2(data[start[r]]);
    j = r + 1;
  }
  return { start, len, kind, text, m };
}

// Grapheme clusters over the units: characters grouped by Intl.Segmenter (combining marks,
// conjuncts and emoji ZWJ sequences stay whole); every other unit is a cluster of its own.
// Returns {start, end (bytes), text, kind (of its first unit), count}.
function bltClusters(units) {
  const seg = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  const cs = [], ce = [], ct = [], ck = [];
  const { m, start, len, kind, text } = units;
  for (let j = 0; j < m;) {
    if (kind[j] !== 0) {
      cs.push(start[j]); ce.push(start[j] + len[j]); ct.push(text[j]); ck.push(kind[j]); j++;
      continue;
    }
    let r = j, run = "";
    while (r < m && kind[r] === 0) run += text[r++];
    let u = j, off = 0;
    for (const g of seg.segment(run)) {
      const end16 = g.index + g.segment.length, first = u;
      while (u < r && off < end16) { off += len[u] === 4 ? 2 : 1; u++; }
      cs.push(start[first]); ce.push(start[u - 1] + len[u - 1]); ct.push(g.segment); ck.push(0);
    }
    j = r;
  }
  return { start: Int32Array.from(cs), end: Int32Array.from(ce), text: ct, kind: Uint8Array.from(ck), count: cs.length };
}

// First index i with arr[i] > x (arr sorted ascending).
function bltUpperBound(arr, x) {
  let lo = 0, hi = arr.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] <= x) lo = mid + 1; else hi = mid; }
  return lo;
}

const BLT_RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/;
