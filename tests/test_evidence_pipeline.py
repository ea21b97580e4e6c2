"""The evidence pipeline (issue 15) end to end at a microscopic scale on the CPU: tokenizer,
pretokenized splits, calibration, plan, every planned run trained and evaluated, the results
collected, the LR sweep read back, and the Evidence page drawn from that results file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from blt_core.evidence import bpe, calibrate, collect, evalset, evaluate, launch, plan, pretokenize, train

TEXTS = {  # script -> a sentence; documents repeat them with numbers so the splits differ
    "Latin": "The quick brown fox jumps over the lazy dog number {}. ",
    "Cyrillic": "Съешь же ещё этих мягких французских булок {}. ",
    "CJK": "敏捷的棕色狐狸跳过了懒狗第{}次。",
    "Devanagari": "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है {}। ",
    "Arabic": "نص حكيم له سر قاطع وذو شأن عظيم {}. ",
}


def write_split(root: Path, name: str, docs: list[bytes]) -> None:
    (root / f"{name}.bin").write_bytes(b"".join(docs))
    np.save(root / f"{name}_docs.npy", np.cumsum([0] + [len(d) for d in docs]).astype(np.int64))


@pytest.fixture
def one_thread():
    """One torch thread: on a loaded two-core machine two threads spin against each other (30x slower)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def write_entropy_card(d: Path) -> Path:
    """A tiny random entropy model's card in `d` (safetensors only: the pipeline never needs its ONNX)."""
    from safetensors.torch import save_file

    from blt_core.checkpoints import file_entry, write_card
    from blt_core.entropy.model import EntropyModel, EntropyModelConfig

    cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=1, intermediate_size=64,
                             window=32)
    model = EntropyModel(cfg).init_weights(seed=1)
    for p in model.parameters():  # sharper than the 0.02 init, so entropies vary byte to byte
        if p.dim() > 1:
            p.data.mul_(20)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(d / "m.safetensors"))
    write_card(d / "card.json", {"name": "tiny", "config": cfg.to_dict(),
                                 "files": {"safetensors": file_entry(d / "m.safetensors", relative_to=d)}})
    return d / "card.json"


