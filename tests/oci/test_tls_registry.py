"""HTTPS for real: the test bed's storage served by a registry with a certificate from a private CA."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from acrbrowse.oci.errors import Hint, TLSFailure
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.walk import walk
from tests.testbed.registry import RegistryProcess


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    """A private CA, and a certificate it signs for 127.0.0.1. Returns (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder().subject_name(_name("acrbrowse test CA")).issuer_name(_name("acrbrowse test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class TLSRegistry(RegistryProcess):
    def __init__(self, *args, cert: Path, key: Path, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cert, self.key = cert, key

    def config(self):
        config = super().config()
        config["http"]["tls"] = {"certificate": str(self.cert), "key": str(self.key)}
        return config


@pytest.fixture(scope="module")
def tls_registry(testbed, tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    ca, cert, key = make_ca_and_server_cert(directory)
    registry = TLSRegistry("tls", rootdir=testbed.data_dir, workdir=directory, cert=cert, key=key).start()
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"https://{registry.host}/v2/", verify=ssl.create_default_context(cafile=str(ca)), timeout=1)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline, registry.log_tail()
            time.sleep(0.05)
    yield registry, ca
    registry.stop()


async def test_a_private_ca_is_refused_without_ca_cert_with_a_hint(tls_registry):
    registry, _ = tls_registry
    async with RegistryClient(registry.host, plain_http=False) as client:
        with pytest.raises(TLSFailure) as caught:
            await client.ping()
    assert caught.value.hint is Hint.CA_CERT and registry.host in str(caught.value)


async def test_ca_cert_is_trusted_and_http2_is_spoken(tls_registry, testbed):
    registry, ca = tls_registry
    async with RegistryClient(registry.host, plain_http=False, ca_cert=ca) as client:
        response = await client.ping()
        assert response.http_version == "HTTP/2"
        tree = await walk(client, parse_reference(f"{registry.host}/aspnetapp:latest"))
    assert tree.root.digest == testbed.content.aspnetapp.digest and not tree.errors


async def test_a_plain_http_registry_spoken_to_over_https_says_to_use_plain_http(testbed):
    async with RegistryClient(testbed.anon.host, plain_http=False) as client:
        with pytest.raises(TLSFailure) as caught:
            await client.ping()
    assert caught.value.hint is Hint.PLAIN_HTTP


def test_an_unreadable_ca_file_is_one_line(tmp_path):
    with pytest.raises(TLSFailure) as caught:
        RegistryClient("reg.example.io", ca_cert=tmp_path / "missing.pem")
    assert "cannot use the CA certificate file" in str(caught.value)
