"""GraphedOfficialStepper against OfficialStepper on a tiny random released-shape BLT (CPU).

On a CPU the static-buffer bodies run eagerly, the code a GPU captures; so these tests hold
them to OfficialStepper's greedy bytes, entropies, patch starts and logits. The local window
(16) and the entropy model's (24) are shorter than the prompt, thresholds are set to give
either many short patches or a few long ones (closing patches of 8, 16, 32 and 64 bytes'
buckets), and the global cache and open-patch ring start at 4 slots, so every growth runs.
"""

from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from blt_core.entropy.model import EntropyModelConfig  # noqa: E402
from blt_core.generator.decoding import Passthrough, run  # noqa: E402
from blt_core.generator.graphed_steps import bucket  # noqa: E402
from blt_core.official_blt.config import OfficialBLTConfig  # noqa: E402
from blt_core.official_blt.graphed import GraphedOfficialStepper, StepsPool  # noqa: E402
from blt_core.official_blt.model import OfficialBLT  # noqa: E402
from blt_core.official_blt.static_steps import pooled_patch  # noqa: E402
from blt_core.official_blt.stepping import OfficialStepper  # noqa: E402

CFG = OfficialBLTConfig(encoder_hidden_size=32, encoder_heads=4, encoder_intermediate_size=64, decoder_hidden_size=32,
                        decoder_heads=4, decoder_layers=2, decoder_intermediate_size=64, cross_attn_heads=4,
                        global_hidden_size=64, global_heads=4, global_layers=2, global_intermediate_size=128,
                        local_window=16, hash_buckets=101)
ENT = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, window=24)
PROMPT = b"The byte latent transformer reads raw bytes and groups them into patches. "


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py says why


@pytest.fixture(scope="module")
def model() -> OfficialBLT:
    """Random weights scaled by 1/sqrt(fan-in) (embeddings by 1), so the entropies spread."""
    torch.manual_seed(0)
    m = OfficialBLT(CFG, ENT)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() == 2:
                p.normal_(0.0, 1.0 if "embed" in name else 1.5 / p.shape[1] ** 0.5)
    return m.eval()


def with_threshold(model: OfficialBLT, quantile: float) -> OfficialBLT:
    """The model with its threshold midway between two entropies over PROMPT near `quantile`,
    so float noise cannot flip a patch decision."""
    with torch.no_grad():
        e = np.sort(model.entropies(torch.tensor([[1] + [b + 4 for b in PROMPT]]))[0].numpy())
    i = int(np.searchsorted(e, np.quantile(e, quantile)))
    model.config = replace(CFG, patch_threshold=float((e[i - 1] + e[i]) / 2))
    return model


class Logits(Passthrough):
    """Records every local step's logits."""

    def start(self, batch):
        self.logits = []
        super().start(batch)

    def local_step(self, window, pos, patch_index):
        out = super().local_step(window, pos, patch_index)
        self.logits.append(np.array(out))
        return out


def greedy(stepper, model, *, prefill: bool, prompt: bytes = PROMPT[:40], n: int = 90):
    return run(stepper, [prompt], max_bytes=n, threshold=model.config.patch_threshold, max_patch_length=0,
               temperature=0.0, top_k=None, seed=0, max_ngram=model.config.max_ngram, prefill=prefill)


def small_pool(model) -> StepsPool:
    return StepsPool(model, torch.device("cpu"), patches=4, ring=4)


@pytest.mark.parametrize("prefill", [True, False], ids=["prefill", "stepped"])
@pytest.mark.parametrize("quantile", [0.5, 0.9], ids=["short-patches", "long-patches"])
def test_graphed_steps_give_the_bytes_of_official_stepper(model, quantile, prefill):
    model = with_threshold(model, quantile)
    eager, graphed = Logits(OfficialStepper(model)), Logits(GraphedOfficialStepper(model, pool=small_pool(model)))
    a, b = greedy(eager, model, prefill=prefill), greedy(graphed, model, prefill=prefill)
    assert a.data == b.data and a.patch_starts == b.patch_starts
    np.testing.assert_allclose(a.entropies[0], b.entropies[0], atol=1e-5)
    np.testing.assert_allclose(np.concatenate(eager.logits), np.concatenate(graphed.logits), atol=1e-4)
    assert len(a.data[0]) == 130 and 40 > 2 * CFG.local_window
    closed = np.diff(a.patch_starts[0])  # every patch but the open one
    wanted = {8, 16, 32, 64} if quantile == 0.9 else {8}
    assert wanted <= {bucket(int(n)) for n in closed} and len(closed) >= (8 if quantile == 0.9 else 40)


def test_a_reused_stepper_and_pool_start_clean(model):
    """The second generation borrows the first's buffers (dirty, grown, maybe a prefill open
    patch) and must still give the same bytes."""
    model = with_threshold(model, 0.9)
    pool = small_pool(model)
    s = GraphedOfficialStepper(model, pool=pool)
    first = greedy(s, model, prefill=True)
    again = greedy(s, model, prefill=False)
    del s
    other = greedy(GraphedOfficialStepper(model, pool=pool), model, prefill=True, prompt=PROMPT[:3], n=20)
    assert len(pool._free) == 1  # both generations used the same StaticSteps
    assert first.data == again.data
    assert other.data == greedy(OfficialStepper(model), model, prefill=True, prompt=PROMPT[:3], n=20).data


def test_padded_pooling_is_the_encoders(model):
    """pooled_patch over a patch padded with junk positions == LocalEncoder.patches over its bytes."""
    torch.manual_seed(1)
    h = torch.randn(1, 5, CFG.encoder_hidden_size)
    padded = torch.cat([h, 100 * torch.randn(1, 3, CFG.encoder_hidden_size)], dim=1)
    real = torch.arange(8) < 5
    with torch.no_grad():
        ours = pooled_patch(model.local_encoder, [padded], real)
        theirs = model.local_encoder.patches([h], torch.zeros(1, 5, dtype=torch.long), 1)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)


def test_needs_a_local_window(model):
    with pytest.raises(ValueError, match="local attention window"):
        GraphedOfficialStepper(OfficialBLT(replace(CFG, local_window=None), ENT)).start(1)


def test_serve_steps_eagerly_on_a_cpu(model):
    """A loaded generator hands out graphed steppers on CUDA only; a CPU gains nothing from graphs."""
    from blt_core.official_blt.serve import OfficialGenerator

    gen = OfficialGenerator(model, "hub", "cpu")
    assert type(gen.new_stepper(False)) is OfficialStepper
