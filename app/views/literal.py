"""User strings shown inside Streamlit markdown (captions, labels): as text, never as markup.

Streamlit's markdown turns `[a](b)` into a link, `**x**` into bold and `:red[x]` into colour, so a
file name or any other user string is escaped before it reaches st.caption / st.markdown.
"""

from __future__ import annotations

import re

from blt_core import render_bytes, to_bytes

_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")  # CommonMark escapes any ASCII punctuation with "\"


def md_literal(text: str) -> str:
    """`text` as markdown that shows it literally; invisible and bidi characters as \\uNNNN, like every view.

    >>> md_literal("[x](javascript:alert(1)).md")
    '\\\\[x\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\)\\\\.md'
    >>> md_literal("a\\u202eb")
    'a\\\\\\\\u202eb'
    """
    return _PUNCT.sub(r"\\\1", render_bytes(to_bytes(text)))
