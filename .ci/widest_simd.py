"""Print the widest SIMD targets NumPy dispatches to on this CPU, for NPY_DISABLE_CPU_FEATURES.

`.ci/run` runs the numeric tests a second time with these turned off (the narrowest target this
CPU has stays on), so a result that depends on the CPU's vector width shows here first, not on
a user's machine. With a single target, that one is turned off (NumPy's baseline remains).
"""

from __future__ import annotations

from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

if __name__ == "__main__":
    enabled = [target for target in __cpu_dispatch__ if __cpu_features__.get(target)]
    print(" ".join(enabled[1:] if len(enabled) > 1 else enabled))
