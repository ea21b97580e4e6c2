"""chunking="official" reproduces facebookresearch/blt's entropy preprocessing row for row.

Its `calculate_entropies` cuts the model input [BOS, b0, b1, ...] into rows of 8,192 tokens and
scores each row alone from position 0. The reference here is written from that description:
plain full attention over one row with the sliding-window mask (position i sees i-W+1 .. i),
RoPE as complex rotations, nothing shared with the project's blocked kernels.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import blt_core  # noqa: E402
from blt_core.entropy.model import EntropyModel, EntropyModelConfig  # noqa: E402
from blt_core.entropy.scoring import OFFICIAL_ROW_TOKENS, score_bytes  # noqa: E402
from blt_core.entropy.torch_scorer import TorchEntropyModel  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sharp_model(cfg: EntropyModelConfig, seed: int) -> EntropyModel:
    """Random weights large enough that context moves entropies by tenths of a nat."""
    model = EntropyModel(cfg).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * (0.5 if name in ("tok_embeddings.weight", "output.weight")
                                                             else 0.3))
    return model


def reference_row(model: EntropyModel, ids: torch.Tensor, *, q_block: int = 2048) -> np.ndarray:
    """Entropies (nats, float64) of one row scored alone from position 0, in plain torch."""
    cfg = model.config
    T, H, D = len(ids), cfg.num_attention_heads, cfg.head_dim
    inv = 1.0 / cfg.rope_theta ** (torch.arange(0, D, 2).float() / D)
    angles = torch.outer(torch.arange(T).float(), inv).double()  # float32 angles, as the official tables are built
    rot = torch.polar(torch.ones(T, D // 2, dtype=torch.float64), angles)

    def rope(x):  # (T, H, D): pairs (x0, x1), (x2, x3), ... turned by position * frequency
        return torch.view_as_real(torch.view_as_complex(x.reshape(T, H, D // 2, 2)) * rot[:, None]).reshape(T, H, D)

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + cfg.norm_eps) * w.double()

    pos = torch.arange(T)
    h = model.tok_embeddings.weight.double()[ids]
    for layer in model.layers:
        a, f = layer.attention, layer.feed_forward
        x = rms(h, layer.attention_norm.weight)
        q, k, v = ((x @ w.weight.double().T).reshape(T, H, D) for w in (a.wq, a.wk, a.wv))
        q, k = rope(q), rope(k)
        out = []
        for s in range(0, T, q_block):  # query blocks only bound the memory; every block sees all T keys
            i = pos[s:s + q_block, None]
            allowed = (pos[None, :] <= i) & (i - pos[None, :] < cfg.window)
            scores = torch.einsum("qhd,khd->hqk", q[s:s + q_block], k) / D ** 0.5
            out.append(torch.einsum("hqk,khd->qhd", scores.masked_fill(~allowed, -torch.inf).softmax(-1), v))
        h = h + torch.cat(out).reshape(T, H * D) @ a.wo.weight.double().T
        x = rms(h, layer.ffn_norm.weight)
        g, u = x @ f.w1.weight.double().T, x @ f.w3.weight.double().T
        h = h + (torch.nn.functional.silu(g) * u) @ f.w2.weight.double().T
    logp = (rms(h, model.norm.weight) @ model.output.weight.double().T).log_softmax(-1)
    return -(logp.exp() * logp).sum(-1).detach().numpy()


def reference_official(model: EntropyModel, data: bytes, *, row_tokens: int) -> np.ndarray:
    """The official layout: [BOS, b0, ..., b(n-2)] in rows of row_tokens, each row alone."""
    ids = torch.tensor([1] + [b + 4 for b in data[:-1]])
    return np.concatenate([reference_row(model, ids[r:r + row_tokens]) for r in range(0, len(ids), row_tokens)])


SMALL = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, window=16)
TEXT = ("Official rows restart from position zero; only the first row begins with BOS. " * 4).encode()


@pytest.fixture(scope="module")
def small():
    return TorchEntropyModel(sharp_model(SMALL, seed=3), device="cpu")


@pytest.mark.parametrize("chunk_tokens", [16, 32, 96])  # chunks smaller than, equal to and larger than a row
def test_rows_match_the_reference(small, chunk_tokens):
    s = score_bytes(small.score_chunk, TEXT, window=16, chunk_tokens=chunk_tokens, row_tokens=32)
    assert len(TEXT) > 8 * 32
    assert np.abs(s.entropies - reference_official(small.model, TEXT, row_tokens=32)).max() < 1e-5


def test_official_rows_differ_from_the_continuous_pass_only_near_row_starts(small):
    official = score_bytes(small.score_chunk, TEXT, window=16, row_tokens=64).entropies
    continuous = score_bytes(small.score_chunk, TEXT, window=16).entropies
    field = SMALL.num_hidden_layers * (SMALL.window - 1)  # how far back the last layer's output reaches
    assert np.abs(official[:64] - continuous[:64]).max() < 1e-5
    assert np.abs(official[64:64 + 16] - continuous[64:64 + 16]).max() > 0.05  # less context than the pass gives
    assert np.abs(official[64 + field:128] - continuous[64 + field:128]).max() < 1e-5  # the same context again


def test_newline_reset_cuts_rows_inside_each_line(small):
    lines = [TEXT[:100] + b"\n", TEXT[100:140] + b"\n", TEXT[140:]]
    s = score_bytes(small.score_chunk, b"".join(lines), window=16, row_tokens=32, newline_reset=True)
    ref = np.concatenate([reference_official(small.model, line, row_tokens=32) for line in lines])
    assert np.abs(s.entropies - ref).max() < 1e-5


# the real row length once, on a model tiny enough for full 8,192 x 8,192 attention on a CPU
TINY = {"dim": 16, "n_layers": 1, "n_heads": 1, "multiple_of": 16, "sliding_window": 512}


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from blt_core.entropy.official import official_config

    folder = tmp_path_factory.mktemp("official_tiny")
    model = sharp_model(official_config(TINY), seed=11)
    torch.save({"model": model.state_dict()}, folder / "consolidated.pth")
    (folder / "params.json").write_text(json.dumps({"entropy_model": TINY}))
    return folder, model


def test_default_rows_of_8192_through_the_api_and_cli(tiny_folder):
    folder, model = tiny_folder
    rng = np.random.default_rng(0)
    words = [bytes(rng.integers(97, 123, rng.integers(1, 9), dtype=np.uint8)) for _ in range(3000)]
    data = b" ".join(words)[:OFFICIAL_ROW_TOKENS + 1200]
    assert OFFICIAL_ROW_TOKENS == 8192
    official = blt_core.score(data, model=str(folder), chunking="official").entropies
    ref = reference_official(model, data, row_tokens=8192)
    assert np.abs(official - ref).max() < 1e-5
    continuous = blt_core.score(data, model=str(folder)).entropies
    assert np.abs(official[:8192] - continuous[:8192]).max() < 1e-5
    assert np.abs(official[8192:8192 + 512] - continuous[8192:8192 + 512]).max() > 0.05

    out = subprocess.run([sys.executable, "-m", "blt_core", "analyze", "-", "--model", str(folder),
                          "--chunking", "official", "--json"], input=data, capture_output=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert np.abs(np.array(json.loads(out.stdout)["entropies"]) - official).max() < 1e-5  # JSON rounds to 6 decimals


def test_unknown_chunking_is_refused():
    with pytest.raises(ValueError, match="unknown chunking 'rows'; choose one of continuous, official"):
        blt_core.score("abc", chunking="rows", backend="onnx")
