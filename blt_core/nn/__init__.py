"""The one set of transformer blocks and the one entropy function, used by every model."""

from blt_core.nn.functional import (apply_rope, attend, attend_step, blocked_window_attention, entropy_nats,
                                    log_probs_and_entropy, no_empty_rows, rope_for_positions, rope_tables, slot_valid)
from blt_core.nn.layers import (Block, DecoderBlock, FeedForward, MemoryAttention, PatchPooling, Projections, RMSNorm,
                                SelfAttention)

__all__ = ["apply_rope", "attend", "attend_step", "blocked_window_attention", "entropy_nats", "log_probs_and_entropy",
           "no_empty_rows", "rope_for_positions", "rope_tables", "slot_valid", "Block", "DecoderBlock", "FeedForward",
           "MemoryAttention", "PatchPooling", "Projections", "RMSNorm", "SelfAttention"]
