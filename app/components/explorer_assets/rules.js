// Patch rules, byte for byte those of blt_core/patching.py (a Chromium test compares them on
// random entropies with ties). Classic script, no imports: the component concatenates it, and
// tests load it alone. Starts are an Int32Array, strictly increasing, first 0 (empty input: empty).
"use strict";

const BLT_MODES = ["entropy", "monotonic", "combined", "static", "space", "byte"];

function bltStartsFromFlags(flags, n) {
  // flags: Uint8Array "starts a patch" per byte; byte 0 always starts one
  if (n === 0) return new Int32Array(0);
  flags[0] = 1;
  let count = 0;
  for (let k = 0; k < n; k++) count += flags[k];
  const out = new Int32Array(count);
  for (let k = 0, j = 0; k < n; k++) if (flags[k]) out[j++] = k;
  return out;
}

// Monotonic and combined modes cast to float64 first (patching.py does), so no fround here:
// a Float32Array element read in JS is already its exact float64 value.
function bltJumpFlags(e, thetaR) {
  const n = e.length, flags = new Uint8Array(n);
  for (let k = 1; k < n; k++) flags[k] = (e[k] - e[k - 1]) > thetaR ? 1 : 0;
  return flags;
}

function bltSpacelike(b) {
  const alnum = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122);
  return !alnum && (b & 0xC0) !== 0x80;
}

function bltRange(start, stop, step) {
  const out = new Int32Array(Math.max(0, Math.ceil((stop - start) / step)));
  for (let j = 0; j < out.length; j++) out[j] = start + j * step;
  return out;
}

// Entropy mode compares in float32, as numpy does for a float32 array against a Python float
// (NEP 50: the float is weak, so it is cast to float32 first). Math.fround is that cast.
// One pass, without a flags array: a drag re-patches 100 KB on every frame, so the starts go into
// a scratch buffer kept between calls and only the patches found are copied out.
let bltScratch = new Int32Array(0);
function bltEntropyStarts(e, threshold) {
  const t = Math.fround(threshold), n = e.length;
  if (n === 0) return new Int32Array(0);
  if (bltScratch.length < n) bltScratch = new Int32Array(n);
  const out = bltScratch;
  let j = 1;
  out[0] = 0;  // byte 0 always starts a patch
  for (let k = 1; k < n; k++) if (e[k] > t) out[j++] = k;
  return out.slice(0, j);
}

const BLT_PATCHERS = {
  entropy: (e, data, o) => bltEntropyStarts(e, o.threshold),
  monotonic: (e, data, o) => bltStartsFromFlags(bltJumpFlags(e, o.theta_r), e.length),
  combined: (e, data, o) => {
    const jump = bltJumpFlags(e, o.theta_r);
    for (let k = 0; k < e.length; k++) jump[k] = jump[k] && e[k] > o.threshold ? 1 : 0;
    return bltStartsFromFlags(jump, e.length);
  },
  static: (e, data, o) => {
    if (!(o.patch_size >= 1)) throw new RangeError("patch_size must be at least 1");
    return bltRange(0, data.length, o.patch_size);
  },
  space: (e, data) => {
    const n = data.length, flags = new Uint8Array(n);
    for (let k = 1; k < n; k++) flags[k] = !bltSpacelike(data[k]) && bltSpacelike(data[k - 1]) ? 1 : 0;
    return bltStartsFromFlags(flags, n);
  },
  byte: (e, data) => bltRange(0, data.length, 1),
};

// patching.apply_max_length: every patch longer than maxLen splits into pieces of maxLen.
function bltApplyMaxLength(starts, n, maxLen) {
  if (!maxLen || starts.length === 0) return starts;
  const out = [];
  for (let i = 0; i < starts.length; i++) {
    const end = i + 1 < starts.length ? starts[i + 1] : n;
    for (let s = starts[i]; s < end; s += maxLen) out.push(s);
  }
  return Int32Array.from(out);
}

// patching.patch: the mode's rule, then the maximum length.
// opts: {threshold, theta_r, patch_size, max_patch_length (0 or null: none)}
function bltPatch(mode, e, data, opts) {
  const rule = BLT_PATCHERS[mode];
  if (!rule) throw new RangeError("unknown mode " + mode);
  return bltApplyMaxLength(rule(e, data, opts), data.length, opts.max_patch_length);
}
