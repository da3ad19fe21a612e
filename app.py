"""SeisGAN Studio: the Streamlit entry point (navigation over pages/).

Run with ``streamlit run app.py`` from the project folder. Each page is a thin file in
``pages/``; every number it shows comes from a tested function in ``seisgan_core``.

``app`` is the ASGI application ``streamlit run`` serves (it finds it in this file): this
script behind :class:`seisgan_core.appserver.BackendBaseUrl`, which tells the frontend its
base URL so that deep links (``/data?archive=...``) load without probing ``/data/_stcore/``.
The script itself runs only as Streamlit's ``__main__``, not when the server imports ``app``.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from seisgan_core.appserver import BackendBaseUrl

app = st.App(
    __file__,
    middleware=[
        Middleware(BackendBaseUrl, base_url_path=st.get_option("server.baseUrlPath") or "")
    ],
)

if __name__ == "__main__":
    st.set_page_config(page_title="SeisGAN Studio", page_icon="🌋", layout="wide")
    pages = [
        st.Page("pages/home.py", title="Home", default=True, url_path="home"),
        st.Page("pages/data.py", title="Data", url_path="data"),
        st.Page("pages/prepare.py", title="Prepare", url_path="prepare"),
        st.Page("pages/train.py", title="Train", url_path="train"),
        st.Page("pages/samples.py", title="Samples", url_path="samples"),
        st.Page("pages/compare.py", title="Compare", url_path="compare"),
    ]
    st.navigation(pages).run()
