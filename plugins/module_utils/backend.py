# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the pipeline knows of one builder backend: its declaration.

Each backend file (``lorax.py``, ``pungi.py``, ``lmc.py``, ``kiwi.py``) ends
with one ``BACKEND = Backend(...)``; ``backend_registry.py`` lists them. Request
validation, preflight, dispatch, the ``build`` role and ``build_node`` read the
declaration through the registry instead of keeping their own copy of these
facts (docs/extending.md).

Pure data (and the loop that runs a backend's option checks); nothing but the
standard library and errors.py, so the registry can be read on the controller
without importing any tool code.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

# module options the pipeline sets for every backend (a request cannot set them); Backend.pipeline_sets adds a
# backend's own (repositories, kickstart, release)
PIPELINE_SETS = ('arch', 'dest', 'work_root', 'build_id', 'timeout', 'force', 'keep_work_dir', 'backend')


# What the content check (content_check.py, the pipeline's contents phase) runs on the node for each source, and the
# dnf package of each command: preflight probes them with the backend's own tools, and build_node installs them, so
# a node that cannot read its image is refused before the build, not after it.
CONTENT_TOOLS = {
    'package-log': ('unsquashfs', 'xorriso', 'debugfs'),
    'rpmdb': ('unsquashfs', 'xorriso', 'debugfs', 'rpm'),
    'kiwi': (),
    'repodata': (),
}
TOOL_PACKAGES = {'unsquashfs': 'squashfs-tools', 'xorriso': 'xorriso', 'debugfs': 'e2fsprogs', 'rpm': 'rpm'}


def release_number(release):
    """A Fedora release as a number; None for rawhide, None, or anything that is not a number."""
    if isinstance(release, bool):
        return None
    if isinstance(release, int):
        return release
    text = str(release or '').strip()
    if text.lower().startswith('f') and text[1:].isdigit():
        text = text[1:]
    return int(text) if text.isdigit() else None


class Backend(object):
    """One builder backend.

    name            the value of ``builder.backend`` in a request (also the registry key)
    image_type      the request ``image_type`` it builds (boot, dvd, live)
    module          the collection module that runs it (boot_iso, dvd_iso, live_image)
    tool            its ``builders.Tool`` subclass (argv, inputs, output discovery)
    executable      the tool looked up on the node's PATH
    version_args    how the tool reports its version (argv after the executable; fixed, never input)
    tools           every command preflight checks on the node for this backend, in report order (its own, then what
                    the content check of its `contents` source runs: CONTENT_TOOLS)
    packages        dnf packages that provide it on Fedora/EL (the build_node role installs them), plus those of the
                    content check's commands (TOOL_PACKAGES)
    arch_packages   extra packages per node arch (e.g. hfsplus-tools for lorax's x86_64 macboot)
    needs_kickstart whether a request of this backend must carry a kickstart
    cross_builds    whether it can build for another arch than the node's
    same_release    whether it must run on the Fedora release it builds (lorax-based tools)
    needs_loop      whether it needs loop devices
    estimate        seconds a build is assumed to take when planning a batch
    argument_spec   the backend's own module options (merged into the module's argument_spec)
    layout          {artifact kind: relative path pattern} of the real tool's output (docs, tests)
    default         whether it is the default backend of its image type (for the releases it covers)
    releases        (first, last) Fedora releases the backend's tool exists for on a node of that release, None for
                    open; the default backend of an image type for a request's release is the default one whose
                    range holds the release (``backend_registry.default_for``); build_node installs per node release
    pipeline_args   f(request, inputs) -> (defaults, fixed): the module arguments the pipeline derives from a
                    request (``builder_args.py``); inputs: side (koji_side_repo result), kickstart (path),
                    base_repos ([{name, baseurl}]), mirror_urls
    pipeline_sets   options only the pipeline sets (what ``fixed`` holds, and inputs it injects otherwise), never a request
    option_checks   ((option, check), ...): the checks of the options a request may set (``request_builder.
                    backend_options``), pure functions ``check(value, options, field)`` that raise FedoraBuildError
                    with one sentence starting with ``field``; ``options`` is every option value as the module sees
                    it (defaults filled in, plus ``arch``). The request validator (request_checks._builder, with
                    ``request.builder.<option>`` as the field) and the backend's own ``Tool.validate`` (the bare
                    option name) both run them through ``option_problems``/``check_options``, so a value the module
                    refuses is refused up front in the same sentence (docs/extending.md).
    pipeline_checks ((option, check), ...) like option_checks, for options the pipeline derives from the request
                    (``pipeline_args``), e.g. pungi-koji's ``repos`` from the request's repos: the request validator
                    runs ``pipeline_args`` on the normalized request and then these (``pipeline_problems``), the
                    module runs them on its arguments (``check_pipeline``)
    contents        where the content check reads the image's package set (``content_check.SOURCES``): ``rpmdb``
                    (the image's RPM database), ``package-log`` (lorax's runtime package log), ``kiwi`` (kiwi's
                    ``<image>.packages``) or ``repodata`` (an install tree's repodata and Packages/)
    """

    __slots__ = ('name', 'image_type', 'module', 'tool', 'executable', 'version_args', 'tools', 'packages', 'arch_packages',
                 'needs_kickstart', 'cross_builds', 'same_release', 'needs_loop', 'estimate', 'argument_spec',
                 'layout', 'default', 'pipeline_args', 'pipeline_sets', 'contents', 'releases', 'option_checks',
                 'pipeline_checks')

    def __init__(self, name, image_type, module, tool, packages, argument_spec, layout,
                 tools=None, arch_packages=None, needs_kickstart=False, cross_builds=False, same_release=True,
                 needs_loop=True, estimate=1800, default=False, pipeline_args=None, pipeline_sets=(), contents=None,
                 releases=(None, None), option_checks=(), pipeline_checks=()):
        self.name = name
        self.image_type = image_type
        self.module = module
        self.tool = tool
        self.executable = tool.executable
        self.version_args = tuple(tool.version_args)
        own = tuple(tools or (tool.executable,))
        checks = CONTENT_TOOLS.get(contents, ())
        self.tools = own + tuple(t for t in checks if t not in own)
        self.packages = tuple(packages) + tuple(
            TOOL_PACKAGES[t] for t in checks if t not in own and TOOL_PACKAGES[t] not in packages)
        self.arch_packages = dict(arch_packages or {})
        self.needs_kickstart = needs_kickstart
        self.cross_builds = cross_builds
        self.same_release = same_release
        self.needs_loop = needs_loop
        self.estimate = estimate
        self.argument_spec = argument_spec
        self.layout = dict(layout)
        self.default = default
        self.pipeline_args = pipeline_args or (lambda request, inputs: ({}, {}))
        self.pipeline_sets = tuple(pipeline_sets)
        self.contents = contents
        self.releases = tuple(releases)
        self.option_checks = tuple(option_checks)
        self.pipeline_checks = tuple(pipeline_checks)

    def covers(self, release):
        """Whether the backend's tool exists for ``release`` (a number, a numeric string, or rawhide/None: newest)."""
        first, last = self.releases
        number = release_number(release)
        if number is None:  # rawhide, or no release given: the newest Fedora
            return last is None
        return (first is None or number >= first) and (last is None or number <= last)

    def option_problems(self, options, prefix='', checks=None):
        """The sentences of the option checks that refuse ``options`` (one per refused option, in declaration
        order); an option whose value is None is not checked. ``prefix`` is the field path of the options
        (``request.builder``), empty for the module's own options."""
        problems = []
        for key, check in self.option_checks if checks is None else checks:
            if options.get(key) is None:
                continue
            try:
                check(options[key], options, '%s.%s' % (prefix, key) if prefix else key)
            except FedoraBuildError as exc:
                problems.append(exc.msg)
        return problems

    def check_options(self, options):
        """The module side of ``option_problems``: the first refusal, raised."""
        problems = self.option_problems(options)
        if problems:
            raise FedoraBuildError(problems[0])

    def pipeline_problems(self, request, inputs):
        """The sentences refusing what the pipeline would derive from a normalized ``request`` for this backend:
        ``pipeline_args`` (its own refusals), then ``pipeline_checks`` on the result, as the module will see it."""
        try:
            defaults, fixed = self.pipeline_args(request, inputs)
        except FedoraBuildError as exc:
            return [exc.msg]
        return self.option_problems(dict(defaults, **fixed), checks=self.pipeline_checks)

    def check_pipeline(self, params):
        """The module side of ``pipeline_problems``: the first refusal of ``pipeline_checks``, raised."""
        problems = self.option_problems(params, checks=self.pipeline_checks)
        if problems:
            raise FedoraBuildError(problems[0])

    def packages_for(self, arch=None):
        """The dnf packages a node of ``arch`` needs for this backend."""
        return list(self.packages) + list(self.arch_packages.get(arch, ()))

    def facts(self):
        """The declaration as plain data (for the role's filter, docs and tests)."""
        return dict(name=self.name, image_type=self.image_type, module=self.module, executable=self.executable,
                    version_args=list(self.version_args), tools=list(self.tools), packages=list(self.packages),
                    arch_packages=dict((k, list(v)) for k, v in self.arch_packages.items()),
                    needs_kickstart=self.needs_kickstart, cross_builds=self.cross_builds,
                    same_release=self.same_release, needs_loop=self.needs_loop, estimate=self.estimate,
                    options=sorted(self.argument_spec), layout=dict(self.layout), default=self.default,
                    contents=self.contents, releases=list(self.releases))
