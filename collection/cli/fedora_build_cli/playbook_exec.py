# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m fedora_build_cli.playbook_exec ARGS``: ansible-playbook ARGS with the channel's secrets.

Started by ansible-runner in place of ansible-playbook (secrets_channel.py). Reads the hidden
environment variables and the extra vars from the FIFO named by $FEDORA_BUILD_CHANNEL_FIFO,
removes the FIFO, and execs ansible-playbook with those variables in its environment (the extra
vars come through a second FIFO that ansible-playbook reads itself: ``-e @FIFO``).
"""

import json
import os
import sys

from .secrets_channel import FIFO_VAR

MAX = 16 * 1024 * 1024


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    env = dict(os.environ)
    fifo = env.pop(FIFO_VAR, None)
    args = ['ansible-playbook']
    if fifo:
        try:
            with open(fifo, 'rb') as handle:
                data = json.loads(handle.read(MAX).decode('utf-8') or '{}')
        except (OSError, ValueError) as exc:
            sys.stderr.write('fedora-build: cannot read the secrets channel %s (%s); not starting ansible-playbook.\n'
                             % (fifo, exc))
            return 4
        try:
            os.unlink(fifo)
        except OSError:
            pass
        for name, value in (data.get('env') or {}).items():
            env.setdefault(name, value)
    os.execvpe('ansible-playbook', args + argv, env)
    return 4  # not reached


if __name__ == '__main__':
    sys.exit(main())
