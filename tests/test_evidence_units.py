"""The evidence pipeline's parts, each against an independent reference: the space rule over token ids
against patching.py's, the per-byte loss against train_blt's, the FLOP matching against the accountant,
a FLOP-budgeted run that resumes, and the page with no results file."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from blt_core import flops
from blt_core.constants import BOS_ID, OFFSET
from blt_core.evidence import costs, plan, train
from blt_core.evidence.patch_rules import space_starts, starts_function
from blt_core.patching import space_patch_starts
from blt_core.train.train_blt import masked_loss

from .test_evidence_pipeline import one_thread, write_entropy_card  # noqa: F401 (one_thread: a fixture)


@pytest.mark.parametrize("text", ["hi, you", "été à Paris", "敏捷的狐狸", "a  b\n\nc", "x"])
def test_space_rule_on_ids_matches_patching(text):
    data = text.encode()
    ids = torch.tensor([[BOS_ID, *(b + OFFSET for b in data)]])
    got = torch.nonzero(space_starts(ids)[0, 1:]).flatten().tolist()  # byte k is token k + 1
    assert got == space_patch_starts(data).tolist()


def test_entropy_patching_refuses_a_replaced_entropy_model(tmp_path):
    card = write_entropy_card(tmp_path)
    sha = json.loads(card.read_text())["files"]["safetensors"]["sha256"]
    ok = {"mode": "entropy", "threshold": 1.0, "entropy_card": str(card), "entropy_sha256": sha}
    ids = torch.tensor([[BOS_ID, *(b + OFFSET for b in b"hello there")]])
    assert starts_function(ok, torch.device("cpu"))(ids).shape == ids.shape
    with pytest.raises(ValueError, match="rerun calibrate"):
        starts_function({**ok, "entropy_sha256": "0" * 64}, torch.device("cpu"))


def test_nats_per_byte_equals_masked_loss_for_bytes():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 7, 260, generator=g)
    y = torch.randint(OFFSET, 260, (2, 7), generator=g)
    y[0, 3], y[1, 5] = BOS_ID, 2  # a BOS target (free) and an EOS target (one byte)
    ours, n = train.nats_per_byte(logits, y, torch.from_numpy(train.byte_lengths({"family": "blt"}, None)))
    ref, k = masked_loss(logits, y)
    assert torch.allclose(ours, ref) and int(n) == int(k) == 13


def test_bpe_flops_per_byte_is_the_accountants():
    cfg = costs.token_lm_config(vocab_size=4096, hidden_size=256, num_hidden_layers=4, seq_tokens=100)
    shape = flops.TransformerConfig("t", 256, 4, cfg.intermediate_size, 4096)
    # the formula is linear in the context: the mean over contexts 1..100 is the cost at context 50.5
    assert costs.bpe_flops_per_byte(cfg, bytes_per_token=2.5) == pytest.approx(
        flops.transformer_flops_per_position(shape, context=50.5) / 2.5)


@pytest.mark.parametrize("patch_length", [4.5, 8.0])
def test_matched_global_hits_the_budget(patch_length):
    bpe_cfg = costs.token_lm_config(vocab_size=4096, hidden_size=320, num_hidden_layers=5, seq_tokens=406)
    budget = costs.bpe_flops_per_byte(bpe_cfg, bytes_per_token=2.52)
    m = costs.match_global(plan.H200.local, budget=budget, patch_length=patch_length, seq_bytes=1024, depth=5)
    assert costs.blt_flops_per_byte(m, patch_length=patch_length, seq_bytes=1024) == pytest.approx(budget, rel=0.01)
    with pytest.raises(ValueError, match="local models alone"):
        costs.match_global(plan.H200.local, budget=budget / 20, patch_length=patch_length, seq_bytes=1024, depth=5)


def test_longer_patches_buy_a_bigger_global_model():
    p = plan.make_plan(plan.H200, bytes_per_token=2.52, vocab_size=4096, patching={
        "entropy": [{"target": 4.5, "threshold": 1.0, "mean_patch_length": 4.5},
                    {"target": 8.0, "threshold": 2.0, "mean_patch_length": 8.0}],
        "space": {"mean_patch_length": 5.1},
        "entropy_model": {"card": "c.json", "safetensors_sha256": "x", "config": {
            "hidden_size": 192, "intermediate_size": 512, "num_hidden_layers": 4, "window": 512, "vocab_size": 260}}})
    for budget in plan.H200.budgets:
        main = {r["arch"]: r for r in p["runs"] if r["budget_flops"] == budget and r["role"] == "main"}
        assert main["blt-entropy-8"]["parameters"] > main["blt-entropy-4.5"]["parameters"]
        bytes_ = [r["train_bytes"] for r in main.values()]
        assert max(bytes_) / min(bytes_) < 1.02  # matched inference FLOPs and budget: the same training bytes
        assert all(abs(r["train_flops"] / budget - 1) < 0.02 for r in main.values())


def test_budgeted_run_resumes_and_stops_at_its_steps(tmp_path, one_thread):
    docs = [f"word{i} and more words, {i}. ".encode() * 4 for i in range(30)]
    for split, ds in (("train", docs[:-3]), ("heldout", docs[-3:])):
        (tmp_path / f"{split}.bin").write_bytes(b"".join(ds))
        np.save(tmp_path / f"{split}_docs.npy", np.cumsum([0] + [len(d) for d in ds]))
    cfg = replace(plan.MICRO.local, num_global_layers=1)
    spec = {"name": "r", "arch": "blt-space", "family": "blt", "role": "main", "lr": 3e-3, "seed": 0,
            "model": cfg.to_dict(), "seq_len": 32, "batch_size": 2, "total_steps": 4, "warmup_frac": 0.25,
            "min_lr_ratio": 0.1, "weight_decay": 0.1, "patching": {"mode": "space"}}
    (tmp_path / "plan.json").write_text(json.dumps({"runs": [spec]}))
    args = ["--plan", str(tmp_path / "plan.json"), "--name", "r", "--data", str(tmp_path), "--out",
            str(tmp_path / "run"), "--log-every", "1", "--eval-every", "2", "--eval-batches", "1"]
    train.main([*args, "--max-steps", "2"])
    assert not json.loads((tmp_path / "run" / "config.json").read_text())["done"]
    train.main(args)  # resumes from ckpt.pt and stops at the plan's 4 steps
    summary = json.loads((tmp_path / "run" / "config.json").read_text())
    log = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert summary["done"] and summary["steps"] == 4 and [r["step"] for r in log] == [1, 2, 3, 4]
    # the schedule follows steps: warm-up over the first step, then cosine down to 10% at the end
    assert log[0]["lr"] == 0 and log[1]["lr"] == pytest.approx(3e-3)
    assert log[3]["lr"] == pytest.approx(3e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 2 / 3))))


def test_page_says_when_there_are_no_results(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("BLT_EVIDENCE_RESULTS", str(tmp_path / "absent.json"))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "app_pages" / "evidence.py"),
                           default_timeout=60).run()
    assert not at.exception and "No results yet" in at.info[0].value
    assert len(at.dataframe) == 2  # only the paper's two tables



def test_both_families_start_rows_at_the_same_documents():
    """Same seed, same documents: the rows drawn at a document start open the same documents in the byte
    stream and in the token stream, step after step (the sampler's draws do not depend on the units)."""
    from blt_core.train.train_blt import sample_batch

    byte_lengths_ = np.array([50, 80, 65, 120, 90, 70]) * 20  # long: a random row rarely lands on a BOS
    opened = []
    for lengths, seq in ((byte_lengths_, 32), (byte_lengths_ // 3, 10)):  # about three bytes per token
        bos = np.concatenate([[0], np.cumsum(lengths + 2)])[:-1]  # BOS doc EOS per document
        stream = torch.arange(int(np.sum(lengths + 2)))  # each position holds its own index
        gen = torch.Generator().manual_seed(7)
        docs = []
        for _ in range(5):
            x, _ = sample_batch(stream, torch.from_numpy(bos), batch=8, seq_len=seq, gen=gen)
            docs.append([int(np.searchsorted(bos, p)) for p in x[:, 0].tolist() if p in set(bos.tolist())])
        opened.append(docs)
    assert opened[0] == opened[1] and sum(map(len, opened[0])) > 5


def _result_rows(bpb: dict[tuple[str, float], float]) -> dict:
    """A results file with one main run per (architecture, budget) and the given clean bpb (noise +1 for all)."""
    runs = [{"name": f"{a}-{c:.0e}", "arch": a, "family": "bpe" if a == "bpe" else "blt", "role": "main",
             "budget_flops": c, "train_flops_spent": c, "bpb": {"clean": v, "typo": v + (1.0 if a == "bpe" else 0.8)}}
            for (a, c), v in bpb.items()]
    return {"runs": runs}


def test_result_in_words_follows_the_numbers():
    from app.views import evidence

    bpe_wins = _result_rows({("bpe", 1e14): 1.8, ("bpe", 1e15): 1.5, ("bpe", 1e16): 1.3,
                             ("blt-x", 1e14): 1.9, ("blt-x", 1e15): 1.8, ("blt-x", 1e16): 1.7})
    text = evidence.result_md(bpe_wins)
    assert "BPE wins at every budget" in text and "0.100 bits per byte behind" in text and "widens" in text
    assert "would not meet BPE's at a larger budget" in text and "Every BLT loses less than BPE" in text
    # BLT steeper: the fitted trends meet past the largest budget, and the text says where
    closing = _result_rows({("bpe", 1e14): 1.8, ("bpe", 1e15): 1.7, ("bpe", 1e16): 1.6,
                            ("blt-x", 1e14): 2.4, ("blt-x", 1e15): 2.0, ("blt-x", 1e16): 1.7})
    text = evidence.result_md(closing)
    assert "narrows" in text and "would meet BPE's near 3e+16" in text
    blt_wins = _result_rows({("bpe", 1e14): 1.8, ("bpe", 1e15): 1.5, ("blt-x", 1e14): 1.9, ("blt-x", 1e15): 1.4})
    assert "BPE wins" not in evidence.result_md(blt_wins) and "1e+15: blt-x" in evidence.result_md(blt_wins)


def test_page_draws_the_committed_results():
    """The Evidence page on the committed assets/evidence/results.json: the result in words, every run in the table."""
    from streamlit.testing.v1 import AppTest

    results = json.loads((Path(__file__).resolve().parents[1] / "assets" / "evidence" / "results.json").read_text())
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "app_pages" / "evidence.py"),
                           default_timeout=60).run()
    assert not at.exception and not at.info
    assert any("training FLOPs" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) == len(results["runs"]) and not results["missing"]
