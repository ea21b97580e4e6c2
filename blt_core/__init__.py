"""blt_core: tokenizer-free language modeling, made visible. The public API, and nothing else.

    analyze(data, *, mode, threshold, ...) -> Analysis   bytes -> entropies -> patches
    score(data, ...) -> Scores; patch_scores(scores, ...) -> Analysis   the same in two steps
    tokenize(data, *, tokenizer) -> Segmentation          BPE baselines
    generate(prompt, ...) -> Generation; generate_stream(prompt, ...) -> ByteEvents, folded by GenerationTrace

Names that need tiktoken or the generator load on first use, so `import blt_core` stays cheap
and never imports torch.
"""

from blt_core.api import analyze, patch_scores, score
from blt_core.backends import BACKENDS
from blt_core.bytes_codec import Unit, byte_units, render_bytes, to_bytes
from blt_core.calibrate import calibrate_threshold
from blt_core.checkpoints import DEFAULT_CARD, Card, WeightsError, load_card
from blt_core.constants import MAX_ENTROPY_NATS, OFFICIAL_THRESHOLD, THRESHOLD_CEILING
from blt_core.noise import PERTURBATIONS, noise_report, perturb
from blt_core.patching import PATCH_MODES, byte_patch_starts, space_patch_starts, static_patch_starts
from blt_core.results import Analysis, Generation, Scores, Segmentation
from blt_core.segments import SAMPLES_DIR, boundary_prf, per_script_table
from blt_core.weights_dirs import AllowedFolder, allowed_roots, offered_weights, resolve_weights

_LAZY = {  # name -> module that defines it
    "tokenize": "blt_core.bpe", "count_tokens": "blt_core.bpe", "TOKENIZERS": "blt_core.bpe",
    "generate": "blt_core.generator.generate", "generate_stream": "blt_core.generator.generate",
    "load_generator": "blt_core.generator.generate", "DEFAULT_GENERATOR_CARD": "blt_core.generator.generate",
    "GenerationTrace": "blt_core.generator.generate", "MAX_PROMPT_BYTES": "blt_core.generator.generate",
    "flops": "blt_core.flops",
    "corpus_roots": "blt_core.corpus.summary", "offered_corpora": "blt_core.corpus.summary",
    "corpus_summary": "blt_core.corpus.summary",
}

__all__ = ["Analysis", "Generation", "Scores", "Segmentation", "analyze", "score", "patch_scores", "BACKENDS",
           "WeightsError", "Card", "DEFAULT_CARD", "load_card", "MAX_ENTROPY_NATS", "OFFICIAL_THRESHOLD",
           "THRESHOLD_CEILING", "PATCH_MODES", "byte_patch_starts", "space_patch_starts",
           "static_patch_starts", "calibrate_threshold", "PERTURBATIONS", "noise_report", "perturb", "SAMPLES_DIR",
           "boundary_prf", "per_script_table", "Unit", "byte_units", "render_bytes", "to_bytes",
           "AllowedFolder", "allowed_roots", "offered_weights", "resolve_weights", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        return module if name == "flops" else getattr(module, name)
    raise AttributeError(f"module 'blt_core' has no attribute {name!r}")
