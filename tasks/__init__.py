"""Importing `augmentation` first pins the numeric kernels before numpy loads (augmentation/kernels.py)."""

import augmentation  # noqa: F401
