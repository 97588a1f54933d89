# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throw-away test PKI for the Koji hub stand-in, made with ``cryptography``.

Like a Koji deployment (docs: "Setting up SSL Certificates for authentication"):
one CA signs the hub's server certificate (SAN 127.0.0.1 and localhost) and the
users' client certificates, whose subject CN is the Koji user name (the hub
reads ``SSL_CLIENT_S_DN_CN``). A client PEM holds the certificate and its key,
as the koji CLI's ``--cert`` and ``ClientSession.ssl_login(cert=...)`` expect.

A second, unrelated CA (``rogue``) issues certificates the hub must refuse.
"""

from __future__ import annotations

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn, org='ondemand.fedora_build tests'):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


class _CA(object):
    def __init__(self, cn):
        now = datetime.datetime.now(datetime.timezone.utc)
        self.key = _key()
        self.name = _name(cn)
        self.cert = (x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(hours=1))
                     .not_valid_after(now + datetime.timedelta(days=2))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                                  crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                     .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
                     .sign(self.key, hashes.SHA256()))

    def issue(self, cn, server=False, days=2):
        now = datetime.datetime.now(datetime.timezone.utc)
        key = _key()
        builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(self.name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName('localhost'), x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        else:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key


class TestPKI(object):
    """Files under ``directory``: ``ca.crt``, ``server.pem`` (cert + key), ``<user>.pem`` per client."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory):
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        self._ca = _CA('Koji Test CA')
        self._rogue = _CA('Rogue CA')
        self.ca_cert = self._write('ca.crt', _cert_pem(self._ca.cert))
        self.rogue_ca_cert = self._write('rogue-ca.crt', _cert_pem(self._rogue.cert))
        cert, key = self._ca.issue('localhost', server=True)
        self.server_cert = self._write('server.pem', _cert_pem(cert) + _key_pem(key))
        self.clients = {}

    def _write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path, 'wb') as handle:
            handle.write(data)
        os.chmod(path, 0o600)
        return path

    def client(self, user):
        """PEM (certificate + key) for Koji user ``user`` (subject CN), signed by the test CA."""
        if user not in self.clients:
            cert, key = self._ca.issue(user)
            self.clients[user] = self._write('%s.pem' % user, _cert_pem(cert) + _key_pem(key))
        return self.clients[user]

    def rogue_client(self, user):
        """PEM for ``user`` signed by an unrelated CA the hub does not trust."""
        cert, key = self._rogue.issue(user)
        return self._write('rogue-%s.pem' % user, _cert_pem(cert) + _key_pem(key))
