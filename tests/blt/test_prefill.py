"""A prompt prefilled in one pass leaves the same caches and gives the same bytes as feeding it
byte by byte (decoding.decode's prefill), on both backends."""
import numpy as np
import pytest
import torch

from blt_core.generator.decoding import run
from blt_core.generator.torch_stepper import TorchStepper

from .conftest import TINY, tiny_models

KW = dict(threshold=TINY.patch_threshold, top_k=None, seed=3, max_ngram=TINY.max_ngram)
RNG = np.random.default_rng(0)
# windows: entropy and local 16 bytes, global 8 patches, so these cross every ring's wrap
PROMPTS = [b"a", b"Hello", b"Hello world, this is longer than the local window.",
           bytes(RNG.integers(0, 256, 200, dtype=np.uint8)), "Привет, мир! " .encode() * 9]


def _state(s) -> dict:
    """A stepper's caches and kept states as numpy arrays."""
    arr = lambda xs: [np.asarray(x.cpu() if hasattr(x, "cpu") else x, dtype=np.float64) for x in xs]  # noqa: E731
    return {"entropy": arr(s.ent_cache), "local": arr(s.local_cache), "global": arr(s.global_cache),
            "memory": arr([s.memory]), "states": arr(s.states), "hist_from": s.hist_from}


def _assert_same_state(a: dict, b: dict, atol: float) -> None:
    assert a["hist_from"] == b["hist_from"] and len(a["states"]) == len(b["states"])
    for key in ("entropy", "local", "global", "memory", "states"):
        for x, y in zip(a[key], b[key]):
            np.testing.assert_allclose(x, y, rtol=0, atol=atol, err_msg=key)


@pytest.mark.parametrize("prompt,max_patch_length", [(PROMPTS[0], 0), (PROMPTS[2], 0), (PROMPTS[3], 0),
                                                      (PROMPTS[4], 0), (PROMPTS[4], 3)], ids=range(5))
def test_torch_prefill_equals_stepping(prompt, max_patch_length):
    blt, ent = tiny_models()
    states, results = [], []
    for prefill in (True, False):
        s = TorchStepper(blt, ent)
        kw = dict(KW, max_patch_length=max_patch_length)
        results.append(run(s, [prompt], max_bytes=0, temperature=0.0, prefill=prefill, **kw))
        states.append(_state(s))
        results.append(run(TorchStepper(blt, ent), [prompt], max_bytes=30, temperature=0.8, prefill=prefill, **kw))
    _assert_same_state(*states, atol=2e-4)
    for a, b in zip(results[:2], results[2:]):  # prompt alone, then prompt + sampled output
        assert a.data == b.data and a.patch_starts == b.patch_starts and a.global_steps == b.global_steps
        np.testing.assert_allclose(a.entropies, b.entropies, rtol=0, atol=1e-4)


def test_torch_prefill_batch_of_different_prompts():
    """Rows of different lengths: the common prefix is prefilled, then rows step on."""
    blt, ent = tiny_models()
    prompts = [PROMPTS[2], PROMPTS[4], PROMPTS[1]]
    a = run(TorchStepper(blt, ent), prompts, max_bytes=20, temperature=0.0, max_patch_length=0, **KW)
    b = run(TorchStepper(blt, ent), prompts, max_bytes=20, temperature=0.0, max_patch_length=0, prefill=False, **KW)
    assert a.data == b.data and a.patch_starts == b.patch_starts


def test_prefill_is_one_pass():
    """Prefill calls each model once for the prompt, then steps only for the output."""
    blt, ent = tiny_models()
    s = TorchStepper(blt, ent)
    calls = {"entropy": 0, "local": 0}
    inner_e, inner_l = s._entropy_step, s.local_step
    s._entropy_step = lambda *a: (calls.__setitem__("entropy", calls["entropy"] + 1), inner_e(*a))[1]
    s.local_step = lambda *a: (calls.__setitem__("local", calls["local"] + 1), inner_l(*a))[1]
    run(s, [PROMPTS[3]], max_bytes=5, temperature=0.0, max_patch_length=0, **KW)
    assert calls == {"entropy": 5, "local": 5}


