"""Compare: generated against real, by the measures seismologists use."""

from __future__ import annotations

import streamlit as st

from seisgan_core import appstate

roots = appstate.Roots.from_env()
st.title("Compare")
with st.expander("What am I looking at?"):
    st.markdown(
        "Generated records judged against real ones: side by side with their nearest real "
        "record, Fourier and response spectra (median and spread), ground-motion intensity "
        "against distance with a ground-motion model, durations, and the metrics across "
        "epochs that pick the best epoch."
    )

missing = appstate.missing_parts(["run store", "evaluation", "evaluation figures"])
if missing:
    st.warning(appstate.describe_missing(missing))
    st.stop()
