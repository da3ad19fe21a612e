"""Helpers the tests share: builders of small inputs per the contracts and the real fixtures.

Importable as ``seisgan_testsupport`` because pyproject.toml's ``[tool.pytest.ini_options]
pythonpath`` lists ``tests/support`` (a unique name: some site-packages install a top-level
``tests`` package, and every test folder has its own ``conftest``).
"""
