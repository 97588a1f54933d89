# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throw-away MIT Kerberos KDC on loopback for the hub stand-in's GSSAPI login.

Everything lives in one directory (database, stash, krb5.conf, kdc.conf, keytabs,
credential caches); the KDC listens on a free TCP/UDP port of 127.0.0.1 only and
is stopped by :meth:`TestKDC.close`. ``env`` holds ``KRB5_CONFIG`` /
``KRB5CCNAME`` for clients (the module run through ansible-playbook inherits them).

Needs the MIT KDC tools (Debian: ``krb5-kdc``, ``krb5-admin-server`` for
``kadmin.local``, ``krb5-user`` for ``kinit``/``klist``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

TOOLS = ('krb5kdc', 'kdb5_util', 'kadmin.local', 'kinit')


def missing_tools():
    return [t for t in TOOLS if not shutil.which(t)]


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class TestKDC(object):
    """A KDC for realm ``realm`` with service principals HTTP/localhost and HTTP/127.0.0.1."""

    __test__ = False

    def __init__(self, directory, realm='KOJI.TEST'):
        self.directory = str(directory)
        self.realm = realm
        os.makedirs(self.directory, exist_ok=True)
        self.port = _free_port()
        self.krb5_conf = os.path.join(self.directory, 'krb5.conf')
        self.kdc_conf = os.path.join(self.directory, 'kdc.conf')
        self.ccache = 'FILE:' + os.path.join(self.directory, 'ccache')
        with open(self.krb5_conf, 'w') as handle:
            handle.write(
                '[libdefaults]\n default_realm = {r}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n'
                ' rdns = false\n dns_canonicalize_hostname = false\n udp_preference_limit = 1\n'
                ' ignore_acceptor_hostname = true\n\n'
                '[realms]\n {r} = {{\n  kdc = 127.0.0.1:{p}\n }}\n\n'
                '[domain_realm]\n localhost = {r}\n 127.0.0.1 = {r}\n'.format(r=realm, p=self.port))
        with open(self.kdc_conf, 'w') as handle:
            handle.write(
                '[kdcdefaults]\n kdc_listen = 127.0.0.1:{p}\n kdc_tcp_listen = 127.0.0.1:{p}\n\n'
                '[realms]\n {r} = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n'
                '  acl_file = {d}/kadm5.acl\n  max_life = 2h\n }}\n\n'
                '[logging]\n kdc = FILE:{d}/kdc.log\n'.format(r=realm, p=self.port, d=self.directory))
        self.env = {'KRB5_CONFIG': self.krb5_conf, 'KRB5_KDC_PROFILE': self.kdc_conf, 'KRB5CCNAME': self.ccache}
        self.proc = None
        self._run(['kdb5_util', 'create', '-s', '-r', realm, '-P', 'master-' + realm])
        self.proc = subprocess.Popen(['krb5kdc', '-n', '-r', realm], env=self._env(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self._wait()
        self.http_keytab = os.path.join(self.directory, 'http.keytab')
        for host in ('localhost', '127.0.0.1'):
            self.kadmin('addprinc -randkey HTTP/%s@%s' % (host, realm))
            self.kadmin('ktadd -k %s HTTP/%s@%s' % (self.http_keytab, host, realm))

    def _env(self):
        env = dict(os.environ)
        env.update(self.env)
        return env

    def _run(self, argv):
        proc = subprocess.run(argv, env=self._env(), capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode != 0:
            raise RuntimeError('%s failed: %s' % (' '.join(argv), proc.stdout + proc.stderr))
        return proc.stdout

    def _wait(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('krb5kdc exited: %s' % self.proc.stderr.read().decode(errors='replace'))
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('krb5kdc did not listen on port %d' % self.port)

    def kadmin(self, query):
        return self._run(['kadmin.local', '-r', self.realm, '-q', query])

    def user(self, name):
        """Create principal name@REALM with a random key; return (principal, keytab path)."""
        principal = '%s@%s' % (name, self.realm)
        keytab = os.path.join(self.directory, '%s.keytab' % name)
        self.kadmin('addprinc -randkey %s' % principal)
        self.kadmin('ktadd -k %s %s' % (keytab, principal))
        return principal, keytab

    def kinit(self, principal, keytab, ccache=None):
        """Get a ticket into ``ccache`` (default: $KRB5CCNAME of this process, else ``env['KRB5CCNAME']``)."""
        ccache = ccache or os.environ.get('KRB5CCNAME') or self.ccache
        self._run(['kinit', '-c', ccache, '-k', '-t', keytab, principal])

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
