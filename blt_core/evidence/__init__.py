"""Evidence: BLT against a BPE baseline at matched compute, trained and measured here (issue 15).

One stage per module, each a `python -m blt_core.evidence.<stage>` command (README, "Evidence"):

- corpus.py: documents of the training split and a fixed few-MB sample of them;
- bpe.py: train the byte-level BPE tokenizer (Hugging Face `tokenizers`) -> assets/evidence/bpe_<V>.json;
- pretokenize.py: the training and held-out splits as uint16 token streams (so no GPU needs `tokenizers`);
- calibrate.py: entropy thresholds for ~4.5 and ~8 bytes per patch, and space patching's mean length;
- costs.py: inference FLOPs per byte of both families (from `blt_core.flops`) and the matched global model;
- plan.py: budgets -> sizes, training bytes, steps, LR sweep and seeds -> assets/evidence/plan.json;
- train.py: one training entry point for both families, stopping at the plan's FLOP budget;
- launch.py: the plan's runs side by side, one GPU each, resumable (train, then evaluate);
- evalset.py / evaluate.py: the held-out subset, clean and noised, tokenized once; bits per byte per run;
- collect.py: every run's results -> assets/evidence/results.json (what the Evidence page draws).
"""
