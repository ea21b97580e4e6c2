"""Train the small BLT generator; one or many GPUs (torchrun + DDP), or CPU with gloo.

    torchrun --nproc_per_node=N -m blt_core.train.train_blt --data data/corpus --out runs/blt \
        --entropy-weights assets/entropy_model.safetensors --entropy-config assets/entropy_model.json \
        --total-seconds 1500 --budget-seconds 540 --compile

Resumable like train_entropy.py: each call trains for at most --budget-seconds and saves
`ckpt.pt`; the next call with the same --out continues, and the learning-rate schedule
follows elapsed training time out of --total-seconds. Losses go to `log.jsonl`; the final
weights to `blt_generator.safetensors` + `config.json` (config, steps, seconds, held-out bpb,
the entropy model's sha256 and the threshold), which finalize_blt.py turns into the card.

Data: each document becomes BOS + bytes + EOS in one token stream (so the generator learns
to stop); a sample is T+1 tokens of it, half starting at a document's BOS, half anywhere.
Patches: the frozen entropy model scores each batch (no_grad, bf16 on GPU), and the global
rule with the threshold gives patch starts (masks.patch_starts), as generation will.
"""

from __future__ import annotations

import argparse
import json
import math
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from blt_core.generator.config import BLTConfig
from blt_core.generator.masks import patch_starts, token_entropies
from blt_core.generator.model import BLT
from blt_core.checkpoints import sha256_file
from blt_core.train.common import Run, autocast, init_from, make_optimizer, setup_process, shipped_weights
from blt_core.train.loop import Batch, Task, run_summary, train
from blt_core.constants import BOS_ID, EOS_ID, OFFSET
from blt_core.entropy.model import EntropyModel, EntropyModelConfig


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder with train.bin, train_docs.npy, heldout.bin, heldout_docs.npy")
    p.add_argument("--out", required=True)
    p.add_argument("--entropy-weights", required=True, help="entropy model safetensors")
    p.add_argument("--entropy-config", required=True, help="JSON with a 'config' object (card or training summary)")
    p.add_argument("--threshold", type=float, default=None, help="default: the entropy JSON's defaults.threshold")
    p.add_argument("--max-patch-length", type=int, default=0, help="0: no limit")
    d = BLTConfig()
    p.add_argument("--local-hidden-size", type=int, default=d.local_hidden_size)
    p.add_argument("--local-heads", type=int, default=d.local_num_attention_heads)
    p.add_argument("--local-intermediate-size", type=int, default=d.local_intermediate_size)
    p.add_argument("--encoder-layers", type=int, default=d.num_encoder_layers)
    p.add_argument("--decoder-layers", type=int, default=d.num_decoder_layers)
    p.add_argument("--patch-k", type=int, default=d.patch_k)
    p.add_argument("--global-heads", type=int, default=d.global_num_attention_heads)
    p.add_argument("--global-intermediate-size", type=int, default=d.global_intermediate_size)
    p.add_argument("--global-layers", type=int, default=d.num_global_layers)
    p.add_argument("--hash-buckets", type=int, default=d.hash_buckets)
    p.add_argument("--hash-dim", type=int, default=d.hash_dim)
    p.add_argument("--seq-len", type=int, default=2048, help="tokens per training sequence")
    p.add_argument("--batch-size", type=int, default=32, help="sequences per step per process")
    p.add_argument("--lr", type=float, default=1e-3, help="from scratch; continuing runs used 5e-4 and 2e-4")
    p.add_argument("--min-lr-ratio", type=float, default=0.05)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--warmup-frac", type=float, default=0.03)
    p.add_argument("--total-seconds", type=float, default=900, help="length of the whole LR schedule")
    p.add_argument("--budget-seconds", type=float, default=540, help="stop this call after this long")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (tests)")
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--eval-batches", type=int, default=8)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init-from", help="start from these generator safetensors (continued training)")
    return p.parse_args(argv)


