"""Loading the released BLT generator: layouts recognised by their files, messages that name the
layout, the memory check before any weight, allowed folders, the one-model cache, and the
wiring into blt_core.generate(model=FOLDER) and `python -m blt_core generate --model FOLDER`."""

import json
import os
import shutil

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers", reason="transformers cannot import; it is a pinned test dependency in "
                    "requirements-dev.txt")

import blt_core  # noqa: E402
from blt_core.checkpoints import WeightsError  # noqa: E402
from blt_core.cli.main import main  # noqa: E402
from blt_core.generator.decoding import run  # noqa: E402
from blt_core.official_blt import load as official_load  # noqa: E402
from blt_core.official_blt.config import OfficialBLTConfig, num_parameters  # noqa: E402
from blt_core.official_blt.load import check_memory, load_generator_folder  # noqa: E402
from blt_core.official_blt.stepping import FullRecompute  # noqa: E402
from blt_core.weights_dirs import resolve_weights  # noqa: E402
from tests.official_blt_models import build  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py says why


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A transformers-converted tiny BLT inside an allowed root: root/blt-tiny."""
    root = tmp_path_factory.mktemp("weights")
    build(64, seed=5).save_pretrained(root / "blt-tiny")
    return root / "blt-tiny"


def test_memory_is_checked_before_any_weight_is_read(folder, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(WeightsError, match="refused rather than swapped") as e:
        load_generator_folder(broken, available=10_000)
    assert "GB of memory on cpu" in str(e.value)
    with pytest.raises(WeightsError, match="not a safetensors file"):  # with room, the broken file is what fails
        load_generator_folder(broken)


def test_seven_b_needs_a_gpu():
    seven_b = OfficialBLTConfig(encoder_hidden_size=1280, decoder_hidden_size=1280, encoder_heads=20,
                                decoder_heads=20, cross_attn_heads=20, global_hidden_size=4096, global_layers=32,
                                global_heads=32, encoder_intermediate_size=3584, decoder_intermediate_size=3584,
                                global_intermediate_size=11008)
    params = num_parameters(seven_b)
    with pytest.raises(WeightsError, match="needs a GPU; this server has none"):
        check_memory(params, device="cpu", bytes_per_param=4, available=1 << 50, label="blt-7b")
    check_memory(params, device="cuda", bytes_per_param=2, available=1 << 40, label="blt-7b")  # a big GPU: fine
    one_b = num_parameters(OfficialBLTConfig())
    check_memory(one_b, device="cpu", bytes_per_param=4, available=1 << 40, label="blt-1b")  # enough RAM: fine


def _generator_json(folder, name: str, wrap: str):
    """A folder holding only a generator's config file (`wrap`: "model" in params.json, "args" in config.json)."""
    folder.mkdir()
    args = {"dim_global": 64, "n_layers_global": 2, "dim_local_encoder": 32}  # enough to be told a generator
    (folder / name).write_text(json.dumps({wrap: args}))
    return folder


def test_messages_name_the_layout(folder, tmp_path):
    consolidated = _generator_json(tmp_path / "consolidated", "params.json", "model")
    with pytest.raises(WeightsError, match=r"consolidated BLT folder .* lacks consolidated\.pth"):
        load_generator_folder(consolidated)
    (consolidated / "consolidated.pth").write_bytes(b"")
    with pytest.raises(WeightsError, match=r"consolidated BLT folder .* lacks entropy_model/"):
        load_generator_folder(consolidated)
    hub = _generator_json(tmp_path / "hub", "config.json", "args")
    with pytest.raises(WeightsError, match=r"hub BLT folder .* lacks entropy_model/"):
        load_generator_folder(hub)
    (hub / "entropy_model").mkdir()
    with pytest.raises(WeightsError, match="BLT generator config lacks dim_local_decoder, n_layers_local_encoder"):
        load_generator_folder(hub)
    entropy_only = tmp_path / "entropy_only"
    shutil.copytree(folder, entropy_only)
    config = json.loads((entropy_only / "config.json").read_text())
    (entropy_only / "config.json").write_text(json.dumps(config["patcher_config"] | {"model_type": "blt_patcher"}))
    with pytest.raises(WeightsError, match=r"holds no BLT generator; supported: params\.json \+ consolidated\.pth"):
        load_generator_folder(entropy_only)


