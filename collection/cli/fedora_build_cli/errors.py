# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exit codes and the one exception the commands raise (docs/cli.md, "Exit codes")."""

OK = 0            # the command did what was asked (a build that was asked for succeeded)
FAILED = 1        # invalid input (request, INI, ID state), or a build failed / was cancelled
USAGE = 2         # bad command line (argparse)
NOT_FOUND = 3     # a named build ID, request ID or input file does not exist
INFRA = 4         # ansible-runner / playbook / status store problem, not the request's fault
INTERRUPTED = 130  # Ctrl-C while watching (--wait, --follow); the build itself keeps running

EXIT_CODES = (
    (OK, 'success'),
    (FAILED, 'invalid input (request file, imagebuild.conf, nothing to cancel) or a build failed or was cancelled'),
    (USAGE, 'bad command line'),
    (NOT_FOUND, 'no such build/request ID or input file'),
    (INFRA, 'ansible-runner, playbook or status store error (not caused by the request)'),
    (INTERRUPTED, 'interrupted (Ctrl-C) while watching; the build keeps running'),
)


class CLIError(Exception):
    """One sentence for the user and the exit code that goes with it."""

    def __init__(self, msg, code=FAILED, **details):
        super().__init__(msg)
        self.msg = msg
        self.code = code
        self.details = details
