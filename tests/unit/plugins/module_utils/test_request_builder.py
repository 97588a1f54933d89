# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request's builder options come from the backend registry (docs/extending.md: a new backend is one file)."""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, request_builder, request_model
from ansible_collections.ondemand.fedora_build.plugins.module_utils.backend import Backend


class _Tool:
    executable = 'mkosi'
    version_args = ('--version',)


def fake_backend(**spec):
    return Backend('mkosi', 'live', 'live_image', _Tool, ('mkosi',), spec, {'iso': '*.iso'},
                   pipeline_sets=('distribution_release',))


def test_a_backend_offers_its_options_minus_the_pipelines_and_the_operators_and_node_paths():
    backend = fake_backend(bootable=dict(type='bool', default=True, description='x'),
                           output_format=dict(type='str', choices=['disk', 'iso']),
                           distribution_release=dict(type='str'),        # its own pipeline_sets
                           dest=dict(type='path'), timeout=dict(type='int'),  # what the pipeline sets for all
                           signing_keys=dict(type='list', elements='path'),  # the operator's (live)
                           workspace_dir=dict(type='path'))               # a node directory
    assert request_builder.backend_options(backend) == {
        'bootable': {'type': 'bool'}, 'output_format': {'type': 'str', 'choices': ['disk', 'iso']}}


def test_a_new_backend_in_the_registry_becomes_request_options(monkeypatch):
    backend = fake_backend(output_format=dict(type='str', choices=['disk', 'iso']))
    monkeypatch.setattr(backend_registry, 'BACKENDS', backend_registry.BACKENDS + (backend,))
    monkeypatch.setattr(backend_registry, '_BY_NAME', dict(backend_registry._BY_NAME, mkosi=backend))
    live = request_builder._image_type_options('live')
    assert live['backend'] == {'type': 'str', 'choices': ['livemedia-creator', 'kiwi', 'mkosi']}
    assert live['output_format'] == {'type': 'str', 'choices': ['disk', 'iso']}
    assert set(request_builder.BUILDER_OPTIONS['live']) < set(live)


def test_the_model_and_validation_read_the_registry():
    assert request_model.IMAGE_TYPES == tuple(backend_registry.image_types())
    assert request_model.LIVE_BACKENDS == tuple(backend_registry.names('live'))
    assert request_model.field('builder.backend')['choices'] == [
        name for image_type in backend_registry.image_types() if len(backend_registry.names(image_type)) > 1
        for name in backend_registry.names(image_type)]
    for image_type, options in request_builder.BUILDER_OPTIONS.items():
        offered = set()
        for name in backend_registry.names(image_type):
            offered |= set(request_builder.backend_options(backend_registry.get(name)))
        assert set(options) - offered <= {'backend', 'timeout'}, image_type
