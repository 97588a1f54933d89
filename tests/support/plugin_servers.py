# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest plugin: loopback servers (registered in pytest.ini).

Function-scoped; everything started is stopped at teardown::

    def test_x(file_server, ftp_server, smtp_sink, tmp_path):
        http = file_server(tmp_path / 'www')                  # .url, .url_for(rel), .set_error(...)
        ftp = ftp_server(tmp_path / 'ftp', user='stage')       # .host .port .user .password .url
        smtp_sink.host, smtp_sink.port; smtp_sink.wait_for(1)[0]['Subject']
        tls = smtp_sink_factory(starttls=True, users={'u': 'p'})  # .cert_file for the client
        smtps = smtp_sink_factory(implicit_tls=True)               # TLS from the first byte (port 465 style)

Pass ``host=lab.controller_address`` to reach a server from lab nodes.
See tests/support/servers.py for the options.
"""

from __future__ import annotations

import pytest

from support.servers import FileServer, FtpServer, SmtpSink


def _factory(cls):
    started = []

    def make(*args, **kwargs):
        server = cls(*args, **kwargs).start()
        started.append(server)
        return server
    return make, started


def _stop_all(started):
    for server in reversed(started):
        server.stop()


@pytest.fixture
def file_server():
    """Factory ``file_server(root_dir, host='127.0.0.1', port=0)`` -> started FileServer."""
    make, started = _factory(FileServer)
    yield make
    _stop_all(started)


@pytest.fixture
def ftp_server():
    """Factory ``ftp_server(root_dir, user='stage', password=None, host=..., writable=True, ...)`` -> FtpServer."""
    make, started = _factory(FtpServer)
    yield make
    _stop_all(started)


@pytest.fixture
def smtp_sink_factory():
    """Factory ``smtp_sink_factory(host='127.0.0.1', starttls=False, users=None, implicit_tls=False)`` -> started SmtpSink."""
    make, started = _factory(SmtpSink)
    yield make
    _stop_all(started)


@pytest.fixture
def smtp_sink(smtp_sink_factory):  # pylint: disable=redefined-outer-name
    """A plain SMTP sink on 127.0.0.1 and a free port (.host .port .messages .wait_for())."""
    return smtp_sink_factory()
