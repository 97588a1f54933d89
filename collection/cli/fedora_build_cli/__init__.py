# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fedora-build: the command-line front end of ondemand.fedora_build (docs/cli.md)."""

__version__ = '0.1.0'