def _onnx_runs(card, prompt: bytes, **kw) -> tuple[list, list]:
    """(results, states) of prefilled and byte-by-byte decoding on the ONNX stepper of a card."""
    from blt_core.generator.generate import load_generator

    gen = load_generator(card=card, backend="onnx")
    cfg = gen.config
    base = dict(threshold=cfg.patch_threshold, max_patch_length=cfg.max_patch_length, top_k=None, seed=5,
                max_ngram=cfg.max_ngram)
    results, states = [], []
    for prefill in (True, False):
        s = gen.new_stepper(False)
        assert callable(getattr(s, "prefill", None))  # the card lists the prefill graphs
        results.append(run(s, [prompt], max_bytes=0, temperature=0.0, prefill=prefill, **base))
        states.append(_state(s))
        results.append(run(gen.new_stepper(False), [prompt], prefill=prefill, **base, **kw))
    return results, states


@pytest.mark.parametrize("prompt", PROMPTS[2:], ids=range(2, len(PROMPTS)))
def test_onnx_prefill_equals_stepping_tiny(tiny_card, prompt):
    results, states = _onnx_runs(tiny_card, prompt, max_bytes=30, temperature=0.8)
    _assert_same_state(*states, atol=2e-4)
    for a, b in zip(results[:2], results[2:]):
        assert a.data == b.data and a.patch_starts == b.patch_starts and a.global_steps == b.global_steps


def test_onnx_prefill_equals_stepping_shipped():
    """The shipped generator, a prompt past the 512-byte local window: same caches, same bytes."""
    from blt_core.generator.generate import DEFAULT_GENERATOR_CARD

    prompt = ("The patch is the unit of computation. " * 18).encode()  # 684 bytes
    results, states = _onnx_runs(DEFAULT_GENERATOR_CARD, prompt, max_bytes=24, temperature=0.0)
    _assert_same_state(*states, atol=1e-3)
    for a, b in zip(results[:2], results[2:]):
        assert a.data == b.data and a.patch_starts == b.patch_starts
        np.testing.assert_allclose(a.entropies, b.entropies, rtol=0, atol=1e-4)


@pytest.mark.parametrize("max_patch_length", [0, 1, 3])
def test_prompt_decisions_at_once_equal_the_loop(max_patch_length):
    """_Rows.read_prompts (every prompt position decided at once) gives the loop's events, field
    by field, and leaves the rows in the loop's state."""
    from blt_core.generator.decoding import _Rows

    prompts, m = [b"Hello world, hello!", "Привет".encode() * 3], 17
    entropies = np.random.default_rng(1).uniform(0, 3, (2, m)).astype(np.float32)
    rule = dict(threshold=1.5, max_patch_length=max_patch_length, temperature=0.0, top_k=None, rngs=None)
    loop, fast = _Rows(prompts, 4, 8), _Rows(prompts, 4, 8)
    patch_ids, events = np.zeros((2, m), dtype=np.int64), []
    for pos in range(m):
        loop.open_patches(pos)
        patch_ids[:, pos] = loop.patch_index
        events.append(loop.decide(pos, entropies[:, pos], None, **rule))
    got_ids, got_events = fast.read_prompts(m, entropies, **rule)
    assert got_ids.tolist() == patch_ids.tolist()
    assert [[e.to_dict() | {"row": e.row} for e in es] for es in got_events] == \
           [[e.to_dict() | {"row": e.row} for e in es] for es in events]
    for name in ("window", "tokens", "patch_index", "patch_start", "opens_next", "done", "n_bytes", "global_steps"):
        assert getattr(fast, name).tolist() == getattr(loop, name).tolist(), name


def test_the_prefill_graphs_do_not_spin():
    """The prompt's two graphs run back to back, each with its own thread pool: a pool that spins
    after its run takes the cores from the next (generate._onnx_prefill passes spin=False)."""
    from blt_core.generator.generate import load_generator

    pre = load_generator(backend="onnx").new_stepper(False).pre
    for session in (pre.entropy, pre.session):
        opts = session.get_session_options()
        assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
