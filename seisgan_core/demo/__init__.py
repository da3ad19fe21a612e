"""The embedded demo archive: a stochastic ground-motion simulator writing ITACA's formats."""
