"""The injection corpus (tests/data/injection_payloads.json) and the checks every page must pass with it.

Shared by tests/e2e/test_injection_corpus.py (payloads joined, a few page loads per channel) and
bench/bench_injection.py (every payload alone, on every page and channel).
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "injection_payloads.json"
LITERAL = "<script>window.__pwned=1</script>"  # a payload without spaces, so it reads the same in every view

# Run in every frame (the explorer component lives in an iframe): what a payload that ran or rendered leaves.
# Streamlit's v2 components mount in shadow roots, which querySelectorAll and textContent do not enter: the
# probe walks every open shadow root too.
FRAME_PROBE = """() => {
    const roots = [document];
    for (let i = 0; i < roots.length; i++) {
        for (const el of roots[i].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
    }
    const all = sel => roots.flatMap(r => [...r.querySelectorAll(sel)]);
    return {
        pwned: typeof window.__pwned !== 'undefined',
        marked: all('.pwn, [class~="pwn"]').length,
        js_links: all('a[href], iframe[src], embed[src], object[data], base[href]')
            .map(e => (e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('data') || '')
                      .replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase())
            .filter(h => h.startsWith('javascript:') || h.startsWith('data:text/html')).length,
        scripts: all('script').filter(s => s.textContent.includes('__pwned')).length,
        shadow_roots: roots.length - 1,
        text: roots.map(r => (r === document ? document.body : r) ?.textContent || '').join('\\n'),
    };
}"""


def payloads() -> dict[str, list[str]]:
    """Channel group -> payloads (tags, event_handlers, links, bidi_and_invisible, file_names)."""
    return json.loads(CORPUS.read_text(encoding="utf-8"))["payloads"]


def contents() -> list[str]:
    """Every payload used as text (file names too: they are text where a name is typed)."""
    return [p for group in payloads().values() for p in group]


def joined(limit: int | None = None) -> list[str]:
    """The contents joined by newlines into as few texts as fit `limit` UTF-8 bytes each (None: one text)."""
    out, cur = [], ""
    for p in contents():
        nxt = f"{cur}\n{p}" if cur else p
        if limit is not None and cur and len(nxt.encode()) > limit:
            out.append(cur)
            nxt = p
        cur = nxt
    return out + [cur]


def inspect(page) -> dict:
    """The probe over every frame of the page: counts summed, texts concatenated."""
    total = {"pwned": False, "marked": 0, "js_links": 0, "scripts": 0, "shadow_roots": 0, "text": ""}
    for frame in page.frames:
        try:
            got = frame.evaluate(FRAME_PROBE)
        except Exception:  # a frame that navigated away mid-probe holds nothing of ours
            continue
        total["pwned"] |= got["pwned"]
        for k in ("marked", "js_links", "scripts", "shadow_roots"):
            total[k] += got[k]
        total["text"] += got["text"]
    return total


def problems(page, dialogs: list[str]) -> list[str]:
    """What went wrong on this page: an executed payload, a rendered element, a dialog ([] when safe)."""
    got = inspect(page)
    out = []
    if got["pwned"]:
        out.append("window.__pwned was set: a payload ran")
    if dialogs:
        out.append(f"dialogs opened: {dialogs}")
    for k, what in (("marked", "elements with class pwn"), ("js_links", "javascript:/data: links"),
                    ("scripts", "injected script elements")):
        if got[k]:
            out.append(f"{got[k]} {what} in the DOM")
    return out
