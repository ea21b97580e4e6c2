"""Train the byte entropy model; one or many GPUs (torchrun + DDP), or CPU with gloo.

    torchrun --nproc_per_node=N -m blt_core.train.train_entropy --data data/corpus --out runs/entropy \
        --total-seconds 900 --budget-seconds 540 --compile

Resumable: every call trains for at most --budget-seconds, then saves `ckpt.pt`; the next
call with the same --out continues (model, optimizer, step, elapsed time). The learning-rate
schedule follows elapsed training time out of --total-seconds, so a run split over several
10-minute calls follows one schedule. Loss is logged as JSON lines in `log.jsonl`; the final
weights go to `entropy_model.safetensors` + `config.json` (see checkpoints.py for the card).

Data: the whole train split sits on the device as uint8; each sample is T+1 tokens, half of
them starting at a document start after BOS, half at a random byte with no BOS, because
beyond the first window the sliding-window model never sees BOS at inference.
"""

from __future__ import annotations

import argparse
import math
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from blt_core.train.common import Run, autocast, init_from, make_optimizer, setup_process, shipped_weights
from blt_core.train.augment import augment_rows
from blt_core.train.loop import Batch, Task, run_summary, train
from blt_core.constants import BOS_ID, OFFSET
from blt_core.entropy.model import EntropyModel, EntropyModelConfig


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder with train.bin, train_docs.npy, heldout.bin")
    p.add_argument("--out", required=True)
    p.add_argument("--hidden-size", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate-size", type=int, default=768)
    p.add_argument("--window", type=int, default=512)
    p.add_argument("--ngram-sizes", default="", help="hashed n-gram embeddings, e.g. 2,3,4,5,6 (entropy/ngrams.py)")
    p.add_argument("--ngram-buckets", type=int, default=0, help="rows of each n-gram table (a prime spreads best)")
    p.add_argument("--match-orders", default="",
                   help="match-model inputs, e.g. 6,12,24: the byte after the latest earlier k-gram like the "
                        "current one in the window (entropy/matches.py); with --init-from a model without them, "
                        "their tables start at zero")
    p.add_argument("--ngram-tables", choices=("float", "int8"), default="float",
                   help="int8: the n-gram tables as a shipped card stores them (Int8Table, frozen buffers), so "
                        "--init-from can start from a shipped safetensors")
    p.add_argument("--match-boost", action="store_true",
                   help="a logit boost per match order for the byte its match predicts (EntropyModel.head); with "
                        "--init-from a model without one, it starts at zero")
    p.add_argument("--match-boost-bytes", action="store_true",
                   help="with --match-boost, a run boost per byte value too (EntropyModel.head); starts at zero")
    p.add_argument("--ship", choices=("best", "final"), default="best",
                   help="best: the final weights, or the best held-out evaluation's when the run ended worse (it "
                        "over-fit); final: the final weights always, for a stage whose aim is not held-out text "
                        "(run boosts move text by noise, so its best evaluation is a step picked by noise)")
    p.add_argument("--train-only", default="",
                   help="comma-separated weight-name prefixes: train only those, the rest frozen (e.g. match_boost. "
                        "on the CPU: the frozen model's forward is then all a step costs)")
    p.add_argument("--ngram-dropout", type=float, default=0.0,
                   help="training only: drop each n-gram row at this rate per position (against memorising)")
    p.add_argument("--seq-len", type=int, default=512,
                   help="training length; <= window keeps flash attention, > window trains what the sliding window "
                        "sees past its first window (entropy9: rows of exactly the window never do)")
    p.add_argument("--batch-size", type=int, default=256, help="sequences per step per process")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.05)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--warmup-frac", type=float, default=0.03)
    p.add_argument("--total-seconds", type=float, default=600, help="length of the whole LR schedule")
    p.add_argument("--budget-seconds", type=float, default=540, help="stop this call after this long")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (tests)")
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--eval-batches", type=int, default=8)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init-from", help="start from these safetensors weights (fine-tuning)")
    p.add_argument("--random-frac", type=float, default=0.0,
                   help="share of rows replaced by BOS + uniform random bytes, so the model learns to answer "
                        "random or compressed input with near-uniform predictions from the first bytes")
    p.add_argument("--copy-frac", type=float, default=0.0,
                   help="share of rows holding a later verbatim copy of one of their spans (augment.py)")
    p.add_argument("--run-frac", type=float, default=0.0,
                   help="share of rows holding a run of one byte value (augment.py)")
    p.add_argument("--run-start-frac", type=float, default=0.0,
                   help="share of those runs that start the row and may fill it (augment.py)")
    p.add_argument("--run-fill-frac", type=float, default=0.0,
                   help="share of the row-start runs that fill the whole row, column 0 too if not BOS")
    p.add_argument("--run-space-frac", type=float, default=0.0,
                   help="share of runs that repeat a space (augment.py; the corpus's runs of spaces end often, "
                        "so a model trained on it doubts them most: bench/run_hazard.py)")
    p.add_argument("--run-any-frac", type=float, default=0.5,
                   help="share of the other runs that repeat a uniform byte value rather than a byte of the row")
    p.add_argument("--binary-frac", type=float, default=0.0,
                   help="share of rows drawn from the structured binary documents (binary_docs; entropy10: "
                        "a corpus with three times the text lost 8-11%% on .pyc and SQLite)")
    p.add_argument("--copy-max-gap", type=int, default=0,
                   help="keep each copy at most this many bytes after its source (window - 2 keeps it in "
                        "view on rows longer than the window); 0: anywhere")
    p.add_argument("--copy-segments", type=int, default=1,
                   help="copies a copy row gets, one in each of this many equal segments (2 on 1,024-byte "
                        "rows keeps 512-byte rows' share of copied bytes; entropy11 lost copying with 1)")
    return p.parse_args(argv)


