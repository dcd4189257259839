"""Shared set-up of the fuzz targets: the harness runs in-process, so every target is a
function from bytes to "no exception except the ones that mean a reported user error"."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
