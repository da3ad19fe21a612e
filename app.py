"""SeisGAN Studio: the Streamlit entry point (navigation, first-run set-up, shared sidebar)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="SeisGAN Studio", page_icon="🌋", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
]
st.navigation(pages).run()