def load_split(data: Path, name: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    raw = np.fromfile(data / f"{name}.bin", dtype=np.uint8)
    docs = np.load(data / f"{name}_docs.npy").astype(np.int64)[:-1]
    return torch.from_numpy(raw).to(device), torch.from_numpy(docs).to(device)


NUL_SHARE = 0.02  # text holds no NUL; random and compressed bytes about 0.4%; ELF, .pyc, SQLite far more


def binary_docs(raw: torch.Tensor, docs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(starts, lengths) of the structured binary documents among `docs` (load_split's starts over
    `raw`): those whose bytes are at least NUL_SHARE zero (the corpus's binary kind without its
    random and compressed documents). Counted on the tensors already loaded, on their device.

    On the committed corpus: 494 documents, 5.7 MB (its manifest: 6.4 MB of kind binary).
    """
    ends = torch.cat([docs[1:], docs.new_tensor([raw.numel()])])
    nul = torch.cat([raw.new_zeros(1, dtype=torch.int64), torch.cumsum((raw == 0).long(), 0)])
    lengths = ends - docs
    keep = (lengths > 0) & (nul[ends] - nul[docs] >= NUL_SHARE * lengths)
    return docs[keep], lengths[keep]


def sample_batch(raw: torch.Tensor, docs: torch.Tensor, *, batch: int, seq_len: int, gen: torch.Generator,
                 random_frac: float = 0.0, copy_frac: float = 0.0, run_frac: float = 0.0,
                 run_start_frac: float = 0.0, run_fill_frac: float = 0.0, run_space_frac: float = 0.0,
                 run_any_frac: float = 0.5, binary: tuple[torch.Tensor, torch.Tensor] | None = None,
                 binary_frac: float = 0.0, copy_max_gap: int = 0, copy_segments: int = 1):
    """(inputs, targets), both (batch, seq_len) ids; half the rows start with BOS at a document start,
    `copy_frac` / `run_frac` shares get a copied span / a run of one byte (augment.augment_rows), and
    a `random_frac` share are then replaced by BOS + uniform random bytes, untouched by either.
    A `binary_frac` share of rows (drawn first) comes from the `binary` documents (binary_docs): at
    their start after BOS, or at a random byte inside them."""
    device = raw.device
    n = raw.numel()
    with_bos = torch.rand(batch, generator=gen, device=device) < 0.5
    doc_pick = docs[torch.randint(len(docs), (batch,), generator=gen, device=device)]
    rand_pick = torch.randint(n - seq_len - 1, (batch,), generator=gen, device=device)
    if binary is not None and binary_frac > 0 and len(binary[0]):
        b_rows = torch.rand(batch, generator=gen, device=device) < binary_frac
        i = torch.randint(len(binary[0]), (batch,), generator=gen, device=device)
        b_start, b_len = binary[0][i], binary[1][i]
        inside = b_start + (torch.rand(batch, generator=gen, device=device) * b_len).long()
        doc_pick = torch.where(b_rows, b_start, doc_pick)
        rand_pick = torch.where(b_rows, inside.clamp(max=n - seq_len - 2), rand_pick)
    start = torch.where(with_bos, doc_pick - 1, rand_pick)  # -1: slot 0 becomes BOS
    idx = (start[:, None] + torch.arange(seq_len + 1, device=device)[None, :]).clamp(0, n - 1)
    tokens = raw[idx].long() + OFFSET
    tokens[:, 0] = torch.where(with_bos, torch.full_like(tokens[:, 0], BOS_ID), tokens[:, 0])
    # augment before the random rows replace theirs: uniform noise must stay pure, or the model
    # learns that random bytes may repeat and pays for it on them (entropy5 runs: 8.44 bits per byte)
    if copy_frac > 0 or run_frac > 0:
        tokens = augment_rows(tokens, gen, copy_frac=copy_frac, run_frac=run_frac, run_start_frac=run_start_frac,
                              run_fill_frac=run_fill_frac, copy_max_gap=copy_max_gap, copy_segments=copy_segments,
                              run_space_frac=run_space_frac, run_any_frac=run_any_frac)
    if random_frac > 0:
        rnd = torch.rand(batch, generator=gen, device=device) < random_frac
        noise = torch.randint(OFFSET, OFFSET + 256, tokens.shape, generator=gen, device=device)
        noise[:, 0] = BOS_ID
        tokens = torch.where(rnd[:, None], noise, tokens)
    return tokens[:, :-1], tokens[:, 1:]


def freeze_except(model: torch.nn.Module, prefixes: tuple[str, ...]) -> torch.nn.Module:
    """Leave only the weights whose names start with one of `prefixes` trainable; () trains all.

    >>> m = freeze_except(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)), ("1.",))
    >>> [n for n, p in m.named_parameters() if p.requires_grad]
    ['1.weight', '1.bias']
    """
    if prefixes:
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith(prefixes))
        if not any(p.requires_grad for p in model.parameters()):
            raise ValueError(f"no weight starts with {prefixes}")
    return model


def cross_entropy(logits: torch.Tensor, y: torch.Tensor, *, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy in nats of (batch, seq_len, vocab) logits against (batch, seq_len) targets."""
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction=reduction)


