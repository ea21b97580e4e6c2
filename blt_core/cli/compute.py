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
    from blt_core.bpe import count_tokens

    blt_shape, bpe_shape = flops.blt_shape(blt), flops.bpe_shape(bpe)  # bad names fail before the model runs
    kwargs = {} if target_patch_size is None else {"target_patch_size": target_patch_size}
    a = blt_core.analyze(data, **kwargs)
    tokenizer = flops.BPE_TOKENIZER[bpe]
    n_tokens = None if tokenizer is None else count_tokens(data, tokenizer=tokenizer)
    return flops.compare_text(a.patch_lengths, blt=blt_shape, bpe=bpe_shape, n_tokens=n_tokens).to_json()


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
