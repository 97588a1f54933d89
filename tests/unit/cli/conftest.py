# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fedora-build CLI package (collection/cli) importable without installing it."""

import sys
from pathlib import Path

CLI = Path(__file__).resolve().parents[3] / 'collection' / 'cli'
if str(CLI) not in sys.path:
    sys.path.insert(0, str(CLI))
COLLECTIONS = Path(__file__).resolve().parents[3] / '.collections'
if COLLECTIONS.is_dir() and str(COLLECTIONS) not in sys.path:
    sys.path.append(str(COLLECTIONS))