def test_allowed_folder_stays_inside_its_root(folder, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(folder, root / "blt-escape")
    os.remove(root / "blt-escape" / "model.safetensors")
    os.symlink(folder / "model.safetensors", root / "blt-escape" / "model.safetensors")
    choice = resolve_weights("blt-escape", [str(root)])
    with pytest.raises(WeightsError, match="points outside the allowed weights folder") as e:
        load_generator_folder(choice.folder, root=choice.root, label=choice.name)
    assert str(tmp_path) not in str(e.value)  # messages name the folder by its label, never a server path


def test_cache_holds_one_model(folder, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    first = official_load.cached_generator(folder)
    assert official_load.cached_generator(folder) is first
    official_load.cached_generator(other)
    assert len(official_load._CURRENT) == 1 and official_load.cached_generator(folder) is not first


def test_generate_with_model_folder(folder):
    g = blt_core.generate("Hello, wor", max_bytes=24, model=folder)
    model, _ = official_load.cached_generator(str(folder))
    cfg = model.config
    ref = run(FullRecompute(model), [b"Hello, wor"], max_bytes=24, threshold=cfg.patch_threshold, max_patch_length=0,
              temperature=0.0, top_k=None, seed=0, max_ngram=cfg.max_ngram)
    assert g.backend == "torch-cpu" and g.prompt.encode() + g.generated_bytes == ref.data[0]
    assert g.patch_starts == ref.patch_starts[0] and len(g.flops_per_patch) == len(g.patch_starts)
    assert blt_core.generate("Hello, wor", max_bytes=24, model=folder, no_cache=True).generated_bytes == g.generated_bytes
    with pytest.raises(ValueError, match="official BLT weights run on torch only"):
        blt_core.generate("x", max_bytes=2, model=folder, backend="onnx")


def test_cli_generate_with_model(folder, capsys):
    assert main(["generate", "--prompt", "Hello, wor", "--max-bytes", "12", "--model", str(folder), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["backend"] == "torch-cpu" and len(bytes.fromhex(out["generated_hex"])) <= 12
    assert main(["generate", "--prompt", "x", "--model", str(folder.parent / "nothing-here")]) == 2
    assert "holds no BLT generator" in capsys.readouterr().err


def test_consolidated_generator_folder_scores_with_its_entropy_model(folder, tmp_path):
    """Other pages score with the folder the sidebar chose: for a consolidated BLT generator that is
    its entropy_model/, not the generator's own params.json and consolidated.pth."""
    from blt_core.entropy.official import detect_layout, load_official

    model, _ = official_load.cached_generator(str(folder))
    gen = tmp_path / "blt-consolidated"
    (gen / "entropy_model").mkdir(parents=True)
    (gen / "params.json").write_text(json.dumps({"model": {"dim_global": 64, "n_layers_global": 2,
                                                           "dim_local_encoder": 32}}))
    torch.save({"model": {}}, gen / "consolidated.pth")
    p = model.patcher.config
    (gen / "entropy_model" / "params.json").write_text(json.dumps(
        {"dim": p.hidden_size, "n_layers": p.num_hidden_layers, "n_heads": p.num_attention_heads,
         "sliding_window": p.window, "rope_theta": p.rope_theta, "multiple_of": 256}))
    torch.save(model.patcher.state_dict(), gen / "entropy_model" / "consolidated.pth")
    assert detect_layout(gen) == ("consolidated", gen / "entropy_model")
    loaded, layout = load_official(gen)
    assert layout == "consolidated" and loaded.config == p
    assert all(torch.equal(v, model.patcher.state_dict()[k]) for k, v in loaded.state_dict().items())


@pytest.mark.parametrize("field,value", [("n_kv_heads", 2), ("patching_mode", "space"), ("max_patch_length", 16),
                                         ("downsampling_by_pooling", "avg"), ("cross_attn_decoder", False)])
def test_unsupported_official_args_are_named(field, value):
    from blt_core.official_blt.config import from_official_args

    args = {"dim_local_encoder": 32, "dim_local_decoder": 32, "dim_global": 64, "n_layers_local_encoder": 1,
            "n_layers_local_decoder": 1, "n_layers_global": 1, "n_heads_local_encoder": 4, "n_heads_local_decoder": 4,
            "n_heads_global": 4}
    assert from_official_args(args).encoder_heads == 4
    with pytest.raises(WeightsError, match=f"{field}={value!r} is not supported"):
        from_official_args(args | {field: value})
