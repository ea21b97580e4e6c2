"""The FLOP accountant (blt_core.flops), checked against numbers worked by hand and numbers pinned before it
became one package."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import blt_core
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


TINY_BLT = flops.BLTShape("t", flops.TransformerConfig("g", 2, 1, 4, 0), flops.TransformerConfig("e", 1, 1, 1, 0),
                          flops.TransformerConfig("d", 1, 1, 1, 3), cross_attn_k=1, decoder_cross_attn_layers=1,
                          entropy_model=None)


def test_blt_flops_per_patch_by_hand():
    d = flops.blt_flops_per_patch(TINY_BLT, np.array([2, 1]))
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


def test_lookups_by_name_say_the_choices():
    assert flops.blt_shape("blt-1b") is flops.BLT_1B and flops.bpe_shape("llama2-7b") is flops.LLAMA2_7B
    with pytest.raises(ValueError, match="unknown BLT config 'x'; choose one of blt-1b, blt-8b"):
        flops.blt_shape("x")
    with pytest.raises(ValueError, match="unknown BPE model 'gpt9'"):
        flops.bpe_shape("gpt9")
    assert set(flops.BPE_TOKENIZER) == set(flops.BPE_CONFIGS)


def test_compare_text_by_hand():
    # TINY_BLT over patches [2, 1] costs [228, 186] (test above). TINY reads the 3 bytes as 1 token:
    # 3 bytes per token, context 1: layer 32 + 48 + 8*1 = 88, head 2*2*10 = 40 -> 128 per token.
    c = flops.compare_text(np.array([2, 1]), blt=TINY_BLT, bpe=TINY, n_tokens=1)
    assert (c.n_bytes, c.n_patches, c.mean_patch_length, c.blt_flops_total) == (3, 2, 1.5, 414.0)
    assert (c.bpe_bytes_per_token, c.bpe_context, c.bpe_flops_per_token) == (3.0, 1, 128.0)
    assert c.bpe_flops_total == pytest.approx(128.0) and c.blt_to_bpe == pytest.approx(414 / 128)
    assert c.bpe_tokenizer is None and c.bpe_bytes_per_token_source == "measured"  # "tiny" has no tokenizer
    # Formula inputs: the global model's mean causal context over 2 patches is 1.5: 32 + 48 + 8*1.5.
    terms = {t.part: t for t in c.terms}
    assert set(terms) == {"global", "local_encoder", "local_decoder", "bpe"}
    assert (terms["global"].context, terms["global"].flops) == (1.5, 92.0)
    assert (terms["bpe"].unit, terms["bpe"].kv_size, terms["bpe"].flops) == ("token", 2, 128.0)
    totals = {t.part: t for t in c.component_totals()}
    assert (totals["global"].flops, totals["global"].per_byte) == (184.0, 184 / 3)
    assert sum(t.share for t in totals.values()) == pytest.approx(1.0)


def test_compare_text_paper_bytes_per_token_and_errors():
    c = flops.compare_text(np.array([4, 4, 2]), blt=flops.BLT_1B, bpe=flops.LLAMA2_7B, n_tokens=None)
    assert (c.bpe_bytes_per_token, c.bpe_tokenizer, c.bpe_context) == (3.7, None, 3)
    assert c.bpe_bytes_per_token_source.startswith("paper")
    assert c.to_json()["bpe_flops_total"] == c.bpe_flops_per_byte * 10
    with pytest.raises(ValueError, match="n_tokens"):
        flops.compare_text(np.array([2]), blt=TINY_BLT, bpe=TINY, n_tokens=0)
    with pytest.raises(ValueError, match="no bytes-per-token figure"):
        flops.compare_text(np.array([2]), blt=TINY_BLT, bpe=TINY, n_tokens=None)


def test_compare_patch_sizes_is_global_over_patch_plus_local():
    c = flops.compare_patch_sizes({"a": np.array([4.0, 8.0])}, bytes_per_token=4.4)
    for L, got in zip((4.0, 8.0), c.blt_flops_per_byte["a"]):
        glob = flops.transformer_flops_per_position(flops.BLT_1B.global_model, context=8192 / L) / L
        local = flops.blt_local_flops_per_byte(flops.BLT_1B, L, include_entropy_model=True)
        assert got == glob + local
    assert c.bpe_flops_per_byte == flops.bpe_flops_per_byte(flops.LLAMA3_8B, 4.4, context=round(8192 / 4.4))


# blt_core.generator.generate.patch_flops on these inputs, recorded before the accountant took it over.
_SHIPPED = {"vocab_size": 260, "local_hidden_size": 192, "local_num_attention_heads": 3,
            "local_intermediate_size": 512, "num_encoder_layers": 1, "num_decoder_layers": 2, "local_window": 512,
            "hash_ngram_sizes": [3, 4, 5, 6, 7, 8], "hash_buckets": 16384, "hash_dim": 16, "patch_k": 2,
            "global_hidden_size": 384, "global_num_attention_heads": 6, "global_intermediate_size": 512,
            "num_global_layers": 4, "global_window": 512}
_SHIPPED_ENTROPY = {"vocab_size": 260, "hidden_size": 192, "num_hidden_layers": 4, "intermediate_size": 512,
                    "window": 512}
_TINY_GEN = {"local_hidden_size": 32, "local_num_attention_heads": 2, "local_intermediate_size": 64,
             "global_hidden_size": 64, "global_num_attention_heads": 2, "global_intermediate_size": 96,
             "num_global_layers": 1, "local_window": 4, "global_window": 2, "hash_ngram_sizes": [3], "hash_dim": 4}
_TINY_ENTROPY = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "window": 3, "vocab_size": 260}


@pytest.mark.parametrize("config, entropy, starts, n, expected", [
    (_SHIPPED, _SHIPPED_ENTROPY, [0, 1, 4], 9, [17221632, 31624704, 46124544]),
    (_SHIPPED, _SHIPPED_ENTROPY, [0], 1, [17221632]),
    (_SHIPPED, _SHIPPED_ENTROPY, [0, 100, 300, 600, 601], 700,  # past both 512 windows
     [754884096, 1661015040, 2868175104, 19981824, 992549376]),
    (_TINY_GEN, _TINY_ENTROPY, [0, 2, 3, 7], 10, [314816, 201280, 545536, 430784]),  # tiny windows cap early
    (_SHIPPED, _SHIPPED_ENTROPY, [], 0, []),
])
def test_generator_patch_flops_equals_the_pinned_numbers(config, entropy, starts, n, expected):
    from blt_core.generator.config import BLTConfig

    got = flops.generator_patch_flops(BLTConfig.from_dict(config), entropy, starts, n)
    assert got == expected and all(type(x) is int for x in got)  # ints: Generation.to_dict stays JSON-safe


def _compute_json(argv: list[str], capsys) -> dict:
    from blt_core.cli.main import main

    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _four_byte_patches(data, **_):
    n = len(data)
    lengths = np.diff(np.append(np.arange(0, n, 4), n))
    return SimpleNamespace(patch_lengths=lengths, mean_patch_length=n / len(lengths))


def test_compute_cli_json_with_fixed_patches_is_pinned(monkeypatch, capsys):
    # `python -m blt_core compute` on 28 bytes in 4-byte patches, recorded before the accountant moved.
    monkeypatch.setattr(blt_core, "analyze", _four_byte_patches)
    out = _compute_json(["compute", "--text", "hello world, the river rises", "--json"], capsys)
    assert out["per_patch_flops"] == [4662874112.0, 4664422400.0, 4665970688.0, 4667518976.0, 4669067264.0,
                                      4670615552.0, 4672163840.0]
    assert (out["blt_flops_total"], out["bpe_flops_total"]) == (32672632832.0, 90074775551.99998)
    out = _compute_json(["compute", "--text", "hello world, the river rises", "--blt", "blt-8b", "--bpe",
                         "llama2-7b", "--json"], capsys)
    assert out["per_patch_components"]["cross_attention"] == [317480960.0] * 7
    assert (out["blt_flops_total"], out["bpe_flops_total"]) == (124796672000.0, 100030749612.97298)


_PINNED_COMPUTE = json.loads((Path(__file__).parent / "fixtures" / "pinned_compute.json").read_text())
_ENTROPY_CARD = Path(__file__).resolve().parents[1] / "assets" / "entropy_model.json"


@pytest.mark.skipif(not _ENTROPY_CARD.exists(), reason="needs the shipped entropy model")
@pytest.mark.parametrize("case", _PINNED_COMPUTE["cases"], ids=lambda c: " ".join(c["argv"][3:]) or "default")
def test_compute_cli_json_is_pinned(case, capsys):
    assert _compute_json(case["argv"], capsys) == case["json"]
