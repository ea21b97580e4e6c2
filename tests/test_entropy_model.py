import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from blt_core.entropy.model import EntropyModel, EntropyModelConfig  # noqa: E402
from blt_core.nn import apply_rope, blocked_window_attention, rope_tables  # noqa: E402
from blt_core.entropy.official import official_config  # noqa: E402
from blt_core.entropy.torch_scorer import TorchEntropyModel  # noqa: E402


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


def test_outputs_beyond_the_receptive_field_are_unchanged():
    """Window W = 8, L = 2 layers: output t reads inputs t - L*(W-1) .. t, a receptive field of
    L*(W-1) + 1 = 15 positions. Changing input p moves outputs p .. p+14 and nothing else; the
    input spans four fields, so the unchanged tail is longer than a field (and crosses blocks)."""
    cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, window=8)
    m = EntropyModel(cfg).init_weights(seed=0).eval()
    with torch.no_grad():  # sharper than the 0.02 init, so a change at the field's edge is far above rounding
        for p in m.parameters():
            if p.dim() > 1:
                p.mul_(20)
    field = cfg.num_hidden_layers * (cfg.window - 1) + 1
    p, T = 5, 4 * field
    ids = torch.randint(4, 260, (1, T), generator=torch.Generator().manual_seed(0))
    changed = ids.clone()
    changed[0, p] = (changed[0, p] + 1 - 4) % 256 + 4
    with torch.no_grad():
        moved = (m(ids) - m(changed))[0].abs().amax(-1)  # (T,) largest logit change per position
    assert moved[:p].max() == 0  # causal: nothing before p sees it
    assert moved[p + field:].max() <= 1e-6  # beyond the field: 45 positions, none sees it
    assert moved[p + field - 1] > 1e-3  # the field's last position does see it (the window is not narrower)


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
