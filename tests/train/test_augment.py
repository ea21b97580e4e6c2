"""Copy and run augmentation: verbatim copies later in the row, single-byte runs, reproducible."""

import pytest

torch = pytest.importorskip("torch")

from blt_core.constants import BOS_ID, OFFSET  # noqa: E402
from blt_core.train.augment import augment_rows  # noqa: E402


def rows(b=64, t=513):
    g = torch.Generator().manual_seed(7)
    return torch.randint(OFFSET, OFFSET + 256, (b, t), generator=g)


def copied_spans(x, y, r, *, join=8):
    """(destination start, source start, length) of each stretch of changed columns in row r of y
    (changes fewer than `join` columns apart are one stretch: a pasted byte may equal the one it
    covers), its source found verbatim earlier in row r of x (None when it is not there)."""
    changed = (y[r] != x[r]).nonzero().flatten().tolist()
    stretches = []
    for c in changed:
        if stretches and c - stretches[-1][1] < join:
            stretches[-1][1] = c
        else:
            stretches.append([c, c])
    spans = []
    for lo, hi in stretches:
        span = y[r, lo:hi + 1].tolist()
        src = [j for j in range(1, lo - len(span) + 1) if x[r, j:j + len(span)].tolist() == span]
        spans.append((lo, src[-1] if src else None, len(span)))
    return spans


def test_copies_are_verbatim_later_spans_of_the_same_row():
    x = rows()
    y = augment_rows(x, torch.Generator().manual_seed(0), copy_frac=1.0, run_frac=0.0)
    assert y.shape == x.shape and torch.equal(y[:, 0], x[:, 0])
    for r in range(x.shape[0]):
        (dst, src, n), = copied_spans(x, y, r)  # random bytes: one span, almost every byte differs
        assert n >= 20 and src is not None, f"row {r}: pasted span not found earlier in the row"


def test_copy_max_gap_keeps_every_copy_in_view():
    """On rows twice the window, copies land at most copy_max_gap columns after their source;
    without the cap about one in six lands farther (out of a 512-byte window's view)."""
    x = rows(b=400, t=1025)

    def gaps(**kw):
        y = augment_rows(x, torch.Generator().manual_seed(5), copy_frac=1.0, run_frac=0.0, **kw)
        return [dst - src for r in range(x.shape[0]) for dst, src, _ in copied_spans(x, y, r)]

    capped, free = gaps(copy_max_gap=510), gaps()
    assert max(capped) <= 510
    assert sum(g > 510 for g in free) > 40


def test_copy_segments_put_one_copy_in_each_segment():
    """Two segments on a 1,025-column row: two copies, each with its source in its own half."""
    x = rows(b=100, t=1025)
    y = augment_rows(x, torch.Generator().manual_seed(6), copy_frac=1.0, run_frac=0.0, copy_segments=2)
    for r in range(x.shape[0]):
        spans = copied_spans(x, y, r)
        assert len(spans) == 2, spans
        for (dst, src, n), (lo, hi) in zip(spans, ((0, 512), (512, 1025))):
            assert src is not None and lo <= src and dst + n <= hi


def test_runs_are_one_byte_value_and_shares_hold():
    x = rows(b=2000, t=300)
    y = augment_rows(x, torch.Generator().manual_seed(1), copy_frac=0.0, run_frac=0.25)
    touched = (y != x).any(dim=1)
    assert 0.2 < touched.float().mean().item() < 0.3
    for r in touched.nonzero().flatten()[:50].tolist():
        changed = (y[r] != x[r]).nonzero().flatten()
        assert len(set(y[r, changed].tolist())) == 1


def test_same_generator_seed_same_rows():
    x = rows()
    a = augment_rows(x, torch.Generator().manual_seed(3), copy_frac=0.3, run_frac=0.3)
    b = augment_rows(x, torch.Generator().manual_seed(3), copy_frac=0.3, run_frac=0.3)
    assert torch.equal(a, b) and not torch.equal(a, x)


def test_random_rows_stay_uniform_noise():
    """Rows replaced by random bytes carry no copies or runs (augmentation comes first)."""
    import numpy as np

    from blt_core.train.train_entropy import sample_batch

    raw = torch.tensor(np.frombuffer(b"abcab " * 4000, dtype=np.uint8).copy())
    docs = torch.tensor([0, 12000])
    x, _ = sample_batch(raw, docs, batch=400, seq_len=256, gen=torch.Generator().manual_seed(0),
                        random_frac=0.5, copy_frac=1.0, run_frac=1.0)
    text_bytes = set((np.frombuffer(b"abc ", dtype=np.uint8) + OFFSET).tolist())
    noise_rows = [r for r in x if len(set(r[1:].tolist()) - text_bytes) > 10]
    assert 150 < len(noise_rows) < 250
    for r in noise_rows:  # no run of 16 equal bytes in uniform noise (chance ~1e-36)
        same = (r[1:] == r[:-1]).int()
        longest, cur = 0, 0
        for v in same.tolist():
            cur = cur + 1 if v else 0
            longest = max(longest, cur)
        assert longest < 8


