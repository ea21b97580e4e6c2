// The explorer component: the payload mount stores the blob once; the view mount re-patches in
// the browser on every animation frame and tells the server the settings on release.
"use strict";

const BLT_STORE = (globalThis.__bltExplorer = globalThis.__bltExplorer || { payloads: new Map(), waiting: new Map(), frames: 0, lastFrame: null });

function bltParsePayload(u8) {
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const hlen = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(4, 4 + hlen)));
  const buf = u8.slice(4 + hlen).buffer;  // a fresh, aligned copy of the body
  const A = header.arrays, take = (T, name) => new T(buf, A[name][0], A[name][1]);
  const p = { header, n: header.n, k: header.k, e: take(Float32Array, "entropies"), surprisal: take(Float32Array, "surprisal"),
              topBytes: take(Int16Array, "top_bytes"), data: take(Uint8Array, "data"), topProbs: take(Uint8Array, "top_probs") };
  p.units = bltUnits(p.data, take(Uint8Array, "units"));
  p.clusters = bltClusters(p.units);
  p.cum = new Float64Array(p.n + 1);  // prefix sums: any patch's mean entropy in O(1)
  for (let k = 0; k < p.n; k++) p.cum[k + 1] = p.cum[k] + p.e[k];
  return p;
}

const BLT_HTML = `
<div class="blt-x">
  <div class="blt-controls" data-c="controls">
    <label class="blt-more">Mode <select data-c="mode"></select></label>
    <label class="blt-theta">θ <span data-c="unitlabel"></span>
      <input type="range" data-c="threshold" min="0" step="0.001" aria-label="Threshold θ">
      <output data-c="thetaout"></output></label>
    <button class="blt-more-toggle" data-c="more" aria-expanded="false">More ▾</button>
    <label class="blt-more">θ_r <input type="number" data-c="theta_r" step="0.01"></label>
    <label class="blt-more">Max length <input type="number" data-c="max_patch_length" min="0" max="4096" step="1"></label>
    <label class="blt-more">Static size <input type="number" data-c="patch_size" min="1" max="64" step="1"></label>
  </div>
  <div class="blt-counts" data-c="counts"></div>
  <canvas class="blt-overview" data-c="overview" tabindex="0" aria-label="Overview of the whole input: drag or use the arrow keys to move the window"></canvas>
  <div class="blt-caption"><button data-c="prev" aria-label="Previous window">◀</button>
    <span data-c="caption"></span><button data-c="next" aria-label="Next window">▶</button>
    <button data-c="png" title="Download the entropy chart as a PNG">PNG</button></div>
  <div class="blt-patches" data-c="strip" dir="auto"></div>
  <div class="blt-info" data-c="info"></div>
  <canvas class="blt-chart" data-c="chart" tabindex="0" role="slider" aria-label="Threshold θ: drag the line, or use the arrow keys (Shift or Page Up/Down: coarse steps)"></canvas>
  <div class="blt-tip" data-c="tip" hidden></div>
  <canvas class="blt-hist" data-c="hist"></canvas>
</div>`;

function bltSame(a, b) {
  return !!a && !!b && ["mode", "threshold", "theta_r", "patch_size", "max_patch_length"].every((k) => a[k] === b[k]);
}

function bltMountView(component, view) {
  const root = component.parentElement;
  let ui = BLT_STORE.views && BLT_STORE.views.get(root);
  if (!ui) {
    const holder = document.createElement("div");
    holder.innerHTML = BLT_HTML;  // a constant template: no user data
    root.appendChild(holder.firstElementChild);  // beside Streamlit's <style>, which must stay
    ui = bltCreateUi(root, component);
    (BLT_STORE.views = BLT_STORE.views || new Map()).set(root, ui);
  }
  ui.component = component;
  ui.update(view);
  const p = BLT_STORE.payloads.get(view.payload);
  if (p) ui.setPayload(p);
  else BLT_STORE.waiting.set(view.payload, (q) => ui.setPayload(q));
  return () => {};
}

export default function (component) {
  const data = component.data;
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {  // the payload mount: parse once, draw nothing
    const u8 = data instanceof Uint8Array ? data : new Uint8Array(data);
    const p = bltParsePayload(u8);
    BLT_STORE.payloads.set(p.header.id, p);
    if (BLT_STORE.payloads.size > 4) BLT_STORE.payloads.delete(BLT_STORE.payloads.keys().next().value);
    const cb = BLT_STORE.waiting.get(p.header.id);
    if (cb) { BLT_STORE.waiting.delete(p.header.id); cb(p); }
    return;
  }
  return bltMountView(component, data);
}
