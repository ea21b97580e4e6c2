"""Every official entropy-model layout is recognised by its files and loads the same weights;
a folder in no supported layout gets a message naming what it holds and what would load."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import save_file  # noqa: E402

import blt_core  # noqa: E402
from blt_core.checkpoints import WeightsError  # noqa: E402
from blt_core.entropy.model import EntropyModel  # noqa: E402
from blt_core.entropy.official import TRANSFORMERS_NAMES, detect_layout, load_official, official_config  # noqa: E402

# the entropy_model section of an official params.json, at a tiny size
PARAMS = {"dim": 64, "n_layers": 2, "n_heads": 4, "max_seqlen": 8192, "ffn_dim_multiplier": 1.0, "vocab_size": 260,
          "multiple_of": 32, "norm_eps": 1e-5, "rope_theta": 10000.0, "sliding_window": 512}
TO_TRANSFORMERS = {v: k for k, v in TRANSFORMERS_NAMES.items()}
TEXT = "The river behind the old library rises every spring. 春天 الربيع".encode()


@pytest.fixture(scope="module")
def source():
    return EntropyModel(official_config(PARAMS)).init_weights(seed=5).eval()


def _state(model, dtype):
    return {k: v.to(dtype).contiguous() for k, v in model.state_dict().items()}


def write_consolidated(folder, model, dtype):
    torch.save({"model": _state(model, dtype)}, folder / "consolidated.pth")
    (folder / "params.json").write_text(json.dumps({"entropy_model": PARAMS, "data": {"patcher_args": {}}}))


def write_tiny_official(folder, *, seed=0):
    """A tiny random official folder (params.json + consolidated.pth, float32) at `folder`, created if needed."""
    folder.mkdir(parents=True, exist_ok=True)
    write_consolidated(folder, EntropyModel(official_config(PARAMS)).init_weights(seed=seed).eval(), torch.float32)
    return folder


def write_blt_entropy(folder, model, dtype):
    args = dict(PARAMS, head_dim=None, n_kv_heads=None, attn_impl="xformers", attn_bias_type="local_block_causal",
                init_std_factor="disabled", weight_tying=False, seed=42, eos_id=2)
    (folder / "config.json").write_text(json.dumps({"args": args}))
    save_file(_state(model, dtype), str(folder / "model.safetensors"))


def _transformers_state(model, dtype, prefix):
    return {prefix + ".".join(TO_TRANSFORMERS.get(p, p) for p in k.split(".")): v
            for k, v in _state(model, dtype).items()}


def _patcher_config(model):
    c = model.config
    return {"model_type": "blt_patcher", "vocab_size": 260, "hidden_size": c.hidden_size,
            "num_hidden_layers": c.num_hidden_layers, "num_attention_heads": c.num_attention_heads,
            "intermediate_size": c.intermediate_size, "rms_norm_eps": 1e-5, "sliding_window": 512,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}}


def write_transformers_sharded(folder, model, dtype):
    """BltForCausalLM keys (model.patcher.*) in two shards beside generator weights, and the index."""
    state = _transformers_state(model, dtype, "model.patcher.")
    names = sorted(state)
    shards = {"model-00001-of-00002.safetensors": dict(list(state.items())[: len(names) // 2]),
              "model-00002-of-00002.safetensors": dict(list(state.items())[len(names) // 2:])}
    shards["model-00002-of-00002.safetensors"]["model.local_encoder.embed_tokens.weight"] = torch.zeros(260, 8)
    index = {"weight_map": {k: f for f, part in shards.items() for k in part}}
    for f, part in shards.items():
        save_file(part, str(folder / f))
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    (folder / "config.json").write_text(json.dumps({"model_type": "blt", "patcher_config": _patcher_config(model)}))


def write_transformers_patcher(folder, model, dtype):
    """A bare BltPatcher: config model_type "blt_patcher", keys embed_tokens.*, layers.*, lm_head.*."""
    (folder / "config.json").write_text(json.dumps(_patcher_config(model)))
    save_file(_transformers_state(model, dtype, ""), str(folder / "model.safetensors"))


def write_blt_root(folder, model, dtype):
    """facebook/blt's root: the generator's config.json and weights, the entropy model in entropy_model/."""
    (folder / "config.json").write_text(json.dumps({"args": {"dim_global": 2048, "n_layers_global": 25}}))
    (folder / "entropy_model").mkdir()
    write_consolidated(folder / "entropy_model", model, dtype)


WRITERS = {"consolidated": (write_consolidated, "consolidated"), "blt-entropy": (write_blt_entropy, "blt-entropy"),
           "transformers-sharded": (write_transformers_sharded, "transformers"),
           "transformers-patcher": (write_transformers_patcher, "transformers"),
           "blt-root": (write_blt_root, "consolidated")}  # name -> (writer, the layout it must be told as)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("name", list(WRITERS))
def test_every_layout_loads_the_same_weights(tmp_path, source, name, dtype):
    write, layout = WRITERS[name]
    write(tmp_path, source, dtype)
    assert detect_layout(tmp_path)[0] == layout
    model, loaded_as = load_official(tmp_path)
    assert loaded_as == layout
    assert model.config == source.config
    for k, v in source.state_dict().items():
        assert torch.equal(model.state_dict()[k], v.to(dtype).float()), k


@pytest.mark.parametrize("name", list(WRITERS))
def test_the_api_scores_with_every_layout(tmp_path, source, name):
    WRITERS[name][0](tmp_path, source, torch.float32)
    s = blt_core.score(TEXT, model=str(tmp_path))
    ids = torch.tensor([[1] + [b + 4 for b in TEXT[:-1]]])
    with torch.no_grad():
        ref = torch.distributions.Categorical(logits=source(ids)[0]).entropy().numpy()
    assert s.backend.startswith("torch") and s.model == f"official:{tmp_path.name}"
    assert np.abs(s.entropies - ref).max() < 1e-5


def _error(folder) -> str:
    with pytest.raises(WeightsError) as e:
        blt_core.score(TEXT, model=str(folder))
    return str(e.value)


def test_unknown_folders_name_what_they_hold_and_what_loads(tmp_path):
    assert "found: nothing" in _error(tmp_path) and "lacks the files of every supported layout" in _error(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    msg = _error(tmp_path)
    assert "config.json (model_type 'gpt2'), pytorch_model.bin" in msg
    for layout in ("params.json + consolidated.pth", '{"args": ...} + model.safetensors (facebook/blt-entropy)',
                   'model_type "blt" or "blt_patcher"', "model card"):
        assert layout in msg
    assert "lacks 'config' or 'files'" not in msg


def test_half_copied_folders_name_their_layout_and_the_missing_file(tmp_path, source):
    write_blt_entropy(tmp_path, source, torch.float32)
    (tmp_path / "model.safetensors").unlink()
    assert "blt-entropy folder" in _error(tmp_path) and "lacks model.safetensors" in _error(tmp_path)
    (tmp_path / "config.json").unlink()
    (tmp_path / "params.json").write_text(json.dumps(PARAMS))
    assert f"official weights folder {tmp_path} lacks consolidated.pth" in _error(tmp_path)


def test_a_generator_without_its_entropy_model_is_named(tmp_path, source):
    write_blt_root(tmp_path, source, torch.float32)
    for f in (tmp_path / "entropy_model").iterdir():
        f.unlink()
    (tmp_path / "entropy_model").rmdir()
    assert "holds a BLT generator (facebook/blt layout), not an entropy model" in _error(tmp_path)


def test_unsupported_variants_are_refused_by_name(tmp_path, source):
    write_transformers_patcher(tmp_path, source, torch.float32)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(dict(config, sliding_window=None)))
    assert "sliding_window=None is not supported" in _error(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(dict(config, num_key_value_heads=1)))
    assert "num_key_value_heads=1 is not supported" in _error(tmp_path)


def test_consolidated_pth_is_read_without_unpickling_code(tmp_path, source):
    """weights_only=True: a pickle that would build an arbitrary object is refused, not run."""
    write_consolidated(tmp_path, source, torch.float32)
    torch.save({"model": _Payload()}, tmp_path / "consolidated.pth")
    assert "cannot read official weights" in _error(tmp_path)


class _Payload:
    pass
