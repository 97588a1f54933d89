"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test creates each sanity/units venv with `python -m venv --without-pip`
and then runs get-pip-<ver>.py from a host that this network cannot reach; it
first looks in ~/.ansible/test/cache/get_pip_<ver>.py, where
tests/ansible-test.sh puts this file. We bootstrap pip from the interpreter's
bundled ensurepip wheel, then let that pip install the pinned version from the
package index. ensurepip runs in a subprocess: in-process it sets
PIP_CONFIG_FILE=/dev/null, and the following pip would ignore /etc/pip.conf.
"""
import subprocess
import sys

ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
                      stdout=subprocess.DEVNULL)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade", "--force-reinstall"] + ARGS))
