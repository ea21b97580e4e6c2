"""The released BLT generator (facebook/blt-1b, blt-7b): its architecture exactly, loaded from
official checkpoints, with cached stepping for generation (torch only).

One module per part: `config` (the released args, read from params.json or a transformers
config), `hashing` (the released n-gram hash), `layers` (cross-attention), `local_encoder`,
`global_transformer`, `local_decoder`, `patch_layout` (the official patch rule on the entropy
model's entropies), `model` (the full forward), `load` (every layout, memory check first),
`stepping` (a decoding.Stepper with key/value caches for every part).
"""
