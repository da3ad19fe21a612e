"""The e2e fixtures (a real `streamlit run app.py`, Debian's chromium) live in
seisgan_testsupport.browser; importing them here makes them fixtures of this folder."""

from seisgan_testsupport.browser import browser, e2e_home, page, server  # noqa: F401
