"""The released BLT generator (blt_core.official_blt) against transformers' `BltForCausalLM` on
identical random weights.

Tiny configs of the released shape (BLT-1B's structure flags: one encoder layer with
cross-attention after it only, cross-attention before every decoder layer, k = 2 queries per
patch, hash n-grams 3..8 with the released primes; and BLT-7B's projection where k local
widths differ from the global one) are built in transformers, sharpened so the patcher's
entropies spread, saved with `save_pretrained` and loaded by the project from that folder.
Local windows (16) and the patcher's window (24) are far shorter than the inputs, so every
windowed path is exercised. The same weights are also written in the official layouts
(params.json + consolidated.pth + entropy_model/, and the Hub's config.json + model.safetensors)
and in bfloat16, and load to the same logits.
"""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers", reason="transformers cannot import; it is a pinned test "
                                   "dependency in requirements-dev.txt")
from transformers import BltForCausalLM  # noqa: E402
from transformers.models.blt.modeling_blt import byte_group_hash_function  # noqa: E402

from blt_core.constants import BOE_ID, BOS_ID, BPE_DELIM_ID, EOS_ID, OFFSET  # noqa: E402
from blt_core.generator.decoding import run  # noqa: E402
from blt_core.official_blt.config import OfficialBLTConfig, num_parameters  # noqa: E402
from blt_core.official_blt.hashing import HASH_PRIMES, hash_ids  # noqa: E402
from blt_core.official_blt.load import load_generator_folder  # noqa: E402
from blt_core.official_blt.patch_layout import token_patch_starts  # noqa: E402
from blt_core.official_blt.stepping import FullRecompute, OfficialStepper  # noqa: E402
from tests.official_blt_models import BUCKETS, PATCHER_WINDOW, TEXTS, WINDOW, build  # noqa: E402
from tests.official_blt_models import ids as _ids  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py says why


@pytest.fixture(scope="module", params=[64, 96], ids=["1b-shape", "7b-shape"])
def pair(request, tmp_path_factory):
    """(transformers model, its saved folder): global 64 = 2 x 32 (no projection), 96 (projection)."""
    model = build(request.param, seed=request.param)
    folder = tmp_path_factory.mktemp(f"blt_{request.param}")
    model.save_pretrained(folder)
    return model, folder


def _reference_logits(model, data: bytes) -> torch.Tensor:
    with torch.no_grad():
        return model(_ids(data), use_cache=False).logits[0]


def test_hash_matches_transformers():
    ids = torch.randint(0, 260, (2, 40), generator=torch.Generator().manual_seed(0))
    ours = hash_ids(ids, (3, 4, 5, 6, 7, 8), buckets=500002, functions=2)
    for f in range(2):
        for j, n in enumerate((3, 4, 5, 6, 7, 8)):
            ref = byte_group_hash_function(ids, n, HASH_PRIMES[f], 500002)
            assert torch.equal(ours[..., f * 6 + j], ref), (f, n)


def test_parameter_count_matches_transformers(pair):
    model, folder = pair
    ours, _ = load_generator_folder(folder)
    theirs = sum(p.numel() for n, p in model.named_parameters() if ".patcher." not in n)
    assert num_parameters(ours.config)["total"] == theirs
    assert ours.global_transformer.token_embedding_projection is None or ours.config.needs_global_projection


@pytest.mark.parametrize("kind", TEXTS)
def test_logits_match_transformers(pair, kind):
    model, folder = pair
    ours, layout = load_generator_folder(folder)
    data = TEXTS[kind]
    assert layout == "transformers" and len(data) + 1 > 2 * PATCHER_WINDOW
    with torch.no_grad():
        logits = ours(_ids(data))[0]
        entropies = ours.entropies(_ids(data))[0].numpy()
    starts = token_patch_starts(entropies, threshold=ours.config.patch_threshold)
    assert 4 < len(starts) < len(data) - 4, "the threshold should give patches of several sizes"
    assert torch.allclose(logits, _reference_logits(model, data), atol=1e-4, rtol=0)


def _greedy_reference(model, prompt: bytes, n: int) -> bytes:
    """transformers' greedy bytes by full recompute (the loop's sampler never picks BOE, BOS or the delimiter)."""
    ids = _ids(prompt)[0].tolist()
    with torch.no_grad():
        for _ in range(n):
            logits = model(torch.tensor([ids]), use_cache=False).logits[0, -1].double()
            logits[[BOE_ID, BOS_ID, BPE_DELIM_ID]] = -float("inf")
            nxt = int(logits.argmax())
            if nxt == EOS_ID:
                break
            ids.append(nxt)
    return bytes(i - OFFSET for i in ids[1:])