# sample_batch's row-mix arguments, named as the CLI's; the run summary (and the card's stages) record them
ROW_MIX = ("random_frac", "copy_frac", "run_frac", "run_start_frac", "run_fill_frac", "run_space_frac", "run_any_frac",
           "binary_frac", "copy_max_gap", "copy_segments")


def row_mix(args: argparse.Namespace) -> dict:
    """The row-mix arguments of a parsed command line, for sample_batch and the run summary.

    >>> row_mix(parse_args(["--data", "d", "--out", "o", "--copy-segments", "2"]))["copy_segments"]
    2
    """
    return {k: getattr(args, k) for k in ROW_MIX}


def batch_loss(ddp: torch.nn.Module, gen: torch.Generator, *, raw: torch.Tensor, docs: torch.Tensor,
               args: argparse.Namespace, binary: tuple[torch.Tensor, torch.Tensor] | None = None) -> Batch:
    """One training batch through the (wrapped) model: its mean loss and token count."""
    x, y = sample_batch(raw, docs, batch=args.batch_size, seq_len=args.seq_len, gen=gen, binary=binary, **row_mix(args))
    with autocast(raw.device):
        logits = ddp(x)
    return Batch(cross_entropy(logits, y), x.numel())


@torch.no_grad()
def evaluate(model, raw, docs, args, device) -> float:
    """Held-out bits per byte on fixed windows (same seed every time, so curves compare)."""
    gen = torch.Generator(device=device).manual_seed(1234)
    model.eval()
    total, count = 0.0, 0
    for _ in range(args.eval_batches):
        x, y = sample_batch(raw, docs, batch=min(args.batch_size, 64), seq_len=args.seq_len, gen=gen)
        with autocast(device):
            logits = model(x)
        total += cross_entropy(logits, y, reduction="sum").item()
        count += y.numel()
    model.train()
    return total / count / math.log(2)