def test_runs_at_the_row_start_begin_at_column_1_and_may_fill_the_row():
    x = rows(b=400, t=300)
    y = augment_rows(x, torch.Generator().manual_seed(2), copy_frac=0.0, run_frac=1.0, run_start_frac=1.0)
    assert torch.equal(y[:, 0], x[:, 0])
    assert bool((y[:, 1:17] == y[:, 1:2]).all())  # every row opens with a run of at least 16
    lengths = [int((y[r, 1:] != y[r, 1]).nonzero().flatten()[0]) if (y[r, 1:] != y[r, 1]).any() else 299
               for r in range(400)]
    assert max(lengths) > 250 and min(lengths) >= 16  # some runs fill (nearly) the whole row
    # without the option the rows are exactly those of earlier runs (no extra random numbers drawn)
    a = augment_rows(x, torch.Generator().manual_seed(2), copy_frac=0.2, run_frac=0.2)
    b = augment_rows(x, torch.Generator().manual_seed(2), copy_frac=0.2, run_frac=0.2, run_start_frac=0.0)
    assert torch.equal(a, b)


def test_filled_runs_leave_no_other_byte_in_the_window():
    """A window deep inside a run (no BOS, column 0 a byte) is all one byte; BOS is never overwritten."""
    from blt_core.constants import BOS_ID

    x = rows(b=400, t=300)
    x[:200, 0] = BOS_ID
    y = augment_rows(x, torch.Generator().manual_seed(4), copy_frac=0.0, run_frac=1.0, run_start_frac=1.0,
                     run_fill_frac=0.5)
    assert bool((y[:200, 0] == BOS_ID).all())
    whole = [r for r in range(200, 400) if len(set(y[r].tolist())) == 1]
    after_bos = [r for r in range(200) if len(set(y[r, 1:].tolist())) == 1]
    assert 60 < len(whole) < 140 and 60 < len(after_bos) < 140


def test_binary_rows_come_from_the_nul_rich_documents(tmp_path):
    """--binary-frac: binary_docs finds the documents that are >= 2% NUL (not text, not random
    bytes), and that share of rows is drawn from them, at their start after BOS or inside them."""
    import numpy as np

    from blt_core.constants import BOS_ID
    from blt_core.train.train_entropy import binary_docs, load_split, sample_batch

    text = b"plain words and more words. " * 200  # 5,600 bytes, no NUL
    binary = (b"\x00\x00\x00\x07ELFish" * 300)[:3000]  # 30% NUL
    noise = np.random.default_rng(0).integers(1, 256, 4000, dtype=np.uint8).tobytes()  # no NUL at all
    parts = [text, binary, noise, text, binary]
    (tmp_path / "train.bin").write_bytes(b"".join(parts))
    np.save(tmp_path / "train_docs.npy", np.cumsum([0] + [len(p) for p in parts]))
    raw, docs = load_split(tmp_path, "train", torch.device("cpu"))
    starts, lengths = binary_docs(raw, docs)
    assert starts.tolist() == [5600, 5600 + 3000 + 4000 + 5600] and lengths.tolist() == [3000, 3000]
    x, _ = sample_batch(raw, docs, batch=300, seq_len=64, gen=torch.Generator().manual_seed(0),
                        binary=(starts, lengths), binary_frac=1.0)
    body = x[:, 1:]
    assert bool(((body == OFFSET).float().mean(1) > 0.2).all())  # every row is binary bytes
    with_bos = x[:, 0] == BOS_ID
    assert 100 < int(with_bos.sum()) < 200 and bool((x[with_bos, 1:4] == OFFSET).all())  # BOS rows open a file
    x, _ = sample_batch(raw, docs, batch=300, seq_len=64, gen=torch.Generator().manual_seed(0))
    assert float(((x[:, 1:] == OFFSET).float().mean(1) > 0.2).float().mean()) < 0.5  # by default: by bytes


def test_space_runs_take_their_share_and_change_nothing_when_off():
    """--run-space-frac: that share of runs repeats a space (0x20); at 0 no extra numbers are drawn."""
    x = rows(b=600, t=300)
    y = augment_rows(x, torch.Generator().manual_seed(5), copy_frac=0.0, run_frac=1.0, run_start_frac=1.0,
                     run_space_frac=0.5)
    spaces = int((y[:, 1] == OFFSET + 0x20).sum())  # every run starts at column 1 here
    assert 240 < spaces < 360
    assert bool((y[y[:, 1] == OFFSET + 0x20, 1:17] == OFFSET + 0x20).all())
    a = augment_rows(x, torch.Generator().manual_seed(5), copy_frac=0.2, run_frac=0.2)
    b = augment_rows(x, torch.Generator().manual_seed(5), copy_frac=0.2, run_frac=0.2, run_space_frac=0.0)
    assert torch.equal(a, b)


def test_any_byte_runs_take_their_share_and_the_default_keeps_earlier_rows():
    """--run-any-frac: that share of the runs not made of spaces repeats a uniform byte value; the
    default 0.5 draws exactly the rows drawn before the option existed (checksum pinned from the
    code before it), so seeded runs resume alike."""
    x = torch.full((800, 300), OFFSET + ord("e"))  # a row of one letter: an own-byte run repeats it
    x[:, 0] = BOS_ID

    def any_share(frac):
        y = augment_rows(x, torch.Generator().manual_seed(3), copy_frac=0.0, run_frac=1.0, run_start_frac=1.0,
                         run_any_frac=frac)
        return float((y[:, 1] != OFFSET + ord("e")).float().mean())  # every run starts at column 1 here

    assert any_share(0.0) == 0.0
    assert 0.75 < any_share(0.9) < 0.95  # a uniform value is 'e' one time in 256
    x = (torch.arange(64 * 300).reshape(64, 300) * 7919 % 256) + OFFSET
    x[:, 0] = BOS_ID
    y = augment_rows(x, torch.Generator().manual_seed(11), copy_frac=0.2, run_frac=0.5, run_start_frac=0.5,
                     run_fill_frac=0.25, run_space_frac=0.3)
    assert int((y * torch.arange(300)).sum()) == 357676778