@pytest.mark.parametrize("kind", ["english", "chinese"])
def test_cached_steps_give_the_greedy_bytes_of_full_recompute(pair, kind):
    model, folder = pair
    ours, _ = load_generator_folder(folder)
    prompt, n = TEXTS[kind][:20], 32
    kw = dict(max_bytes=n, threshold=ours.config.patch_threshold, max_patch_length=0, temperature=0.0, top_k=None,
              seed=0, max_ngram=ours.config.max_ngram)
    cached, full = run(OfficialStepper(ours), [prompt], **kw), run(FullRecompute(ours), [prompt], **kw)
    stepped = run(OfficialStepper(ours), [prompt], prefill=False, **kw)  # the prompt byte by byte, not in one pass
    assert cached.data == full.data == stepped.data and cached.patch_starts == full.patch_starts == stepped.patch_starts
    assert np.allclose(cached.entropies[0], stepped.entropies[0], atol=1e-4)
    assert np.allclose(cached.entropies[0], full.entropies[0], atol=1e-4)
    assert cached.data[0] == _greedy_reference(model, prompt, n)
    assert len(cached.data[0]) == len(prompt) + n and len(prompt) + n > 2 * WINDOW


# ---- the same weights in the official layouts ----------------------------------------------

def _official_args(cfg: OfficialBLTConfig) -> dict:
    return {"vocab_size": 260, "dim_local_encoder": cfg.encoder_hidden_size, "dim_local_decoder": cfg.decoder_hidden_size,
            "dim_global": cfg.global_hidden_size, "n_layers_local_encoder": cfg.encoder_layers,
            "n_layers_local_decoder": cfg.decoder_layers, "n_layers_global": cfg.global_layers,
            "n_heads_local_encoder": cfg.encoder_heads, "n_heads_local_decoder": cfg.decoder_heads,
            "n_heads_global": cfg.global_heads, "cross_attn_nheads": cfg.cross_attn_heads, "cross_attn_k": 2,
            "cross_attn_encoder": True, "cross_attn_decoder": True, "cross_attn_init_by_pooling": True,
            "cross_attn_all_layers_encoder": False, "cross_attn_all_layers_decoder": True,
            "local_attention_window_len": WINDOW, "encoder_hash_byte_group_size": [3, 4, 5, 6, 7, 8],
            "encoder_hash_byte_group_vocab": BUCKETS, "encoder_hash_byte_group_nb_functions": 1,
            "rope_theta": 500000.0, "norm_eps": 1e-5, "multiple_of": 256, "downsampling_by_pooling": "max",
            "patch_in_forward": True, "patching_mode": "entropy", "patching_threshold": cfg.patch_threshold}


def _write_entropy_model(ours, folder) -> None:
    (folder / "entropy_model").mkdir()
    p = ours.patcher.config
    params = {"entropy_model": {"dim": p.hidden_size, "n_layers": p.num_hidden_layers, "n_heads": p.num_attention_heads,
                                "vocab_size": 260, "sliding_window": p.window, "rope_theta": p.rope_theta,
                                "norm_eps": p.norm_eps, "multiple_of": 256}}
    (folder / "entropy_model" / "params.json").write_text(json.dumps(params))
    torch.save({"model": ours.patcher.state_dict()}, folder / "entropy_model" / "consolidated.pth")


def _generator_state(ours) -> dict:
    return {k: v.clone() for k, v in ours.state_dict().items() if not k.startswith("patcher.")}


@pytest.mark.parametrize("layout", ["consolidated", "hub"])
def test_official_layouts_load_to_the_same_logits(pair, layout, tmp_path):
    from safetensors.torch import save_file

    model, folder = pair
    ours, _ = load_generator_folder(folder)
    args = _official_args(ours.config)
    if layout == "consolidated":
        (tmp_path / "params.json").write_text(json.dumps({"model": args, "data": {"patcher_args": {}}}))
        torch.save({"model": _generator_state(ours)}, tmp_path / "consolidated.pth")
    else:
        (tmp_path / "config.json").write_text(json.dumps({"args": args}))
        save_file(_generator_state(ours), tmp_path / "model.safetensors")
    _write_entropy_model(ours, tmp_path)
    loaded, found = load_generator_folder(tmp_path)
    assert found == layout and loaded.config == ours.config
    data = TEXTS["arabic"]
    with torch.no_grad():
        assert torch.allclose(loaded(_ids(data))[0], _reference_logits(model, data), atol=1e-4, rtol=0)


def test_bfloat16_folder_loads_in_float32(pair, tmp_path):
    model, _ = pair
    half = BltForCausalLM(model.config).eval()
    half.load_state_dict(model.state_dict())
    half.to(torch.bfloat16).save_pretrained(tmp_path)
    # the reference: the same bf16-rounded weights in float32 (its RoPE tables stay float32: they are
    # buffers outside the state dict, which a module-wide .to(bfloat16) would round as well)
    rounded = BltForCausalLM(model.config).eval()
    rounded.load_state_dict({k: v.to(torch.bfloat16).float() for k, v in model.state_dict().items()})
    ours, _ = load_generator_folder(tmp_path)
    assert next(ours.parameters()).dtype == torch.float32
    data = TEXTS["english"]
    with torch.no_grad():
        assert torch.allclose(ours(_ids(data))[0], _reference_logits(rounded, data), atol=1e-4, rtol=0)
