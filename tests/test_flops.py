"""Compute accounting, checked against numbers worked by hand."""

import numpy as np
import pytest

from blt_core import flops

TINY = flops.TransformerConfig("tiny", hidden_size=2, num_hidden_layers=1, intermediate_size=4,
                               vocab_size=10, window=3)


def test_layer_flops_by_hand():
    # h=2, m=5, f=4: QKVO 2*4*4=32; SwiGLU 2*3*2*4=48; attention 2*2*2*5=40
    assert flops.layer_flops(2, 5, 4) == 120
    assert flops.layer_flops(2, 5, 4, swiglu=False) == 32 + 32 + 40


def test_transformer_per_position_window_caps_context():
    # context 10 is capped at window 3: layer 32 + 48 + 24 = 104, head 2*2*10 = 40
    assert flops.transformer_flops_per_position(TINY, context=10) == 144
    np.testing.assert_array_equal(
        flops.transformer_flops_per_position(TINY, context=np.array([1, 2, 3, 4])),
        [88 + 40, 96 + 40, 144, 144]  # attention 8*m for m = 1, 2, 3, 3,
    )


def test_llama3_8b_is_about_2n_per_token():
    n = flops.LLAMA3_8B.non_embedding_params + flops.LLAMA3_8B.embedding_params / 2
    f = flops.transformer_flops_per_position(flops.LLAMA3_8B, context=1)
    assert f == pytest.approx(2 * n, rel=0.01)
    assert flops.LLAMA3_8B.non_embedding_params == pytest.approx(6.98e9, rel=0.01)


def test_bpe_flops_per_byte():
    assert flops.bpe_flops_per_byte(TINY, 4.0, context=3) == 36.0
    with pytest.raises(ValueError):
        flops.bpe_flops_per_byte(TINY, 0.0)


def test_blt_flops_per_patch_by_hand():
    g = flops.TransformerConfig("g", 2, 1, 4, 0)
    enc = flops.TransformerConfig("e", 1, 1, 1, 0)
    dec = flops.TransformerConfig("d", 1, 1, 1, 3)
    cfg = flops.BLTConfig("t", g, enc, dec, cross_attn_k=1, decoder_cross_attn_layers=1,
                          entropy_model=None)
    d = flops.blt_flops_per_patch(cfg, np.array([2, 1]))
    # global, patch j sees j+1 patches: 32 + 48 + 8*(j+1)
    np.testing.assert_array_equal(d["global"], [88, 96])
    # encoder per byte k (context k+1): 8 + 6 + 4(k+1) -> 18, 22, 26; patches [40, 26]
    np.testing.assert_array_equal(d["local_encoder"], [40, 26])
    # decoder adds the head 2*1*3 = 6 per byte
    np.testing.assert_array_equal(d["local_decoder"], [52, 32])
    # cross: enc pool (1 query, L keys) 2*(2+2L) + 4L; projections 2*1*2 + 2*2*1 = 8;
    # dec (L queries, 1 key) 2*(2L+2) + 4L. L=2: 20 + 8 + 20 = 48; L=1: 12 + 8 + 12 = 32
    np.testing.assert_array_equal(d["cross_attention"], [48, 32])
    np.testing.assert_array_equal(d["entropy_model"], [0, 0])
    np.testing.assert_array_equal(d["total"], [228, 186])


def test_blt_flops_rejects_bad_lengths():
    with pytest.raises(ValueError):
        flops.blt_flops_per_patch(flops.BLT_1B, np.array([2, 0]))


def test_config_from_model_card_dict():
    cfg = flops.config_from_dict(
        {"hidden_size": 256, "num_hidden_layers": 4, "intermediate_size": 768, "vocab_size": 260,
         "window": 512})
    assert (cfg.hidden_size, cfg.window, cfg.name) == (256, 512, "blt-entropy-tiny")
    blt = flops.blt_with_entropy_model(flops.BLT_1B, cfg)
    assert blt.entropy_model is cfg


def test_matched_flops_table_grows_with_patch_size():
    rows = flops.matched_flops_table(flops.LLAMA3_8B, 4.4)
    assert [r["patch_size"] for r in rows] == [4.5, 6.0, 8.0]
    sizes = [r["blt_global_params"] for r in rows]
    assert sizes[0] < sizes[1] < sizes[2]
    # By hand: N = (F_bpe - F_local) * P / 2.
    r = rows[1]
    assert r["blt_global_params"] == pytest.approx((r["flops_per_byte"] - r["blt_local_flops_per_byte"]) * 6 / 2)
    # Roughly proportional to patch size / bytes per token, times the BPE model size.
    assert sizes[2] == pytest.approx(flops.LLAMA3_8B.non_embedding_params * 8 / 4.4, rel=0.3)


def test_paper_pairs_are_reported_with_a_note():
    rows = flops.paper_pairs_check()
    assert [(r["patch_size"], r["blt_params"]) for r in rows] == [(6.0, 610e6), (8.0, 760e6)]
    # Local models free: 3.1e8 * 6 / 2 = 930M.
    assert rows[0]["our_blt_global_params_local_free"] == pytest.approx(930e6)
    assert rows[0]["ratio_blt_params"] == pytest.approx(470e6 * 6 / 3.7)
    assert "local" in rows[0]["note"]
