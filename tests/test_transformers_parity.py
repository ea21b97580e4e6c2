"""The entropy model against transformers' `BltPatcher` on identical random weights.

A tiny config of the released shape family (Llama rule for the SwiGLU width, head dim 16,
window 512, RoPE theta 10000) is built in transformers, saved with `save_pretrained` as each of
its three layouts (BltPatcher, BltModel, BltForCausalLM) and loaded by the project through
`model=FOLDER`: entropies agree within 2e-5 nats and patch starts are identical.
"""

import copy
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers", reason="transformers cannot import; it is a pinned test "
                                   "dependency in requirements-dev.txt")
from transformers import BltConfig, BltForCausalLM, BltModel  # noqa: E402
from transformers.models.blt.configuration_blt import BltPatcherConfig  # noqa: E402
from transformers.models.blt.modeling_blt import BltPatcher  # noqa: E402

import blt_core  # noqa: E402
from blt_core.constants import BOS_ID, OFFSET  # noqa: E402
from blt_core.entropy.model import official_ffn_width  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
PATCHER = dict(vocab_size=260, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
               intermediate_size=official_ffn_width(64), max_position_embeddings=8192, sliding_window=512,
               rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
LENGTHS = (511, 512, 513, 1030)


def _sharpen(model) -> None:
    """Random weights large enough that entropies spread over 0..5.5 nats (std 0.02 gives ~uniform)."""
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * (0.5 if "embed" in name or "lm_head" in name else 0.15))


@pytest.fixture(scope="module")
def patcher_folder(tmp_path_factory):
    """A bare BltPatcher (config model_type "blt_patcher", keys embed_tokens.*, layers.*) and its model."""
    torch.manual_seed(0)
    patcher = BltPatcher(BltPatcherConfig(**PATCHER)).eval()
    _sharpen(patcher)
    folder = tmp_path_factory.mktemp("blt_patcher")
    patcher.save_pretrained(folder)
    return folder, patcher


def _sample(kind: str, n: int) -> bytes:
    if kind == "random":
        return np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    text = (SAMPLES / f"{kind}.txt").read_bytes()
    return (text * (n // len(text) + 1))[:n]


def _reference(patcher, data: bytes, threshold: float = 0.0) -> tuple[np.ndarray, list[int]]:
    """transformers' entropies on [BOS, b0, ..., b(n-1)] (position k predicts byte k) and its patch
    starts at `threshold`, as byte offsets (token 0 is BOS, token t is byte t - 1)."""
    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in data]])
    with torch.no_grad():
        ent, lengths, _ = patcher(input_ids=ids, patch_size=1, threshold=threshold)
    lengths = lengths[0].numpy()
    tokens = np.cumsum(np.concatenate([[0], lengths[:-1]]))[lengths > 0]
    return ent[0, :len(data)].double().numpy(), [int(t) - 1 for t in tokens if t >= 1]


def _threshold_between(entropies: np.ndarray) -> float:
    """A threshold near the median (about half the bytes open a patch: many decisions to agree on)
    midway between two entropies at least 1e-4 apart, so a 2e-5 difference cannot flip a decision."""
    e = np.sort(entropies.astype(np.float64))
    gaps = np.flatnonzero(np.diff(e) > 1e-4)
    i = gaps[np.argmin(np.abs(gaps - len(e) // 2))]
    return float((e[i] + e[i + 1]) / 2)


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("kind", ["english", "chinese", "arabic", "random"])
def test_entropies_and_patch_starts_match_blt_patcher(patcher_folder, kind, n):
    folder, patcher = patcher_folder
    data = _sample(kind, n)
    s = blt_core.score(data, model=str(folder), backend="torch")
    threshold = _threshold_between(s.entropies)
    ref, ref_starts = _reference(patcher, data, threshold)
    assert np.abs(s.entropies - ref).max() < 2e-5
    ours = blt_core.patch_scores(s, mode="entropy", threshold=threshold).patch_starts.tolist()
    assert ours == ref_starts
    assert 0.2 * n < len(ours) < 0.8 * n


def test_entropies_spread(patcher_folder):
    """The random weights make real decisions: entropies are far from uniform and vary."""
    ref, _ = _reference(patcher_folder[1], _sample("english", 1030))
    assert ref.min() < 4.0 and ref.max() - ref.min() > 1.0


def _tiny_blt() -> BltConfig:
    small = dict(hidden_size=32, num_attention_heads=2, num_hidden_layers=1)
    return BltConfig(patcher_config=PATCHER, encoder_config=dict(small, hidden_size_global=64),
                     decoder_config=dict(small, hidden_size_global=64),
                     global_config=dict(hidden_size=64, num_attention_heads=4, num_hidden_layers=1),
                     encoder_hash_byte_group_vocab=64, cross_attn_k=2)


@pytest.mark.parametrize("cls", [BltModel, BltForCausalLM], ids=["patcher.*", "model.patcher.*"])
def test_full_blt_folders_load_their_patcher(tmp_path, cls):
    """A converted BLT (config model_type "blt", patcher_config) loads its patcher; bf16 weights too."""
    torch.manual_seed(1)
    model = cls(_tiny_blt()).eval()
    patcher = model.patcher if cls is BltModel else model.model.patcher
    _sharpen(patcher)
    with torch.no_grad():
        for q in patcher.parameters():  # the reference holds the bf16 values, widened as the project widens them
            q.copy_(q.bfloat16().float())
    copy.deepcopy(model).to(torch.bfloat16).save_pretrained(tmp_path)  # a copy: .to() would round RoPE buffers too
    data = _sample("english", 700)
    s = blt_core.score(data, model=str(tmp_path), backend="torch")
    assert np.abs(s.entropies - _reference(patcher, data)[0]).max() < 2e-5
