"""train_blt.py runs a few CPU steps on a tiny corpus with a tiny random entropy model, resumes,
and its output finalizes into a working card."""
import json
import os
import shutil
import sys

import numpy as np
import pytest
from safetensors.torch import save_file

from blt_core.checkpoints import file_entry, write_card
from blt_core.train.train_blt import main, token_stream
from tests.conftest import run_torchrun

from .conftest import TINY_ENTROPY, tiny_models


def make_data(root):
    docs = [("hello world %d. " % i * (3 + i % 5)).encode() for i in range(40)] + ["Привет мир".encode() * 5]
    for split, ds in (("train", docs[:-4]), ("heldout", docs[-4:])):
        raw = b"".join(ds)
        (root / f"{split}.bin").write_bytes(raw)
        np.save(root / f"{split}_docs.npy", np.cumsum([0] + [len(d) for d in ds]).astype(np.int64))


def entropy_files(root):
    _, ent = tiny_models()
    save_file({k: v.contiguous() for k, v in ent.state_dict().items()}, str(root / "entropy_model.safetensors"))
    write_card(root / "entropy_model.json", {
        "name": "tiny", "config": TINY_ENTROPY.to_dict(), "defaults": {"threshold": 2.5},
        "files": {"safetensors": file_entry(root / "entropy_model.safetensors", relative_to=root)}})


TINY_ARGS = ["--local-hidden-size", "32", "--local-heads", "2", "--local-intermediate-size", "64",
             "--global-heads", "2", "--global-intermediate-size", "64", "--global-layers", "1",
             "--hash-buckets", "64", "--hash-dim", "4", "--seq-len", "64", "--batch-size", "4",
             "--eval-batches", "1", "--log-every", "2", "--eval-every", "2"]


def test_token_stream_by_hand():
    ids, bos = token_stream(np.frombuffer(b"abc", np.uint8), np.array([0, 2, 3]))
    assert ids.tolist() == [1, 101, 102, 2, 1, 103, 2] and bos.tolist() == [0, 4]


def test_train_resume_and_finalize(tmp_path):
    make_data(tmp_path)
    entropy_files(tmp_path)
    out = tmp_path / "run"
    base = ["--data", str(tmp_path), "--out", str(out), "--entropy-weights", str(tmp_path / "entropy_model.safetensors"),
            "--entropy-config", str(tmp_path / "entropy_model.json"), *TINY_ARGS]
    main([*base, "--max-steps", "4"])
    main([*base, "--max-steps", "6"])  # resumes from ckpt.pt
    summary = json.loads((out / "config.json").read_text())
    assert summary["steps"] == 6 and summary["threshold"] == 2.5 and summary["config"]["num_global_layers"] == 1
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4, 6] and all(np.isfinite(r["heldout_bpb"]) for r in log)

    from blt_core.generator.generate import generate
    from blt_core.train.finalize_blt import finalize

    assets = tmp_path / "assets"
    assets.mkdir()
    shutil.copy(tmp_path / "entropy_model.safetensors", assets)
    shutil.copy(tmp_path / "entropy_model.json", assets)
    (assets / "eval").mkdir()
    (assets / "eval" / "heldout_eval.jsonl").write_text(json.dumps({"lang": "en", "script": "Latin", "text": "hello"}) + "\n")
    # the graphs' export and their ONNX-vs-torch parity are the tiny_card fixture's (conftest.py: the
    # same finalize on a sharper model, used by test_generation); here the run's bookkeeping
    card = finalize(out, assets, entropy_card=assets / "entropy_model.json", graphs=False)
    assert set(card.files) == {"safetensors", "entropy_safetensors"}
    heldout = card.data["heldout"]
    assert heldout["by_lang"]["en"]["bytes"] == 5 and card.data["training"]["steps"] == 6
    assert heldout["bits_per_byte"] > 0 and heldout["entropy_model_bits_per_byte"] > 0
    assert [s["steps"] for s in card.data["training"]["stages"]] == [6]
    a = generate("hello", max_bytes=12, backend="torch", card=assets / "blt_generator.json")
    assert len(a.generated_bytes) == 12


@pytest.mark.skipif(shutil.which("torchrun") is None and not os.path.exists(os.path.join(os.path.dirname(sys.executable), "torchrun")),
                    reason="torchrun not installed")
def test_torchrun_two_processes_gloo(tmp_path):
    make_data(tmp_path)
    entropy_files(tmp_path)
    torchrun = shutil.which("torchrun") or os.path.join(os.path.dirname(sys.executable), "torchrun")
    cmd = [torchrun, "--nproc_per_node=2", "--master_port=29531", "-m", "blt_core.train.train_blt",
           "--data", str(tmp_path), "--out", str(tmp_path / "run"),
           "--entropy-weights", str(tmp_path / "entropy_model.safetensors"),
           "--entropy-config", str(tmp_path / "entropy_model.json"), *TINY_ARGS, "--max-steps", "2"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    out = run_torchrun(cmd, timeout=300, env=env)  # retried once on SIGABRT (conftest)
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.loads((tmp_path / "run" / "config.json").read_text())
    assert summary["world_size"] == 2 and summary["steps"] == 2


def test_finalize_writes_every_graph(tiny_card):
    """A full finalize (the tiny_card fixture's) lists every graph the ONNX backend and prefill read."""
    from blt_core.checkpoints import Card

    card = Card.load(tiny_card)
    assert set(card.files) == {"safetensors", "entropy_safetensors", "onnx_entropy_step", "onnx_local_step",
                               "onnx_global_step", "onnx_prefill", "onnx_entropy_prefill"}
    for kind in card.files:
        card.verified(kind)  # present, sha256 as the card says
