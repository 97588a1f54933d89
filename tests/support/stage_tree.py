# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build trees as the pipeline stages them, for the stage module's tests and benchmark.

    files = make_tree(tmp_path / 'src', {'images/boot.iso': 3_000_000, 'logs/build.log': b'ok\\n'})
    # -> {relpath: sha256}; writes the files (int = that many random bytes) and a Fedora-style CHECKSUM

``write_checksum(root)`` (re)writes ``CHECKSUM`` for every file under root, in the Fedora format:
``# <relpath>: <size> bytes`` comments, then ``SHA256 (<relpath>) = <hex>`` lines.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

DEFAULT_FILES = {
    'images/boot.iso': 3 * 1024 * 1024 + 17,
    'logs/build.log': b'build started\nbuild finished\n',
    'logs/lorax/program.log': b'lorax says hello\n',
    'kickstart/fedora-live.ks': b'%packages\n@core\n%end\n',
    'koji-manifest.json': b'{"builds": []}\n',
    'build.json': b'{"result": {"state": "succeeded"}}\n',
}


def sha256_path(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(block)
    return digest.hexdigest()


def write_random(path, size, chunk=4 * 1024 * 1024):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'wb') as handle:
        left = size
        while left > 0:
            block = os.urandom(min(chunk, left))
            handle.write(block)
            left -= len(block)


def write_checksum(root, sizes=True):
    """Write root/CHECKSUM over every file below root (except CHECKSUM); return {relpath: sha256}."""
    root = Path(root)
    files = sorted(str(p.relative_to(root)) for p in root.rglob('*') if p.is_file() and p.name != 'CHECKSUM')
    digests = {rel: sha256_path(root / rel) for rel in files}
    lines = []
    if sizes:
        lines += ['# %s: %d bytes' % (rel, (root / rel).stat().st_size) for rel in files]
    lines += ['SHA256 (%s) = %s' % (rel, digests[rel]) for rel in files]
    (root / 'CHECKSUM').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return digests


def make_tree(root, files=None, sizes=True):
    """Write a build tree (``files``: relpath -> bytes or int size of random data) and its CHECKSUM."""
    root = Path(root)
    for rel, content in (DEFAULT_FILES if files is None else files).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, int):
            write_random(path, content)
        else:
            path.write_bytes(content)
    return write_checksum(root, sizes=sizes)


def tree_digests(root):
    """{relpath: sha256} of every file below root (CHECKSUM included)."""
    root = Path(root)
    return {str(p.relative_to(root)): sha256_path(p) for p in sorted(root.rglob('*')) if p.is_file()}
