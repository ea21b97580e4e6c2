"""The training script runs under torchrun with two CPU processes (gloo), logs, resumes and saves."""

import json
import os
import shutil
import sys

import numpy as np
import pytest

from tests.conftest import run_torchrun

pytest.importorskip("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def tiny_corpus(tmp_path):
    docs = [f"Document {i}: the quick brown fox jumps over the lazy dog. ".encode() * 5 for i in range(40)]
    raw = b"".join(docs)
    offsets = np.cumsum([0] + [len(d) for d in docs]).astype(np.int64)
    for split in ("train", "heldout"):
        (tmp_path / f"{split}.bin").write_bytes(raw)
        np.save(tmp_path / f"{split}_docs.npy", offsets)
    return tmp_path


def run(corpus, out, steps):
    torchrun = shutil.which("torchrun") or os.path.join(os.path.dirname(sys.executable), "torchrun")
    cmd = [torchrun, "--standalone", "--nproc_per_node=2", "-m", "blt_core.train.train_entropy", "--data", str(corpus),
           "--out", str(out), "--hidden-size", "32", "--layers", "1", "--heads", "2", "--intermediate-size", "64",
           "--window", "64", "--seq-len", "64", "--batch-size", "4", "--max-steps", str(steps), "--log-every", "5",
           "--eval-every", "10", "--eval-batches", "1"]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT)
    r = run_torchrun(cmd, cwd=ROOT, env=env, timeout=300)  # retried once on SIGABRT (conftest)
    return r


def test_torchrun_two_processes_trains_resumes_and_saves(tiny_corpus, tmp_path):
    out = tmp_path / "run"
    r = run(tiny_corpus, out, 10)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "world 2" in r.stdout
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in log] == [5, 10] and "heldout_bpb" in log[-1]
    assert log[-1]["train_bpb"] < 8.2
    r = run(tiny_corpus, out, 20)  # resumes from ckpt.pt
    assert r.returncode == 0, r.stderr[-2000:]
    assert "resumed at step 10" in r.stdout
    summary = json.loads((out / "config.json").read_text())
    assert summary["steps"] == 20 and summary["world_size"] == 2 and summary["config"]["window"] == 64

    from safetensors.numpy import load_file

    w = load_file(str(out / "entropy_model.safetensors"))
    assert w["tok_embeddings.weight"].shape == (260, 32) and "layers.0.attention.wq.weight" in w


def test_finalize_turns_a_run_into_a_working_card(tiny_corpus, tmp_path):
    """finalize_entropy: weights, ONNX export, measured card and archived logs; both backends score with it."""
    out = tmp_path / "run"
    r = run(tiny_corpus, out, 5)
    assert r.returncode == 0, r.stderr[-3000:]
    assets = tmp_path / "assets"
    (assets / "eval").mkdir(parents=True)
    rows = [{"id": "a", "lang": "en", "script": "Latin", "kind": "prose", "text": "The lazy dog sleeps. " * 20},
            {"id": "b", "lang": "none", "script": "binary", "kind": "binary", "hex": bytes(range(256)).hex()}]
    (assets / "eval" / "heldout_eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    from blt_core.checkpoints import Card
    from blt_core.train import finalize_entropy, train_entropy

    import shutil

    for stage in ("pre1", "pre2"):  # the runs it fine-tuned from, oldest first: each a stage of the card
        shutil.copytree(out, tmp_path / stage)
    finalize_entropy.main(["--run", str(out), "--assets", str(assets), "--pretrain-run", str(tmp_path / "pre1"),
                           "--pretrain-run", str(tmp_path / "pre2")])
    card = Card.load(assets / "entropy_model.json")
    assert [s["run"] for s in card.data["training"]["stages"]] == ["training/pre1", "training/pre2", "training/run"]
    # each stage records the rows it trained on (the run's defaults here: no copies, runs or binaries)
    mix = card.data["training"]["stages"][-1]["row_mix"]
    assert mix["run_frac"] == 0.0 and mix["run_space_frac"] == 0.0 and set(mix) <= set(train_entropy.ROW_MIX)
    assert (assets / "training" / "run" / "log.jsonl").is_file()
    assert set(card.data["heldout"]["by_lang"]) == {"en"} and card.data["heldout"]["binary_bits_per_byte"] > 0
    assert card.data["heldout"]["max_torch_onnx_entropy_diff_nats"] < 1e-4
    import blt_core

    a, b = (blt_core.score("The lazy dog", backend=be, model=str(assets / "entropy_model.json")) for be in ("onnx", "torch"))
    np.testing.assert_allclose(a.entropies, b.entropies, atol=1e-4)


def test_train_only_the_match_boost_from_a_shipped_int8_model(tiny_corpus, tmp_path):
    """A later stage grows a match boost on a model stored as shipped (int8 n-gram tables) and trains
    only it: the boost starts at zero and moves, every other weight stays bit for bit, and the card's
    stage says which weights trained."""
    import torch
    from safetensors.torch import load_file, save_file

    from blt_core.entropy.model import EntropyModel, EntropyModelConfig
    from blt_core.train import train_entropy

    shape = ["--hidden-size", "32", "--layers", "1", "--heads", "2", "--intermediate-size", "64", "--window", "64",
             "--ngram-sizes", "2,3", "--ngram-buckets", "97", "--match-orders", "4,8"]
    cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                             window=64, ngram_sizes=(2, 3), ngram_buckets=97, match_orders=(4, 8))
    shipped = EntropyModel(cfg).init_weights(seed=4).quantize_tables()
    init = tmp_path / "shipped.safetensors"
    save_file({k: v.contiguous() for k, v in shipped.state_dict().items()}, str(init))
    out = tmp_path / "boost"
    train_entropy.main(["--data", str(tiny_corpus), "--out", str(out), *shape, "--ngram-tables", "int8",
                        "--match-boost", "--match-boost-bytes", "--ship", "final", "--train-only", "match_boost", "--init-from", str(init), "--lr", "0.05",
                        "--warmup-frac", "0", "--seq-len", "128", "--batch-size", "4", "--run-frac", "0.5", "--max-steps", "6",
                        "--log-every", "3", "--eval-every", "6", "--eval-batches", "1"])
    before, after = load_file(str(init)), load_file(str(out / "entropy_model.safetensors"))
    assert set(after) == set(before) | {"match_boost.weight", "match_boost.bias", "match_boost_run",
                                        "match_boost_run_byte.weight"}
    for k, v in before.items():
        assert torch.equal(after[k].to(v.dtype), v), k
    assert after["match_boost.bias"].abs().max() > 0.01 and after["match_boost_run"].abs().max() > 0.01
    assert after["match_boost_run_byte.weight"].abs().max() > 0.01
    summary = json.loads((out / "config.json").read_text())
    assert summary["train_only"] == "match_boost" and summary["config"]["match_boost_bytes"] is True
    assert summary["ship"] == "final" and summary["shipped_step"] == summary["steps"] == 6
    assert summary["config"]["ngram_tables"] == "int8"

    from blt_core.train import finalize_entropy

    # the card's stage names what it trained (finalize_entropy._stage; the whole finalize, export and
    # backend parity of a boosted model are tested in test_finalize_... and test_match_entropy)
    assert finalize_entropy._stage(out, tmp_path / "assets")["train_only"] == "match_boost"
    summary["correction"] = "corrected by hand: why"  # a note added to a run's summary stays in later cards
    (out / "config.json").write_text(json.dumps(summary))
    assert finalize_entropy._stage(out, tmp_path / "assets2")["correction"] == "corrected by hand: why"


