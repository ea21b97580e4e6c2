"""BLT Explorer: page config and navigation only; each page lives in app/pages/."""

import sys
from pathlib import Path

import streamlit as st

# `streamlit run app/streamlit_app.py` puts app/ on sys.path; pages import `app.*` and `blt_core`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

st.set_page_config(page_title="BLT Explorer", page_icon="🧩", layout="wide")
pages = [
    st.Page("pages/explore.py", title="Explore", icon="🔎", default=True),
    st.Page("pages/compare.py", title="Compare", icon="⚖️"),
    st.Page("pages/tune.py", title="Tune", icon="🎚️"),
    st.Page("pages/compute.py", title="Compute", icon="🧮"),
    st.Page("pages/learn.py", title="Learn", icon="📖"),
    st.Page("pages/generate.py", title="Generate", icon="✍️"),
]
st.navigation(pages, position="top").run()
