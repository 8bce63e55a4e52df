"""SSRF guard: refusals, the resolver, and pinning to the approved address.

No traffic leaves this machine: public-looking names go through a fake resolver and are
only checked, never fetched; the requests that are really sent go to loopback servers
that these tests start.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import socket
import ssl
import threading

import pytest

from jimucrm.security.http import ssrf
from jimucrm.security.http.ssrf import OutboundURLRefused, check_outbound_url

PUBLIC = "93.184.216.34"  # a public address; nothing here connects to it


def public(host, port):
    return [PUBLIC]


def refused(url: str, resolver=public) -> str:
    with pytest.raises(OutboundURLRefused) as caught:
        check_outbound_url(url, resolver=resolver)
    return caught.value.message.interpolate()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://127.1.2.3:6379/", "http://[::1]/", "http://0.0.0.0/",
    "http://[::]/", "http://0/", "http://2130706433/", "http://0x7f000001/",
    "http://0x7f.1/", "http://017700000001/", "http://127.1/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://[fd12::1]/",
    "http://[fe80::1]/", "http://169.254.10.10/", "http://224.0.0.1/", "http://[ff02::1]/",
    "http://240.0.0.1/", "http://255.255.255.255/", "http://100.64.0.1/",
    "http://100.127.255.254/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:8.8.8.8]/", "http://[::127.0.0.1]/", "http://[2002:7f00:1::1]/",
    "http://[2002:a00:1::]/", "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://192.0.2.10/", "http://198.18.0.1/", "http://[2001:db8::1]/",
])
def test_non_public_addresses_are_refused(url):
    refused(url)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/",
    "http://100.100.100.200/latest/meta-data/", "http://169.254.0.23/",
    "http://metadata.google.internal/computeMetadata/v1/", "http://metadata.tencentyun.com/",
])
def test_cloud_metadata_is_refused_by_name_or_address(url):
    assert "metadata" in refused(url)


@pytest.mark.parametrize("url", [
    "ftp://files.example.cn/", "file:///etc/passwd", "gopher://example.cn:70/",
    "dict://example.cn:11211/", "javascript:alert(1)", "//example.cn/", "example.cn",
    "http://user:secret@example.cn/", "http://user@example.cn/", "http://:pw@example.cn/",
    "http://example.cn\\@127.0.0.1/", "http://exa mple.cn/", "http://example.cn/\r\nX: y",
    "http://example.cn:99999/", "http://example.cn:0/", "http://example.cn:port/",
    "http:///path", "", "http://localhost/", "http://LOCALHOST:8080/",
    "http://app.localhost/", "http://[::1/",
])
def test_malformed_or_dangerous_urls_are_refused(url):
    refused(url)


def test_one_private_address_among_public_ones_refuses_the_name():
    message = refused("https://hooks.example.cn/", lambda h, p: [PUBLIC, "10.0.0.7"])
    assert "10.0.0.7" in message


def test_names_are_resolved_and_the_approved_address_returned():
    calls = []

    def resolver(host, port):
        calls.append((host, port))
        return [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]

    assert check_outbound_url("https://Hooks.Example.cn/x?y=1", resolver=resolver) == PUBLIC
    assert calls == [("hooks.example.cn", 443)]
    checked = ssrf.check_url("http://hooks.example.cn:8080/a", resolver=resolver)
    assert (checked.host, checked.port, checked.ip, checked.target) == \
        ("hooks.example.cn", 8080, PUBLIC, "/a")
    # Internationalised names reach the resolver in their ASCII form.
    check_outbound_url("https://例子.中国/", resolver=resolver)
    assert calls[-1] == ("xn--fsqu00a.xn--fiqs8s", 443)


def test_a_name_that_does_not_resolve_is_refused():
    def nowhere(host, port):
        raise socket.gaierror("no such name")

    assert "could not be found" in refused("https://nowhere.example.cn/", nowhere)
    assert "could not be found" in refused("https://empty.example.cn/", lambda h, p: [])


def test_a_rebinding_name_is_checked_once_and_pinned():
    """The answer that was checked is the address used: a second answer never counts."""
    answers = iter([[PUBLIC], ["127.0.0.1"]])
    checked = ssrf.check_url("http://rebind.example.cn/", resolver=lambda h, p: next(answers))
    assert checked.ip == PUBLIC  # and pinned_request connects to checked.ip only


def test_the_system_resolver_refuses_what_localhost_resolves_to():
    """The real resolver, on names that resolve without any network: refused all the same."""
    assert set(ssrf.system_resolver("localhost", 80)) <= {"127.0.0.1", "::1"}
    for host in ("127.0.0.1", "localhost6", "ip6-localhost"):
        try:
            addresses = ssrf.system_resolver(host, 80)
        except OSError:
            continue  # not in this machine's hosts file
        for address in addresses:
            assert ssrf.refusal_reason(ipaddress.ip_address(address.split("%")[0]))


def test_safe_request_refuses_before_connecting(monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    monkeypatch.setattr(ssrf.http.client.HTTPConnection, "connect", no_connection)
    for url in ("http://127.0.0.1:6379/", "http://169.254.169.254/", "gopher://x/"):
        with pytest.raises(OutboundURLRefused):
            ssrf.safe_request("GET", url, resolver=public)
    with pytest.raises(OutboundURLRefused):
        ssrf.safe_request("POST", "http://rebind.example.cn/", resolver=lambda h, p: ["10.1.1.1"])


# -- pinned requests, against loopback servers started here ----------------------------

class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):  # noqa: N802 - BaseHTTPRequestHandler's naming
        type(self).seen.append((self.path, self.headers.get("Host")))
        body = b"x" * int(self.path.rsplit("=", 1)[-1]) if "size=" in self.path else b"ok"
        self.send_response(302 if "redirect" in self.path else 200)
        self.send_header("Location", "http://127.0.0.1/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_server():
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _loopback(url: str, port: int) -> ssrf.CheckedURL:
    """What check_url would return had ``hooks.example.cn`` been approved at 127.0.0.1."""
    checked = ssrf.check_url(url, resolver=public)
    return ssrf.CheckedURL(checked.url, checked.scheme, checked.host, port, "127.0.0.1",
                           checked.target)


def test_pinned_request_connects_to_the_address_with_the_name_as_host(loopback_server):
    port = loopback_server.server_address[1]
    response = ssrf.pinned_request("GET", _loopback("http://hooks.example.cn/hook?a=1", port))
    assert response.status == 200 and response.body == b"ok"
    assert _Recorder.seen == [("/hook?a=1", f"hooks.example.cn:{port}")]


def test_redirects_are_not_followed_and_responses_are_capped(loopback_server):
    port = loopback_server.server_address[1]
    redirect = ssrf.pinned_request("GET", _loopback("http://hooks.example.cn/redirect", port))
    assert redirect.status == 302 and len(_Recorder.seen) == 1
    # The Location would have to pass check_outbound_url again; it does not.
    with pytest.raises(OutboundURLRefused):
        check_outbound_url(redirect.headers["Location"])
    with pytest.raises(OutboundURLRefused):
        ssrf.pinned_request("GET", _loopback("http://hooks.example.cn/?size=2000", port),
                            max_response_bytes=1000)


def _self_signed(hostname: str, directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_pins_the_address_and_verifies_the_certificate_for_the_name(tmp_path):
    cert, key = _self_signed("hooks.example.cn", tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen = []
    try:
        port = server.server_address[1]
        trusting = ssl.create_default_context(cafile=str(cert))
        response = ssrf.pinned_request("GET", _loopback("https://hooks.example.cn/tls", port),
                                       context=trusting)
        assert response.status == 200
        assert _Recorder.seen == [("/tls", f"hooks.example.cn:{port}")]
        # The same address under another name fails the certificate check.
        with pytest.raises(ssl.SSLCertVerificationError):
            ssrf.pinned_request("GET", _loopback("https://other.example.cn/", port),
                                context=trusting)
    finally:
        server.shutdown()
        server.server_close()
