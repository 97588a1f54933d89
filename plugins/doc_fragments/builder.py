# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the image builder modules (boot_iso, dvd_iso, live_image)."""

from __future__ import annotations


class ModuleDocFragment:
    """Common builder options."""

    DOCUMENTATION = r"""
options:
  dest:
    description:
      - Directory that receives the build result on the node.
      - The tool writes into the private work dir; only a finished, successful result is renamed to O(dest), together
        with the logs and a manifest that makes re-runs idempotent in C(build-logs/) (C(build-logs/.fedora_build.json),
        not among the tool's files).
      - If O(dest) exists and does not hold this very build (same parameters and input files), the module fails
        unless O(force=true).
    type: path
    required: true
  arch:
    description:
      - Target architecture. Defaults to the node's architecture.
      - A target other than the node's architecture is refused unless the backend can cross-build.
    type: str
  work_root:
    description:
      - Directory under which each build gets its own private work dir C(<work_root>/<build_id>) (mode 0700) with
        C(out/), C(tmp/), C(logs/) and C(inputs/). Parallel builds never share a work dir.
      - A failed build keeps its work dir, including every log.
    type: path
    default: /var/lib/fedora-build/work
  build_id:
    description:
      - Name of the work dir. Defaults to C(<module>-<timestamp>-<random>).
      - Set it to get the same command line in check mode and in the real run. A build_id that is in use fails.
    type: str
  timeout:
    description:
      - Seconds the tool may run. When they are over, the tool and everything it started are stopped
        (SIGTERM, then SIGKILL) and the module fails with the log tail.
    type: int
    default: 14400
  force:
    description:
      - Build even if O(dest) already holds this build, and replace whatever O(dest) holds.
    type: bool
    default: false
  keep_work_dir:
    description:
      - Keep the work dir after a successful build (it is always kept after a failure).
    type: bool
    default: false
notes:
  - The tool runs with C(LC_ALL=C); its full output goes to C(logs/build.log) in the work dir (moved to
    C(<dest>/build-logs/build.log) on success).
  - Commands are argument lists; nothing is passed through a shell.
"""

    # The kickstart-driven backends' side repositories (builders.SIDE_REPOS_SPEC): dvd_iso and live_image.
    SIDE_REPOS = r"""
options:
  side_repos:
    description:
      - Used by the backends that build from a kickstart, pungi (dvd_iso) and livemedia-creator (live_image).
        Extra repositories added as kickstart C(repo) lines in a generated wrapper kickstart that C(%include)s
        O(kickstart) by absolute path (the tool runs in the kickstart's directory).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Repository name.
        type: str
        required: true
      baseurl:
        description: Repository URL.
        type: str
        required: true
      cost:
        description: Kickstart C(--cost) (lower is preferred).
        type: int
      install:
        description: Kickstart C(--install).
        type: bool
        default: false
      excludepkgs:
        description: Kickstart C(--excludepkgs).
        type: list
        elements: str
        default: []
"""