def test_fit_run_boost_fits_the_loss_the_model_has(tiny_corpus, tmp_path):
    """fit_run_boost reads run statistics from the frozen model once and fits the run boosts on them:
    its loss is the model's own cross-entropy at those positions, the fit lowers it on batches it
    did not fit, and only the run boosts change."""
    import torch
    import torch.nn.functional as F
    from safetensors.torch import load_file, save_file

    from blt_core.entropy.model import EntropyModel, EntropyModelConfig
    from blt_core.train import finalize_entropy, fit_run_boost
    from blt_core.train.train_entropy import sample_batch

    cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                             window=64, ngram_sizes=(2, 3), ngram_buckets=97, match_orders=(4, 8), match_boost=True,
                             match_boost_bytes=True)
    model = EntropyModel(cfg).init_weights(seed=5).eval()
    init = tmp_path / "init.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(init))
    out = tmp_path / "fit"
    args = ["--data", str(tiny_corpus), "--out", str(out), "--hidden-size", "32", "--layers", "1", "--heads", "2",
            "--intermediate-size", "64", "--window", "64", "--ngram-sizes", "2,3", "--ngram-buckets", "97",
            "--match-orders", "4,8", "--match-boost", "--match-boost-bytes", "--init-from", str(init), "--seq-len", "128",
            "--batch-size", "4", "--run-frac", "0.5", "--run-any-frac", "1", "--max-steps", "20", "--total-seconds",
            "120", "--eval-batches", "1", "--fit-iterations", "50", "--stats", str(tmp_path / "stats.pt")]
    fit_run_boost.main([*args, "--l2", "0,1e-3"])
    summary = json.loads((out / "config.json").read_text())
    f = summary["fit"]
    assert set(f["check_nll_by_l2"]) == {"0.0", "0.001"} and f["l2"] in (0.0, 1e-3)
    again = tmp_path / "again"  # a second fit reads the statistics the first wrote: the same positions
    fit_run_boost.main([*(a if a != str(out) else str(again) for a in args), "--l2", "1e-2"])
    assert json.loads((again / "config.json").read_text())["fit"]["positions"] == f["positions"]
    assert f["nll_after"] < f["nll_before"] and f["check_nll_after"] < f["check_nll_before"], f
    before, after = load_file(str(init)), load_file(str(out / "entropy_model.safetensors"))
    assert {k for k in before if not torch.equal(before[k], after[k])} == {"match_boost_run", "match_boost_run_byte.weight"}

    fitted = EntropyModel(cfg)
    fitted.load_state_dict(after)
    fitted.eval()
    x, y = sample_batch(*(torch.from_numpy(np.fromfile(tiny_corpus / "train.bin", dtype=np.uint8)),
                          torch.from_numpy(np.load(tiny_corpus / "train_docs.npy")[:-1])),
                        batch=2, seq_len=128, gen=torch.Generator().manual_seed(7), run_frac=1.0, run_any_frac=1.0)
    stats = fit_run_boost.run_stats(fitted, x, y)
    with torch.no_grad():
        ce = F.cross_entropy(fitted(x).transpose(1, 2), y, reduction="none")
        where = (torch.stack(fitted.embed_and_match(x)[1], -1) == x[..., None]).any(-1)
        mine = fit_run_boost.run_nll(stats, fitted.match_boost_run, fitted.match_boost_run_byte.weight)
    assert where.sum() == len(mine) > 10
    torch.testing.assert_close(mine, ce[where], atol=1e-4, rtol=1e-5)  # the fitted loss is the model's own
    assert finalize_entropy._stage(out, tmp_path / "assets")["fit"]["positions"] == f["positions"]