def model_config(args: argparse.Namespace) -> EntropyModelConfig:
    """The model shape a parsed command line asks for.

    >>> model_config(parse_args(["--data", "d", "--out", "o", "--match-orders", "4,8", "--match-boost"])).match_orders
    (4, 8)
    """
    return EntropyModelConfig(
        hidden_size=args.hidden_size, num_hidden_layers=args.layers, num_attention_heads=args.heads,
        intermediate_size=args.intermediate_size, window=args.window,
        ngram_sizes=tuple(int(n) for n in args.ngram_sizes.split(",") if n), ngram_buckets=args.ngram_buckets,
        ngram_tables=args.ngram_tables, match_orders=tuple(int(n) for n in args.match_orders.split(",") if n),
        match_boost=args.match_boost, match_boost_bytes=args.match_boost_bytes,
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    proc = setup_process()
    cfg = model_config(args)
    model = init_from(EntropyModel(cfg).init_weights(seed=args.seed), args.init_from,
                      new=("match_embeddings.", "match_boost")).to(proc.device)
    freeze_except(model, tuple(p for p in args.train_only.split(",") if p))
    model.ngram_dropout = args.ngram_dropout
    opt = make_optimizer(model, lr=args.lr, weight_decay=args.weight_decay, device=proc.device)
    train_raw, train_docs = load_split(Path(args.data), "train", proc.device)
    binary = binary_docs(train_raw, train_docs) if args.binary_frac > 0 else None
    heldout_bpb = partial(evaluate, model, *load_split(Path(args.data), "heldout", proc.device), args, proc.device)

    def finish(run: Run) -> tuple[dict, dict]:
        # a run that ends worse than its best evaluation (it over-fit, as entropy6-s256 did) ships the best
        weights, bpb, shipped_step = shipped_weights(run, model, heldout_bpb())
        return weights, {"config": cfg.to_dict(), **row_mix(args), "ngram_dropout": args.ngram_dropout,
                         **({"train_only": args.train_only} if args.train_only else {}),
                         **({"ship": "final"} if args.ship == "final" else {}),
                         "heldout_bpb_windows": bpb,
                         "shipped_step": shipped_step, **run_summary(run, proc, args)}

    train(model, opt, proc, args, out=Path(args.out), task=Task(
        batch_loss=partial(batch_loss, raw=train_raw, docs=train_docs, args=args, binary=binary), heldout_bpb=heldout_bpb,
        finish=finish, weights_file="entropy_model.safetensors", keep_best=args.ship == "best"))


if __name__ == "__main__":
    main()
