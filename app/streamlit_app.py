"""BLT Explorer: page config and navigation only; each page lives in app/app_pages/.

(Not app/pages/: Streamlit treats a folder named pages/ beside the entry script as the old
multipage layout and then runs a page directly, without this file, on a deep link.)
"""

import streamlit as st

st.set_page_config(page_title="BLT Explorer", page_icon="🧩", layout="wide")
pages = [
    st.Page("app_pages/explore.py", title="Explore", icon=":material/search:", default=True),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/balance:"),
    st.Page("app_pages/tune.py", title="Tune", icon=":material/tune:"),
    st.Page("app_pages/compute.py", title="Compute", icon=":material/calculate:"),
    st.Page("app_pages/learn.py", title="Learn", icon=":material/menu_book:"),
    st.Page("app_pages/generate.py", title="Generate", icon=":material/edit_note:"),
]
st.navigation(pages, position="top").run()
