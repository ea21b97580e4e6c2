"""BLT Explorer: page config and navigation only; each page lives in app/app_pages/.

(Not app/pages/: Streamlit treats a folder named pages/ beside the entry script as the old
multipage layout and then runs a page directly, without this file, on a deep link.)

Every page has its own address (/compare, /tune, ...). Explore is the default page, served at
"/", and Streamlit gives a default page no other path, so a hidden page answers /explore and
hands over to it with the query string intact (a shared /explore?text=... link keeps its text).
"""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="BLT Explorer", page_icon="🧩", layout="wide")
st.html(Path(__file__).parent / "components" / "phone.css")  # narrow-screen layout; style only, takes no room
# url_path only keeps "explore" free for the alias: a default page is always served at "/"
explore = st.Page("app_pages/explore.py", title="Explore", icon=":material/search:", default=True, url_path="home")
pages = [
    explore,
    st.Page("app_pages/compare.py", title="Compare", icon=":material/balance:"),
    st.Page("app_pages/tune.py", title="Tune", icon=":material/tune:"),
    st.Page("app_pages/compute.py", title="Compute", icon=":material/calculate:"),
    st.Page("app_pages/learn.py", title="Learn", icon=":material/menu_book:"),
    st.Page("app_pages/generate.py", title="Generate", icon=":material/edit_note:"),
    st.Page("app_pages/evidence.py", title="Evidence", icon=":material/science:"),
]


def _explore_alias() -> None:
    qp = st.query_params
    st.switch_page(explore, query_params={k: qp.get_all(k) for k in qp})


alias = st.Page(_explore_alias, title="Explore", url_path="explore", visibility="hidden")
st.navigation([*pages, alias], position="top").run()