@pytest.fixture(scope="module")
def entropy_card(tmp_path_factory) -> Path:
    return write_entropy_card(tmp_path_factory.mktemp("entropy"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    docs = [("".join(t.format(i + j) for j in range(3 + i % 4))).encode() for i in range(12) for t in TEXTS.values()]
    write_split(root, "train", docs[:-5])
    write_split(root, "heldout", docs[-5:])
    rows = [{"id": s, "lang": s[:2].lower(), "script": s, "text": t.format(99) * 2} for s, t in TEXTS.items()]
    rows.append({"id": "bin", "lang": "none", "script": "binary", "hex": "00ff"})
    (root / "eval.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return root


def test_pipeline_end_to_end(corpus, entropy_card, tmp_path, monkeypatch, one_thread):
    ev = tmp_path / "evidence"
    tok, tokens, patching = ev / "bpe.json", tmp_path / "tokens", ev / "patching.json"
    bpe.main(["--data", str(corpus), "--vocab", "300", "--sample-mb", "0.01", "--out", str(tok)])
    meta = pretokenize.pretokenize(corpus, tok, tokens)
    assert meta["vocab_size"] == 300 and meta["splits"]["train"]["bytes_per_token"] > 1.5
    calibrate.main(["--data", str(corpus), "--entropy-card", str(entropy_card), "--sample-mb", "0.01",
                    "--seq-len", "64", "--targets", "3", "6", "--out", str(patching)])
    cal = json.loads(patching.read_text())
    assert [e["target"] for e in cal["entropy"]] == [3.0, 6.0]
    assert cal["entropy"][0]["threshold"] < cal["entropy"][1]["threshold"]  # longer patches need a higher bar
    assert cal["entropy_model"]["safetensors_sha256"] == json.loads(entropy_card.read_text())["files"]["safetensors"]["sha256"]

    plan_path, runs = ev / "plan.json", tmp_path / "runs"
    plan_args = ["--preset", "micro", "--patching", str(patching), "--tokens", str(tokens / "tokens.json"),
                 "--out", str(plan_path), "--commands", str(ev / "commands.sh"), "--runs", str(runs)]
    plan.main(plan_args)
    p = json.loads(plan_path.read_text())
    roles = {r["role"] for r in p["runs"]}
    assert roles == {"main", "lr_sweep", "seed"} and "blt-space" in {r["arch"] for r in p["runs"]}
    for budget in plan.MICRO.budgets:  # matched inference FLOPs per byte at each budget
        fpb = [r["inference_flops_per_byte"] for r in p["runs"] if r["budget_flops"] == budget and r["role"] == "main"]
        assert max(fpb) / min(fpb) < 1.03

    es = evalset.build_evalset(corpus / "eval.jsonl", tok, max_bytes=48, rate=0.2, seed=0)
    assert len(es["docs"]) == 5 and es["docs"][0]["variants"]["typo"]["text"] != es["docs"][0]["variants"]["clean"]["text"]
    (ev / "evalset.json").write_text(json.dumps(es, ensure_ascii=False))
    for r in p["runs"]:
        out = runs / r["name"]
        train.main(["--plan", str(plan_path), "--name", r["name"], "--data", str(corpus), "--tokens", str(tokens),
                    "--out", str(out), "--eval-every", "1", "--log-every", "1", "--eval-batches", "1"])
        evaluate.main(["--run", str(out), "--evalset", str(ev / "evalset.json")])
    results = collect.collect(p, runs, ev / "results.json")
    (ev / "results.json").write_text(json.dumps(results))
    assert not results["missing"] and len(results["runs"]) == len(p["runs"])
    for row in results["runs"]:
        assert row["done"] and row["steps"] == row["total_steps"] and row["matches_plan"]
        assert set(row["bpb"]) == {"clean", *evalset.NOISE_KINDS}
        assert all(0 < v < 20 for v in row["bpb"].values()), row["bpb"]
        assert set(row["bpb_by_script"]["clean"]) == set(TEXTS)
        assert (ev / "runs" / row["name"] / "log.jsonl").is_file()
    log = [json.loads(x) for x in (runs / p["runs"][0]["name"] / "log.jsonl").read_text().splitlines()]
    assert all(np.isfinite(x["heldout_bpb"]) for x in log)

    # the launcher skips evaluated runs and finishes a trained one (here: its evaluation, in a subprocess)
    sweep_run = next(r["name"] for r in p["runs"] if r["role"] == "lr_sweep")
    (runs / sweep_run / "results.json").unlink()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    launch.main(["--plan", str(plan_path), "--gpus", "1", "--roles", "lr_sweep", "--runs", str(runs), "--data",
                 str(corpus), "--tokens", str(tokens), "--evalset", str(ev / "evalset.json")])
    assert json.loads((runs / sweep_run / "results.json").read_text())["name"] == sweep_run

    # the sweep is read back: each family's main runs take the LR whose sweep run scored best
    plan.main([*plan_args, "--lr-from", str(runs)])
    swept = json.loads(plan_path.read_text())["lr"]
    for family, arch in p["sweep_archs"].items():
        sweep = [x for x in results["runs"] if x["arch"] == arch and x["budget_flops"] == plan.MICRO.budgets[0]
                 and x["seed"] == 0]
        assert swept[family] == min(sweep, key=lambda x: x["bpb"]["clean"])["lr"]

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("BLT_EVIDENCE_RESULTS", str(ev / "results.json"))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "app_pages" / "evidence.py"),
                           default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert len(table) == len(results["runs"]) and set(table["run"]) == {r["name"] for r in results["runs"]}
