"""`python -m blt_core compute`: inference FLOPs of BLT patches vs a BPE model on a text.

    python -m blt_core compute notes.txt --blt blt-1b --bpe llama3-8b --json

Patches come from `blt_core.analyze` (entropy patching at a target mean patch size);
the BPE model's bytes per token is measured on the same bytes with its tokenizer, or
taken from the paper where no tokenizer ships (Llama 2: 3.7).
"""

from __future__ import annotations

import argparse
import json

from blt_core.cli.reader import add_input_arguments, fail, read_input

# The tokenizer that measures each BPE model's bytes per token on the user's text.
_BPE_TOKENIZER = {"llama3-8b": "llama3", "llama2-7b": None}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `compute` subcommand."""
    from blt_core.flops import BLT_CONFIGS, BPE_CONFIGS

    p = subparsers.add_parser("compute", help="FLOPs per patch for BLT vs a BPE model")
    add_input_arguments(p)
    p.add_argument("--blt", default="blt-1b", help=f"one of {', '.join(BLT_CONFIGS)}")
    p.add_argument("--bpe", default="llama3-8b", help=f"one of {', '.join(BPE_CONFIGS)}")
    p.add_argument("--target-patch-size", type=float, default=None,
                   help="calibrate the entropy threshold to this mean patch length (bytes)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def compute(data: bytes, *, blt: str, bpe: str, target_patch_size: float | None) -> dict:
    """The numbers `run` prints, as a JSON-safe dict (raises ValueError on bad names)."""
    import blt_core
    from blt_core import flops
    from blt_core.bpe.tokenizers import count_tokens

    if blt not in flops.BLT_CONFIGS:
        raise ValueError(f"unknown BLT config {blt!r}; choose one of {', '.join(flops.BLT_CONFIGS)}")
    if bpe not in flops.BPE_CONFIGS:
        raise ValueError(f"unknown BPE model {bpe!r}; choose one of {', '.join(flops.BPE_CONFIGS)}")
    kwargs = {} if target_patch_size is None else {"target_patch_size": target_patch_size}
    a = blt_core.analyze(data, **kwargs)
    per_patch = flops.blt_flops_per_patch(flops.BLT_CONFIGS[blt], a.patch_lengths)
    tokenizer = _BPE_TOKENIZER[bpe]
    if tokenizer is None:
        bpt, source = flops.PAPER_BYTES_PER_TOKEN[bpe], "paper (no tokenizer ships offline)"
    else:
        bpt, source = len(data) / count_tokens(data, tokenizer=tokenizer), "measured"
    bpe_cfg = flops.BPE_CONFIGS[bpe]
    bpe_per_byte = flops.bpe_flops_per_byte(bpe_cfg, bpt, context=max(1, round(len(data) / bpt)))
    return {
        "blt": blt,
        "bpe": bpe,
        "n_bytes": len(data),
        "n_patches": len(per_patch["total"]),
        "mean_patch_length": float(a.mean_patch_length),
        "per_patch_flops": per_patch["total"].tolist(),
        "per_patch_components": {k: v.tolist() for k, v in per_patch.items() if k != "total"},
        "blt_flops_total": float(per_patch["total"].sum()),
        "bpe_flops_total": bpe_per_byte * len(data),
        "bpe_tokenizer": tokenizer,
        "bpe_bytes_per_token": bpt,
        "bpe_bytes_per_token_source": source,
    }


def run(args: argparse.Namespace) -> int:
    """Compute and print; 0 on success, 2 with a one-line error for bad input."""
    try:
        data = read_input(args)
        result = compute(data, blt=args.blt, bpe=args.bpe, target_patch_size=args.target_patch_size)
    except (ValueError, OSError) as e:  # OSError: tokenizer files missing or unreadable
        return fail(str(e))
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['n_bytes']} bytes, {result['n_patches']} patches "
          f"(mean {result['mean_patch_length']:.2f} bytes)")
    print(f"BLT {result['blt']}: {result['blt_flops_total']:.3e} FLOPs "
          f"= sum over patches of global + local encoder/decoder + cross-attention + entropy model")
    print(f"BPE {result['bpe']}: {result['bpe_flops_total']:.3e} FLOPs "
          f"= per-token cost / {result['bpe_bytes_per_token']:.2f} bytes per token "
          f"({result['bpe_bytes_per_token_source']}) x {result['n_bytes']} bytes")
    return 0
