"""Which documents a rank scores: round robin by global index, ranks from torchrun's environment.

>>> [i for i in range(7) if owns(i, rank=1, world_size=3)]
[1, 4]
>>> rank_and_world({"RANK": "1", "WORLD_SIZE": "2"}), rank_and_world({})
((1, 2), (0, 1))
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def owns(index: int, *, rank: int, world_size: int) -> bool:
    """Whether document `index` belongs to `rank`: balanced to within one document per rank."""
    return index % world_size == rank


def rank_and_world(environ: Mapping[str, str] = os.environ) -> tuple[int, int]:
    """(RANK, WORLD_SIZE) as torchrun sets them; (0, 1) when run alone."""
    rank, world = int(environ.get("RANK", "0")), int(environ.get("WORLD_SIZE", "1"))
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"bad torchrun environment: RANK={rank}, WORLD_SIZE={world}")
    return rank, world
