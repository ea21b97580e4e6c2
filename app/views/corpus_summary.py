"""A score-corpus summary drawn: the corpus-wide patch-length distribution and the figures beside it.

>>> m = {"totals": {"documents": 2, "bytes": 9, "patches": 3, "mean_patch_length": 3.0},
...      "threshold": {"value": 1.5, "chosen": "given"}, "model": {"name": "tiny"}}
>>> [(k, v) for k, v in metrics(m, "nats")][:2]
[('Documents', '2'), ('Bytes', '9')]
>>> fig = histogram_figure(np.array([0, 2, 0, 1, 0]))          # two 1-byte patches, one 3-byte, none longer
>>> list(fig.data[0].x), list(fig.data[0].y)
(['1', '2', '3', '>3'], [2, 0, 1, 0])
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.views.charts import integer_step
from app.views.palette import OKABE_ITO
from app.views.units import fmt_entropy

HOW_TO_CONFIGURE = ("No corpus folder is configured on this server. To show one here, score a corpus with "
                    "`python -m blt_core score-corpus INPUT... --out DIR`, then start the app with "
                    "`BLT_CORPUS_DIRS=/path/to/folder` (DIR itself or its parent; several folders separated by `:`).")


def metrics(manifest: dict, unit: str) -> list[tuple[str, str]]:
    """(label, value) pairs for the corpus's totals and threshold, from its manifest."""
    t, th = manifest["totals"], manifest["threshold"]
    mean = t.get("mean_patch_length")
    return [("Documents", f"{t['documents']:,}"), ("Bytes", f"{t['bytes']:,}"),
            ("Mean patch length", "n/a" if mean is None else f"{mean:.2f} bytes"),
            ("Threshold", f"{fmt_entropy(th['value'], unit, 4)} ({th['chosen']})")]


def caption(manifest: dict, documents_read: int, complete: bool) -> str:
    """Where the numbers come from, in one line."""
    th = manifest["threshold"]
    calibrated = (f" calibrated on {th['sample_docs']:,} documents to a target of {th['target']:g} bytes per patch "
                  f"(reached {th['achieved_mean_patch_length']:.2f});") if th.get("chosen") == "calibrated" else ""
    drawn = ("the histogram counts every document" if complete else
             f"the histogram counts the first {documents_read:,} documents (reading stops at a fixed number of patches)")
    return (f"Model {manifest['model']['name']}, {manifest.get('chunking', 'continuous')} chunking, "
            f"{len(manifest['shards'])} shards;{calibrated} {drawn}.")


def histogram_figure(histogram: np.ndarray) -> go.Figure:
    """Bars of patch counts per length (histogram index = length, index 0 unused, the last = longer)."""
    counts = np.asarray(histogram[1:], dtype=np.int64)
    top = len(counts) - 1
    labels = [str(k) for k in range(1, top + 1)] + [f">{top}"]
    fig = go.Figure(go.Bar(x=labels, y=counts.tolist(), marker_color=OKABE_ITO["bluish_green"],
                           hovertemplate="%{y:,} patches of %{x} bytes<extra></extra>"))
    step = integer_step(top)
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10}, bargap=0.1,
                      xaxis={"title": "patch length (bytes)", "type": "category",
                             "tickvals": labels[::step] + ([labels[-1]] if (top % step) else [])},
                      yaxis={"title": "patches", "tickformat": ",d", "rangemode": "tozero"})
    return fig
