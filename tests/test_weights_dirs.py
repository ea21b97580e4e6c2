"""Official weights chosen by name among server-allowed folders: traversal, symlinks out, special and huge
files are all refused, quickly, with a message that names no server path; a good folder loads by name."""

from __future__ import annotations

import json
import os
import struct

import pytest

torch = pytest.importorskip("torch")

import blt_core  # noqa: E402
from blt_core.checkpoints import WeightsError  # noqa: E402
from blt_core.entropy.official import load_official  # noqa: E402
from blt_core.file_guard import MAX_FILE_BYTES, FileGuard  # noqa: E402
from blt_core.weights_dirs import ENV_VAR, allowed_roots, offered_weights, parse_setting, resolve_weights  # noqa: E402
from tests.test_official_formats import PARAMS, TEXT, write_tiny_official  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_hang")  # a blocking read fails the test, never stalls CI


@pytest.fixture
def root(tmp_path):
    """An allowed root holding one good folder 'tiny', a folder of notes, and an outside folder beside it."""
    r = tmp_path / "allowed"
    write_tiny_official(r / "tiny")
    (r / "notes").mkdir()
    (r / "notes" / "readme.txt").write_text("not weights")
    write_tiny_official(tmp_path / "outside")
    return r


def _refusal(root, name, tmp_path) -> str:
    """The message a load of `name` inside `root` fails with, after checking it names no server path."""
    with pytest.raises(WeightsError) as e:
        choice = resolve_weights(name, [str(root.resolve())])
        load_official(choice.folder, root=choice.root, label=choice.name)
    msg = str(e.value)
    for secret in (str(tmp_path), str(tmp_path.resolve()), "/dev", "/etc", "/proc"):
        assert secret not in msg, msg
    return msg


def test_no_setting_offers_nothing():
    assert allowed_roots(environ={}) == [] and offered_weights([]) == {}
    with pytest.raises(WeightsError, match="no official weights are offered"):
        resolve_weights("tiny", [])


def test_folders_are_offered_by_name_and_load_by_name(root):
    roots = allowed_roots(environ={ENV_VAR: os.pathsep.join([str(root), "/no/such/folder"])})
    assert roots == [str(root.resolve())]
    offered = offered_weights(roots)
    assert list(offered) == ["tiny"]  # notes/ holds no weights; the root itself is no weights folder
    assert str(root) not in repr(offered["tiny"])  # the path never shows, even in a repr
    s = blt_core.score(TEXT, model=resolve_weights("tiny", roots))
    assert s.model == "official:tiny" and s.backend.startswith("torch") and len(s.entropies) == len(TEXT)


def test_a_root_that_is_a_weights_folder_is_offered_under_its_own_name(tmp_path):
    write_tiny_official(tmp_path / "blt-entropy")
    assert list(offered_weights(parse_setting(str(tmp_path / "blt-entropy")))) == ["blt-entropy"]


@pytest.mark.parametrize("name", ["../outside", "..", ".", "", "/etc", "/etc/passwd", "tiny/../../outside",
                                  "tiny/params.json", "tiny\\..\\x", "ti\0ny", "nope"])
def test_traversal_and_unknown_names_are_refused(root, tmp_path, name):
    msg = _refusal(root, name, tmp_path)
    assert "name" in msg and "offered" in msg


def test_a_symlinked_folder_leading_out_is_not_offered(root, tmp_path):
    (root / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "inner").symlink_to(root / "tiny", target_is_directory=True)  # a link that stays inside is fine
    write_tiny_official(root / ".hidden")
    assert sorted(offered_weights([str(root.resolve())])) == ["inner", "tiny"]
    assert "offered" in _refusal(root, "escape", tmp_path)


def test_a_file_symlinked_out_of_the_root_is_refused(root, tmp_path):
    (root / "tiny" / "consolidated.pth").unlink()
    (root / "tiny" / "consolidated.pth").symlink_to(tmp_path / "outside" / "consolidated.pth")
    assert _refusal(root, "tiny", tmp_path) == "tiny/consolidated.pth points outside the allowed weights folder"


def test_a_device_file_is_refused_inside_the_root_and_by_path(root, tmp_path):
    weights = root / "tiny" / "consolidated.pth"
    weights.unlink()
    weights.symlink_to("/dev/zero")
    assert "points outside" in _refusal(root, "tiny", tmp_path)
    with pytest.raises(WeightsError, match="consolidated.pth is a device, not a regular file"):
        load_official(root / "tiny")  # the CLI's own path: no root, but still no special files


def test_a_fifo_is_refused_without_blocking(root, tmp_path):
    (root / "tiny" / "consolidated.pth").unlink()
    os.mkfifo(root / "tiny" / "consolidated.pth")
    assert _refusal(root, "tiny", tmp_path) == "tiny/consolidated.pth is a FIFO (named pipe), not a regular file"
    fifo_config = root / "fifo-config"
    fifo_config.mkdir()
    os.mkfifo(fifo_config / "config.json")  # detection reads config.json: it must not block either
    assert "fifo-config" not in offered_weights([str(root.resolve())])


def test_a_huge_sparse_file_is_refused_before_it_is_read(root, tmp_path):
    with open(root / "tiny" / "consolidated.pth", "r+b") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk, but stat says over the cap
    msg = _refusal(root, "tiny", tmp_path)
    assert msg == f"file too large: tiny/consolidated.pth is {MAX_FILE_BYTES + 1:,} bytes; the cap is {MAX_FILE_BYTES:,} bytes"


def test_safetensors_reads_are_capped_by_the_tensors_read(root, tmp_path):
    """A huge (sparse) safetensors file is fine if the tensors read are small; tensors over the cap are refused."""
    folder = root / "huge"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"args": PARAMS}))
    n = MAX_FILE_BYTES // 4 + 1  # float32 values: one more byte-quad than the cap
    header = json.dumps({"tok_embeddings.weight": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
    with open(folder / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        f.truncate(8 + len(header) + 4 * n)
    assert "file too large: huge/model.safetensors" in _refusal(root, "huge", tmp_path)


def test_a_folder_that_holds_no_weights_says_so_in_words(root, tmp_path):
    (root / "tiny" / "params.json").write_text("[1, 2]")
    assert _refusal(root, "tiny", tmp_path) == "tiny/params.json is not a JSON object"


def test_reads_stop_at_the_deadline(root):
    guard = FileGuard(root / "tiny", root=root, label="tiny", seconds=-1)
    with pytest.raises(WeightsError, match="loading timed out while reading tiny/params.json"):
        guard.read_bytes(root / "tiny" / "params.json")


def test_proc_files_read_as_empty_when_no_root_confines_them():
    """/proc files say size 0: at most st_size bytes are read, so their contents never come back."""
    assert FileGuard("/proc/self", label="proc").read_bytes("/proc/self/environ") == b""
