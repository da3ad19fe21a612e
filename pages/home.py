"""Home: what is in this installation and what is built so far."""

from __future__ import annotations

import streamlit as st

st.title("SeisGAN Studio")
st.write(
    "Explore Italian strong-motion data (ITACA, ESM), train a Wasserstein GAN with gradient "
    "penalty that generates three-component accelerograms, and judge the generated waveforms "
    "against real ones."
)
st.info(
    "This is an early build: the data readers, the demo archive, training, evaluation and the "
    "other pages are being built and are not available in the app yet."
)
