"""generate(): both backends from one finalized tiny card; stopping, seeds, CLI, no torch on ONNX."""
import json
import subprocess
import sys

import numpy as np
import pytest

from blt_core.generator.decoding import run
from blt_core.constants import EOS_ID
from blt_core.generator.generate import generate, generate_stream


@pytest.mark.parametrize("temperature,top_k", [(0.0, None), (1.0, None), (0.8, 20)])
def test_torch_and_onnx_give_identical_bytes(tiny_card, temperature, top_k):
    kw = dict(max_bytes=48, temperature=temperature, top_k=top_k, seed=7, card=tiny_card)
    a = generate("Hello, BLT", backend="torch", **kw)
    b = generate("Hello, BLT", backend="onnx", **kw)
    assert a.backend.startswith("torch") and b.backend == "onnx"
    assert a.generated_bytes == b.generated_bytes
    assert a.patch_starts == b.patch_starts
    assert np.allclose(a.entropies, b.entropies, atol=1e-4)


def test_cached_equals_no_cache_through_the_api(tiny_card):
    a = generate("abc", max_bytes=30, backend="torch", card=tiny_card)
    b = generate("abc", max_bytes=30, no_cache=True, card=tiny_card)
    assert a.generated_bytes == b.generated_bytes and a.patch_starts == b.patch_starts


def test_seed_determinism(tiny_card):
    kw = dict(max_bytes=40, temperature=1.0, backend="onnx", card=tiny_card)
    assert generate("x", seed=1, **kw).generated_bytes == generate("x", seed=1, **kw).generated_bytes
    assert generate("x", seed=1, **kw).generated_bytes != generate("x", seed=2, **kw).generated_bytes


def test_alignment_and_fields(tiny_card):
    g = generate("Héllo", max_bytes=25, backend="onnx", card=tiny_card)
    n = len("Héllo".encode()) + len(g.generated_bytes)
    assert len(g.entropies) == n
    assert g.patch_starts[0] == 0
    assert all(g.entropies[k] > 2.5 for k in g.patch_starts[1:])  # the card's threshold
    assert all(g.entropies[k] <= 2.5 for k in range(1, n) if k not in g.patch_starts)
    assert len(g.flops_per_patch) == len(g.patch_starts) and min(g.flops_per_patch) > 0
    assert g.global_steps == len(g.patch_starts) and g.stopped_by in ("eos", "max_bytes")
    d = g.to_dict()
    assert {"prompt", "text", "generated_hex", "patch_starts", "entropies", "flops_per_patch", "bytes_per_second",
            "backend"} <= set(d)
    json.dumps(d)


def test_empty_prompt_starts_from_bos(tiny_card):
    g = generate("", max_bytes=10, backend="onnx", card=tiny_card)
    assert (len(g.generated_bytes), g.stopped_by) == (10, "max_bytes")
    assert g.patch_starts[:1] == [0] and len(g.entropies) == len(g.generated_bytes)
    assert generate("", max_bytes=0, backend="onnx", card=tiny_card).entropies == []


def test_max_bytes_zero_scores_the_prompt(tiny_card):
    g = generate("abcdef", max_bytes=0, backend="onnx", card=tiny_card)
    assert g.generated_bytes == b"" and len(g.entropies) == 6 and g.stopped_by == "max_bytes"


def test_stream_events(tiny_card):
    ev = list(generate_stream("ab", max_bytes=5, backend="onnx", card=tiny_card))
    assert [e.is_prompt for e in ev[:2]] == [True, True] and ev[0].byte == ord("a") and ev[0].opened_patch
    assert [e.index for e in ev] == list(range(len(ev)))
    assert all(b.local_steps == a.local_steps + 1 for a, b in zip(ev, ev[1:]))
    assert sorted(ev[0].to_dict()) == sorted(["index", "byte", "entropy", "opened_patch", "is_prompt", "global_steps",
                                          "local_steps"])


class Scripted:
    """A stepper that emits a fixed byte sequence, then EOS."""

    def __init__(self, script):
        self.script = script

    def start(self, batch):
        self.t = 0

    def entropy_step(self, tokens, pos):
        return np.full(len(tokens), 3.0 if pos % 2 else 0.0)

    def local_step(self, window, pos, patch_index):
        out = np.zeros((len(window), 260), np.float32)
        out[:, self.script[pos] if pos < len(self.script) else EOS_ID] = 10.0
        return out

    def global_step(self, close, patch_start, pos, patch_index):
        pass


def test_stops_at_eos_and_at_max_bytes():
    kw = dict(threshold=1.0, max_patch_length=0, temperature=0.0, top_k=None, seed=0, max_ngram=8)
    r = run(Scripted([104, 105]), [b""], max_bytes=50, **kw)
    assert r.data == [b"de"] and r.stopped_by_eos == [True]
    r = run(Scripted([104] * 10), [b""], max_bytes=3, **kw)
    assert r.data == [b"ddd"] and r.stopped_by_eos == [False]


@pytest.mark.parametrize("kw,msg", [
    (dict(max_bytes=-1), "max_bytes"), (dict(temperature=-0.5), "temperature"), (dict(top_k=0), "top_k"),
    (dict(backend="tpu"), "backend"), (dict(backend="onnx", no_cache=True), "no_cache")])
def test_bad_arguments_raise_value_error(tiny_card, kw, msg):
    with pytest.raises(ValueError, match=msg):
        generate("x", card=tiny_card, **kw)


def test_missing_card_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        generate("x", card=tmp_path / "nope.json")


def test_onnx_path_never_imports_torch(tiny_card):
    code = ("import sys; from blt_core.generator.generate import generate; "
            f"g = generate('hi', max_bytes=5, backend='auto', card={str(tiny_card)!r}); "
            "assert g.backend == 'onnx', g.backend; assert 'torch' not in sys.modules, 'torch imported'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": "."})
    assert out.stdout.strip() == "ok", out.stderr


def cli(*argv):
    return subprocess.run([sys.executable, "-m", "blt_core", "generate", *argv], capture_output=True, text=True,
                          timeout=120)


def test_cli_json(tiny_card):
    out = cli("--prompt", "Hi", "--max-bytes", "8", "--backend", "onnx", "--json", "--card", str(tiny_card))
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"prompt", "text", "generated_hex", "patch_starts", "entropies", "flops_per_patch", "bytes_per_second",
            "backend", "global_steps", "local_steps", "stopped_by"} <= set(d)
    assert d["prompt"] == "Hi" and len(d["entropies"]) == 2 + len(bytes.fromhex(d["generated_hex"]))


@pytest.mark.parametrize("args", [["--max-bytes", "-3"], ["--temperature", "-1"], ["--top-k", "0"],
                                  ["--backend", "gpu"], ["--max-bytes", "many"]])
def test_cli_bad_input_exit_2_without_traceback(tiny_card, args):
    out = cli("--prompt", "x", "--card", str(tiny_card), *args)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "error" in out.stderr


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_prompt_cap_is_a_clear_error(tiny_card, backend):
    """MAX_PROMPT_BYTES (2,048) bytes pass, one more is refused before any model runs, in bytes (not characters)."""
    import blt_core

    assert blt_core.MAX_PROMPT_BYTES == 2048
    ok = generate("é" * 1024, max_bytes=1, backend=backend, card=tiny_card)  # 2,048 bytes
    assert len(ok.entropies) == 2049
    for call in (lambda p: generate(p, card=tiny_card, backend=backend),
                 lambda p: list(generate_stream(p, card=tiny_card, backend=backend))):
        with pytest.raises(ValueError, match="capped at 2,048 bytes"):
            call("é" * 1024 + "x")
