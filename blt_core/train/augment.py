"""Training-row augmentation that teaches the entropy model structure: copies and runs.

The cleaned corpus holds little verbatim reuse inside a 512-byte window (paragraph dedup removed
most of it), so a small byte LM spends its capacity on n-gram statistics and never learns to copy:
a paragraph seen twice cost 1.31 nats per byte the first time and still 1.13 the second. These two
edits, made on the device per batch (no bigger corpus to carry), put reuse where attention can see it:

- copy: a span of the row (24..256 bytes) is pasted again later in the same row, as quotes, pasted
  blocks and repeated log fields are in real input;
- run: a span is overwritten by one byte value repeated (16..200 times), as padding, rulers and zero
  fill are in files. A `run_start_frac` share of runs starts the row instead (column 1, right after
  BOS or the row's first byte) and may fill it whole: a file of zeros, or a window deep inside one,
  has no other context, and runs placed only mid-row left entropy5-s192 at 1.9 nats on 600 `a`s.
  A `run_fill_frac` share of those fills the row whole, column 0 too unless it is BOS: a window deep
  inside a run sees nothing but that byte (entropy6-s192 paid 3.12 nats on every `a` past the 512th
  of 600, where no BOS is left in the window, a row it never trained on).

Both are drawn from a torch.Generator, so a run resumed from its checkpoint sees the same rows.

>>> g = torch.Generator().manual_seed(0)
>>> row = torch.arange(100).repeat(4, 1)
>>> out = augment_rows(row, g, copy_frac=1.0, run_frac=0.0, min_copy=8)
>>> bool((out != row).any(dim=1).all())  # every row got a copy
True
"""

from __future__ import annotations

import torch

from blt_core.constants import BOS_ID, OFFSET


def _uniform_int(lo: torch.Tensor | int, hi: torch.Tensor | int, n: int, gen: torch.Generator,
                 device: torch.device) -> torch.Tensor:
    """n integers, each uniform in [lo, hi) (lo and hi may be per-row tensors, hi > lo)."""
    u = torch.rand(n, generator=gen, device=device)
    return (lo + (u * (torch.as_tensor(hi, device=device) - lo)).floor()).long()


def augment_rows(tokens: torch.Tensor, gen: torch.Generator, *, copy_frac: float, run_frac: float,
                 min_copy: int = 24, max_copy: int = 256, min_run: int = 16, max_run: int = 200,
                 run_start_frac: float = 0.0, run_fill_frac: float = 0.0, copy_max_gap: int = 0,
                 copy_segments: int = 1, run_space_frac: float = 0.0, run_any_frac: float = 0.5) -> torch.Tensor:
    """(B, T) ids -> (B, T) ids with a `copy_frac` share of rows holding a later copy of one of their
    own spans and a `run_frac` share holding one run of a single byte (a `run_start_frac` share of
    those runs starts at column 1 and is 16..T-1 long; a `run_fill_frac` share of those fills the
    row, from column 0 when column 0 is a byte; a `run_space_frac` share of all runs repeats a space,
    the run the corpus makes hardest: its runs of 16-32 spaces go on only 80-92% of the time,
    bench/run_hazard.py; a `run_any_frac` share of the others repeats a uniform byte value, the rest
    a byte of the row itself). Column 0 is otherwise never touched, BOS never.
    `copy_max_gap` > 0 keeps each copy at most that many columns after its source, so a model
    with a sliding window can see it (on rows twice a 512-byte window about one copy in six lands
    out of its view, and the gaps the model learns from are longer); 0 places copies anywhere.
    `copy_segments` cuts the row into that many equal segments, each with its own copy (drawn at
    `copy_frac`) inside it, so rows twice as long can keep the share of copied bytes (one copy a
    row halves it: entropy11's 1,024-byte rows lost copying); 1 draws as before.
    All choices come from `gen`, on the tokens' device; with run_start_frac=0 (run_fill_frac=0,
    run_space_frac=0, run_any_frac=0.5) no extra numbers are drawn, so earlier runs' rows are unchanged.

    Spans never overlap their source, so the copy is verbatim:
    >>> g = torch.Generator().manual_seed(1)
    >>> r = augment_rows(torch.arange(60)[None], g, copy_frac=1.0, run_frac=0.0, min_copy=10, max_copy=11)
    >>> moved = (r[0] != torch.arange(60)).nonzero().flatten()
    >>> int(moved.numel()) <= 10 and bool((r[0, moved] < moved).all())
    True
    """
    B, T = tokens.shape
    device = tokens.device
    pos = torch.arange(T, device=device)[None, :]
    out = tokens
    n_seg = max(copy_segments, 1)
    seg = T // n_seg
    if copy_frac > 0 and seg >= 2 * min_copy + 1:
        for k in range(n_seg):
            base = k * seg
            size = seg if k < n_seg - 1 else T - base  # the last segment keeps the remainder
            rows = torch.rand(B, generator=gen, device=device) < copy_frac
            length = _uniform_int(min_copy, min(max_copy, (size - 1) // 2) + 1, B, gen, device)
            src = base + _uniform_int(1, size - 2 * length + 1, B, gen, device)
            end = base + size - length + 1
            last = end if copy_max_gap <= 0 else torch.clamp(src + copy_max_gap + 1, max=end)
            dst = _uniform_int(src + length, last, B, gen, device)
            inside = rows[:, None] & (pos >= dst[:, None]) & (pos < (dst + length)[:, None])
            idx = torch.where(inside, pos - (dst - src)[:, None], pos)
            out = out.gather(1, idx)
    if run_frac > 0 and T > min_run + 1:
        rows = torch.rand(B, generator=gen, device=device) < run_frac
        length = _uniform_int(min_run, min(max_run, T - 1) + 1, B, gen, device)
        start = _uniform_int(1, T - length + 1, B, gen, device)
        if run_start_frac > 0:
            at_start = torch.rand(B, generator=gen, device=device) < run_start_frac
            length = torch.where(at_start, _uniform_int(min_run, T, B, gen, device), length)
            start = torch.where(at_start, torch.ones_like(start), start)
            if run_fill_frac > 0:
                fill = at_start & (torch.rand(B, generator=gen, device=device) < run_fill_frac)
                start = torch.where(fill & (out[:, 0] != BOS_ID), torch.zeros_like(start), start)
                length = torch.where(fill, T - start, length)
        # runs repeat a byte of the row itself (spaces, '=' rulers) or any byte value: a model that
        # saw too few of the second doubted runs of rare bytes after prose (entropy17: 15 of 256
        # values above 0.2 nats once a third of the runs were spaces, bench/bench_model.py)
        own = out.gather(1, start[:, None]).squeeze(1)
        any_byte = _uniform_int(OFFSET, OFFSET + 256, B, gen, device)
        value = torch.where(torch.rand(B, generator=gen, device=device) < 1 - run_any_frac, own, any_byte)
        if run_space_frac > 0:
            space = torch.rand(B, generator=gen, device=device) < run_space_frac
            value = torch.where(space, torch.full_like(value, OFFSET + 0x20), value)
        inside = rows[:, None] & (pos >= start[:, None]) & (pos < (start + length)[:, None])
        out = torch.where(inside, value[:, None], out)
    return out
