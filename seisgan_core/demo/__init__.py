"""The embedded demo archive: a stochastic ground-motion simulator writing ITACA's formats."""

from seisgan_core.demo.writer import DemoSummary, build_demo_archive

__all__ = ["DemoSummary", "build_demo_archive"]