def build_config(args, threshold: float) -> BLTConfig:
    return BLTConfig(
        local_hidden_size=args.local_hidden_size, local_num_attention_heads=args.local_heads,
        local_intermediate_size=args.local_intermediate_size, num_encoder_layers=args.encoder_layers,
        num_decoder_layers=args.decoder_layers, patch_k=args.patch_k,
        global_hidden_size=args.patch_k * args.local_hidden_size, global_num_attention_heads=args.global_heads,
        global_intermediate_size=args.global_intermediate_size, num_global_layers=args.global_layers,
        hash_buckets=args.hash_buckets, hash_dim=args.hash_dim, patch_threshold=threshold,
        max_patch_length=args.max_patch_length)


def token_stream(raw: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 bytes + doc starts (with the final length) -> int16 ids BOS doc EOS BOS doc EOS ..., BOS positions.

    >>> ids, bos = token_stream(np.frombuffer(b"abc", np.uint8), np.array([0, 2, 3]))
    >>> ids.tolist(), bos.tolist()
    ([1, 101, 102, 2, 1, 103, 2], [0, 4])
    """
    lengths = np.diff(starts)
    n_docs = len(lengths)
    out = np.empty(len(raw) + 2 * n_docs, dtype=np.int16)
    doc_of_byte = np.repeat(np.arange(n_docs), lengths)
    out[np.arange(len(raw)) + 2 * doc_of_byte + 1] = raw.astype(np.int16) + OFFSET
    bos = starts[:-1] + 2 * np.arange(n_docs)
    out[bos] = BOS_ID
    out[starts[1:] + 2 * np.arange(n_docs) + 1] = EOS_ID
    return out, bos


def load_split(data: Path, name: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    raw = np.fromfile(data / f"{name}.bin", dtype=np.uint8)
    starts = np.load(data / f"{name}_docs.npy").astype(np.int64)
    if starts[-1] != len(raw):  # tolerate a docs file without the final length
        starts = np.append(starts, len(raw))
    ids, bos = token_stream(raw, starts)
    return torch.from_numpy(ids).to(device), torch.from_numpy(bos).to(device)


def sample_batch(stream: torch.Tensor, bos: torch.Tensor, *, batch: int, seq_len: int, gen: torch.Generator):
    """(inputs, targets), both (batch, seq_len) int64; half the rows start at a document's BOS."""
    device = stream.device
    n = stream.numel()
    at_doc = torch.rand(batch, generator=gen, device=device) < 0.5
    doc_pick = bos[torch.randint(len(bos), (batch,), generator=gen, device=device)]
    rand_pick = torch.randint(max(1, n - seq_len - 1), (batch,), generator=gen, device=device)
    start = torch.where(at_doc, doc_pick, rand_pick).clamp(max=max(0, n - seq_len - 1))
    idx = (start[:, None] + torch.arange(seq_len + 1, device=device)[None, :]).clamp(max=n - 1)
    tokens = stream[idx].long()
    return tokens[:, :-1], tokens[:, 1:]


@torch.no_grad()
def starts_for(entropy_model: EntropyModel, x: torch.Tensor, cfg: BLTConfig, device: torch.device) -> torch.Tensor:
    with autocast(device):
        ent = token_entropies(entropy_model(x))
    return patch_starts(x, ent, cfg.patch_threshold, cfg.max_patch_length)


def masked_loss(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy (nats) over targets that are bytes or EOS (a BOS after EOS is free)."""
    keep = (y != BOS_ID).reshape(-1)
    ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
    return (ce * keep).sum() / keep.sum().clamp(min=1), keep.sum()


@torch.no_grad()
def evaluate(model, entropy_model, stream, bos, args, cfg, device) -> tuple[float, float]:
    """Held-out (bits per byte, mean patch length) on fixed windows (same seed every call)."""
    gen = torch.Generator(device=device).manual_seed(1234)
    model.eval()
    total, count, n_tok, n_patch = 0.0, 0, 0, 0
    for _ in range(args.eval_batches):
        x, y = sample_batch(stream, bos, batch=min(args.batch_size, 16), seq_len=args.seq_len, gen=gen)
        starts = starts_for(entropy_model, x, cfg, device)
        with autocast(device):
            logits = model(x, starts)
        loss, k = masked_loss(logits, y)
        total += loss.item() * k.item()
        count += k.item()
        n_tok += x.numel()
        n_patch += int(starts.sum())
    model.train()
    return total / max(1, count) / math.log(2), n_tok / max(1, n_patch)


def load_entropy(args, device) -> tuple[EntropyModel, dict, float]:
    from safetensors.torch import load_file

    meta = json.loads(Path(args.entropy_config).read_text())
    ecfg = EntropyModelConfig.from_dict(meta["config"])
    model = EntropyModel(ecfg)
    model.load_state_dict({k: v.float() for k, v in load_file(args.entropy_weights).items()})
    threshold = args.threshold if args.threshold is not None else meta.get("defaults", {}).get("threshold")
    if threshold is None:
        raise SystemExit("no --threshold given and the entropy JSON has no defaults.threshold")
    model = model.to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, ecfg.to_dict(), float(threshold)


def batch_loss(ddp: torch.nn.Module, gen: torch.Generator, *, entropy_model: EntropyModel, stream: torch.Tensor,
               bos: torch.Tensor, cfg: BLTConfig, args: argparse.Namespace) -> Batch:
    """One training batch, patched by the frozen entropy model, through the (wrapped) generator."""
    x, y = sample_batch(stream, bos, batch=args.batch_size, seq_len=args.seq_len, gen=gen)
    starts = starts_for(entropy_model, x, cfg, stream.device)
    with autocast(stream.device):
        logits = ddp(x, starts)
    loss, _ = masked_loss(logits, y)
    return Batch(loss, x.numel(), lambda: {"patch_len": x.numel() / max(1, int(starts.sum()))})


def main(argv=None) -> None:
    args = parse_args(argv)
    # cuDNN's fused attention backward returns non-finite gradients for about 12% of these bf16
    # batches on an H200 (the forward, fp32, the math kernel and the memory-efficient kernel are
    # all finite: check_finite.py); the memory-efficient kernel is used instead
    torch.backends.cuda.enable_cudnn_sdp(False)
    proc = setup_process()
    entropy_model, entropy_cfg, threshold = load_entropy(args, proc.device)
    cfg = build_config(args, threshold)
    model = init_from(BLT(cfg).init_weights(seed=args.seed), args.init_from).to(proc.device)
    opt = make_optimizer(model, lr=args.lr, weight_decay=args.weight_decay, device=proc.device)
    stream, bos = load_split(Path(args.data), "train", proc.device)
    heldout = partial(evaluate, model, entropy_model, *load_split(Path(args.data), "heldout", proc.device), args, cfg,
                   proc.device)

    def finish(run: Run) -> tuple[dict, dict]:
        final_bpb, patch_len = heldout()
        weights, final_bpb, shipped_step = shipped_weights(run, model, final_bpb)
        return weights, {"config": cfg.to_dict(), "parameters": model.num_parameters(),
                         "heldout_bpb_windows": final_bpb, "heldout_mean_patch_length": patch_len,
                         "shipped_step": shipped_step, "entropy_config": entropy_cfg,
                         "entropy_weights_sha256": sha256_file(args.entropy_weights), "threshold": threshold,
                         **run_summary(run, proc, args)}

    train(model, opt, proc, args, out=Path(args.out), task=Task(
        batch_loss=partial(batch_loss, entropy_model=entropy_model, stream=stream, bos=bos, cfg=cfg, args=args),
        heldout_bpb=lambda: heldout()[0], finish=finish, weights_file="blt_generator.safetensors",
        banner=f"  threshold {threshold:.4f}", keep_best=True))


if __name__ == "__main__":
    main()
