"""The one FLOP accountant: inference compute of BLT and BPE models (forward FLOPs, pure arithmetic).

- shapes.py: model shapes (TransformerConfig, BLTShape, BLT-1B/8B, Llama 2/3), the BPE-model ->
  tokenizer map and lookups by name;
- formula.py: the per-layer formula (DESIGN.md "Compute accounting"), per position, per BLT patch,
  per BPE byte;
- generator.py: the small BLT generator's exact FLOPs per byte, global step and patch;
- compare.py: one text (or one mean patch length) through a BLT and a BPE model, every number
  with its formula inputs: what the compute CLI and the Compute and Tune pages render;
- matched.py: the BLT global-model size a BPE model's per-byte budget buys (the paper's pairs).

>>> from blt_core import flops
>>> flops.layer_flops(4, 8, 16)  # 2*4*16 + 2*3*4*16 + 2*2*4*8
640
"""

from blt_core.flops.compare import (CONTEXT_BYTES, ComponentTotal, FormulaTerm, PatchSizeComparison,
                                    TextComparison, compare_patch_sizes, compare_text)
from blt_core.flops.formula import (COMPONENTS, attended_context, blt_flops_per_byte, blt_flops_per_patch,
                                    blt_local_flops_per_byte, bpe_flops_per_byte, cross_attention_flops,
                                    layer_flops, transformer_flops_per_position)
from blt_core.flops.generator import (entropy_byte_flops, generator_byte_flops, generator_global_step_flops,
                                      generator_patch_flops)
from blt_core.flops.matched import PAPER_FLOPS_PER_BYTE, PAPER_PAIRS, matched_flops_table, paper_pairs_check
from blt_core.flops.shapes import (BLT_1B, BLT_8B, BLT_CONFIGS, BLT_ENTROPY_OFFICIAL, BPE_CONFIGS, BPE_TOKENIZER,
                                   LLAMA2_7B, LLAMA3_8B, PAPER_BYTES_PER_TOKEN, BLTShape, TransformerConfig,
                                   blt_shape, blt_with_entropy_model, bpe_shape, config_from_dict)

__all__ = [
    "BLTShape", "TransformerConfig", "BLT_1B", "BLT_8B", "BLT_ENTROPY_OFFICIAL", "LLAMA2_7B", "LLAMA3_8B",
    "BLT_CONFIGS", "BPE_CONFIGS", "BPE_TOKENIZER", "PAPER_BYTES_PER_TOKEN", "blt_shape", "bpe_shape",
    "config_from_dict", "blt_with_entropy_model",
    "COMPONENTS", "layer_flops", "attended_context", "transformer_flops_per_position", "cross_attention_flops",
    "blt_flops_per_patch", "bpe_flops_per_byte", "blt_local_flops_per_byte", "blt_flops_per_byte",
    "generator_byte_flops", "generator_global_step_flops", "entropy_byte_flops", "generator_patch_flops",
    "CONTEXT_BYTES", "FormulaTerm", "ComponentTotal", "TextComparison", "PatchSizeComparison", "compare_text",
    "compare_patch_sizes",
    "PAPER_PAIRS", "PAPER_FLOPS_PER_BYTE", "matched_flops_table", "paper_pairs_check",
]
