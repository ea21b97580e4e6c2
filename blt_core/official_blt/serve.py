"""The released BLT behind generator/generate.py's interface: a loaded model that makes
steppers and counts its FLOPs, so `generate(..., model=FOLDER)`, the CLI and the Generate page
run it through the same decoding loop as the shipped generator.

Torch only: "auto" and "torch" run it on the GPU when there is one (bfloat16), else on the CPU
(float32); "onnx" is refused, since no ONNX graphs ship with official weights.

>>> from blt_core.entropy.model import EntropyModelConfig
>>> cfg = OfficialBLTConfig(encoder_hidden_size=16, decoder_hidden_size=16, encoder_heads=2, decoder_heads=2,
...     cross_attn_heads=2, global_hidden_size=32, global_heads=2, encoder_intermediate_size=32,
...     decoder_intermediate_size=32, global_intermediate_size=64, encoder_layers=1, decoder_layers=1, global_layers=1)
>>> ent = EntropyModelConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
>>> f = patch_flops(cfg, ent, [0, 1, 4], 6)  # patches of 1, 3 and 2 bytes
>>> f, f[1] - f[2] == f[2] - f[0]  # each extra byte costs the same: local models plus entropy model
([60160, 139264, 99712], True)
"""

from __future__ import annotations

from pathlib import Path

from blt_core.backends import torch_device
from blt_core.official_blt.config import OfficialBLTConfig, num_parameters
from blt_core.weights_dirs import AllowedFolder

BACKENDS = ("auto", "torch")


def patch_flops(cfg: OfficialBLTConfig, entropy_config, starts: list[int], n_bytes: int) -> list[int]:
    """Forward FLOPs of each patch [starts[i], starts[i+1]): 2 per weight used, attention scores left
    out. Per byte: the local encoder and decoder and the entropy model (embeddings are lookups);
    per patch: one global step."""
    from blt_core.official_blt.load import entropy_params

    p = num_parameters(cfg)
    e = entropy_config
    per_byte = 2 * (p["local"] + entropy_params(e) - e.vocab_size * e.hidden_size)
    bounds = list(starts) + [n_bytes]
    return [2 * p["global"] + per_byte * (b - a) for a, b in zip(bounds[:-1], bounds[1:])]


class OfficialGenerator:
    """A loaded released BLT: config, backend name, steppers and FLOPs (generator/generate.py's interface)."""

    def __init__(self, model, layout: str, device):
        import torch

        self.model, self.layout, self.device = model, layout, torch.device(device)
        self.config = model.config
        self.entropy_config = model.patcher.config.to_dict()
        self.name = f"torch-{self.device.type}"
        self._pool = None  # graphed.StepsPool: the CUDA graphs, captured by the first generation

    def new_stepper(self, no_cache: bool):
        """CUDA graphs on a GPU (graphed.py: the same bytes, 8x the eager steps' bytes/s for the BLT-1B
        shape on an H200, bench/results/official_blt_gpu.json); eager steps on a CPU, where a graph
        saves nothing, or where no local window bounds the caches."""
        from blt_core.official_blt.stepping import FullRecompute, OfficialStepper

        if no_cache:
            return FullRecompute(self.model, device=self.device)
        if self.device.type == "cuda" and self.config.local_window is not None:
            from blt_core.official_blt.graphed import GraphedOfficialStepper, StepsPool

            self._pool = self._pool or StepsPool(self.model, self.device)
            return GraphedOfficialStepper(self.model, device=self.device, pool=self._pool)
        return OfficialStepper(self.model, device=self.device)

    def patch_flops(self, starts: list[int], n_bytes: int) -> list[int]:
        return patch_flops(self.config, self.model.patcher.config, starts, n_bytes)


def load_official_generator(model: str | Path | AllowedFolder, *, backend: str = "auto") -> OfficialGenerator:
    """The released BLT in `model` (a folder, or a folder a page chose among the allowed ones), kept
    in memory for the next call (load.cached_generator: one big model at a time)."""
    from blt_core.official_blt.load import cached_generator

    if backend not in BACKENDS:
        raise ValueError(f"official BLT weights run on torch only (no ONNX graphs ship with them): backend "
                         f"{backend!r} is not available for them; choose {' or '.join(BACKENDS)}")
    device = torch_device()
    if isinstance(model, AllowedFolder):
        m, layout = cached_generator(model.folder, root=model.root, label=model.name, device=device)
    else:
        m, layout = cached_generator(str(model), device=device)
    return OfficialGenerator(m, layout, device)
