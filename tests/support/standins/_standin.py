# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the builder stand-ins (lorax, pungi, livemedia-creator, kiwi-ng).

The stand-ins exist because the real tools need a Fedora package mirror and
hours; they parse the real option set, enforce what the real tools enforce
(root, existing output dirs, repository metadata) and write the real output
layout with real ISO 9660 images made by xorriso.  They never pretend a
build succeeded when its inputs are broken: unreachable ``file://``
repositories fail like dnf does.

Test knobs (environment):
  FB_STANDIN_SLEEP   seconds the build "takes" (spent in a child process, so a
                     timeout must stop the whole process group)
  FB_STANDIN_LOCAL_HOSTS  hosts (space separated) whose http/ftp repositories
                     count as local (_install.check_url)
  FB_STANDIN_LOSE_PRIORITY=1  fault switch: every repository gets the same
                     priority (99) and cost (1000) and no excludepkgs, as if the tool dropped them;
                     a side repository then no longer beats the distribution's
                     newer builds (_install.py)
"""

import configparser
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

from _install import host_arch, make_iso  # noqa: F401  pylint: disable=unused-import

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
VENV_PYTHON = os.path.join(REPO, '.venv', 'bin', 'python3')


def reexec_with(modules):
    """Re-run this script with the repo venv's Python when a needed module is missing here."""
    try:
        for name in modules:
            __import__(name)
    except ImportError:
        python = os.environ.get('FB_STANDIN_PYTHON', VENV_PYTHON)
        if os.environ.get('FB_STANDIN_REEXEC') or not os.path.exists(python):
            raise
        os.environ['FB_STANDIN_REEXEC'] = '1'
        os.execv(python, [python, os.path.abspath(sys.argv[0])] + sys.argv[1:])


def say(*parts):
    print(time.strftime('%Y-%m-%d %H:%M:%S,000: ') + ' '.join(str(p) for p in parts), flush=True)


def busy_wait():
    """Spend FB_STANDIN_SLEEP seconds in a child process (pid printed for the tests)."""
    seconds = os.environ.get('FB_STANDIN_SLEEP')
    if not seconds:
        return
    child = subprocess.Popen(['sleep', str(seconds)])
    say('Running helper process pid %d' % child.pid)
    child.wait()


def file_repo_problem(url):
    """None if url is usable as far as we can tell offline, else dnf's style of error."""
    parts = urlsplit(url)
    if parts.scheme == 'file' or url.startswith('/'):
        path = parts.path if parts.scheme == 'file' else url
        if not os.path.isfile(os.path.join(path, 'repodata', 'repomd.xml')):
            return 'Cannot download repomd.xml: Curl error (37): Couldn\'t read a file:// file for %s/repodata/repomd.xml' % url.rstrip('/')
    elif parts.scheme not in ('http', 'https', 'ftp'):
        return 'Invalid repository URL %s' % url
    return None


def read_repo_file(path):
    """Parse a dnf .repo file like dnf would; return [(id, dict)]."""
    parser = configparser.ConfigParser(interpolation=None)
    with open(path) as handle:
        parser.read_file(handle)
    return [(section, dict(parser.items(section))) for section in parser.sections()]


def write(path, text, mode='w'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as handle:
        handle.write(text)


def treeinfo(path, family, version, variant, arch, images, mainimage='images/install.img', packagedir=''):
    """A .treeinfo in productmd 1.2 form plus the legacy [general] section lorax writes."""
    stamp = str(int(time.time()))
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.optionxform = str
    cfg['header'] = {'type': 'productmd.treeinfo', 'version': '1.2'}
    cfg['release'] = {'name': family, 'short': family, 'version': version}
    cfg['tree'] = {'arch': arch, 'build_timestamp': stamp, 'platforms': arch, 'variants': variant or family}
    cfg['general'] = {'family': family, 'version': version, 'name': '%s-%s' % (family, version),
                      'variant': variant, 'arch': arch, 'packagedir': packagedir, 'timestamp': stamp,
                      'platforms': arch}
    cfg['stage2'] = {'mainimage': mainimage}
    cfg['images-%s' % arch] = images
    with open(path, 'w') as handle:
        cfg.write(handle)


def boot_tree(root, arch):
    """The files lorax's x86 template leaves in a boot tree (small placeholders)."""
    write(os.path.join(root, 'images', 'pxeboot', 'vmlinuz'), 'stand-in kernel for %s\n' % arch)
    write(os.path.join(root, 'images', 'pxeboot', 'initrd.img'), 'stand-in initrd\n')
    write(os.path.join(root, 'images', 'install.img'), 'stand-in squashfs runtime\n')
    write(os.path.join(root, 'images', 'efiboot.img'), 'stand-in EFI boot image\n')
    write(os.path.join(root, 'EFI', 'BOOT', 'grub.cfg'), 'set default="0"\nmenuentry "Install" {\n}\n')
    return {'kernel': 'images/pxeboot/vmlinuz', 'initrd': 'images/pxeboot/initrd.img',
            'efiboot.img': 'images/efiboot.img', 'boot.iso': 'images/boot.iso'}
