"""blt_core: tokenizer-free language modeling, made visible.

Public surface (a stable contract):
    analyze(data, *, mode, threshold, ...) -> Analysis   bytes -> entropies -> patches
    score(data, ...) -> Scores; patch_scores(scores, ...) -> Analysis   the same in two steps
    tokenize(data, *, tokenizer) -> Segmentation          BPE baselines (issue 3)
    generate(prompt, ...) / generate_stream(prompt, ...)  the small BLT generator (issue 5)

Heavy parts load lazily, so `import blt_core` stays cheap and never imports torch.
"""

from blt_core.api import Analysis, Scores, analyze, patch_scores, score
from blt_core.checkpoints import WeightsError
from blt_core.patching import PATCH_MODES

__all__ = ["Analysis", "Scores", "analyze", "score", "patch_scores", "WeightsError", "PATCH_MODES",
           "tokenize", "generate", "generate_stream"]


def __getattr__(name: str):
    # optional parts are imported on first use, keeping import time and dependencies small
    if name == "tokenize":
        from blt_core.bpe import tokenize

        return tokenize
    if name in ("generate", "generate_stream"):
        from blt_core.generator import generate as generation

        return getattr(generation, name)
    raise AttributeError(f"module 'blt_core' has no attribute {name!r}")
