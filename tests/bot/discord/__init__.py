"""Tests of the Discord adapter, driven through discord.py's own gateway-payload parsing."""

import importlib
import warnings

# discord.py imports `audioop` for voice (deprecated since Python 3.11; MRI uses no voice).
# Import it once here, quietly, so that "warnings are errors" keeps meaning our warnings.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    importlib.import_module("discord")
