"""SSRF guard for every outbound URL a tenant can configure (webhooks, carrier tracking,
import sources, notification channels…).

A tenant admin who can make the server fetch a URL can otherwise reach what only the
server reaches: its loopback services (Redis, PostgreSQL, the app itself), the private
network, and the cloud metadata endpoint with its credentials. Use it like this::

    ip = check_outbound_url(url)            # when the tenant saves the URL: refuse early
    response = safe_request("POST", url, body=payload, headers={...})  # when calling it

:func:`check_outbound_url` refuses

* schemes other than ``http``/``https``, credentials in the URL (``user:pass@``),
  backslashes, control characters and whitespace, malformed ports;
* host names that are ``localhost`` or end in ``.localhost``;
* any host that resolves (directly or through odd IPv4 spellings such as ``2130706433``
  or ``0x7f.1``) to a loopback, private (RFC 1918, unique-local), link-local, multicast,
  reserved, unspecified, CGNAT (100.64.0.0/10), documentation, benchmarking or other
  non-global address; IPv4-mapped and IPv4-compatible IPv6 addresses; 6to4, Teredo and
  NAT64 addresses that embed a non-global IPv4 address; and the cloud metadata
  addresses (169.254.169.254, fd00:ec2::254, Alibaba Cloud's 100.100.100.200, Tencent
  Cloud's 169.254.0.23), by name as well, for a clear message.

If *any* address of the name is refused, the URL is refused: a name that resolves to a
public and a private address would otherwise pass once and hit the private one later.

``allowed_networks`` (every function takes it) lets an operator's intranet through: an
on-prem install legitimately posts to ``10.1.2.3``. Addresses inside a listed network
pass; the cloud metadata addresses never do, and neither do the names ``localhost``
and ``*.localhost``. The list comes from the operator's settings, never from a tenant.

**DNS rebinding.** Checking a name and then letting an HTTP library resolve it again is
not enough: a hostile DNS server answers the check with a public address and the
connection, a moment later, with 127.0.0.1 (a TTL of 0 makes that easy). So the check
returns the address it approved, and :func:`safe_request` connects to *that* address,
sending the original name in the ``Host`` header and, for HTTPS, as the TLS server name
(SNI), with the certificate verified against the name. No second lookup happens.
:func:`safe_request` follows no redirects (a redirect target must be checked like any
other URL: pass ``response.headers["Location"]`` through it again if you want to follow),
ignores ``HTTP(S)_PROXY`` from the environment, and caps the response size and time.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from jimucrm.core.i18n import _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]
Networks = Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]

ALLOWED_SCHEMES = {"http": 80, "https": 443}

METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, Huawei Cloud…
    "fd00:ec2::254",  # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
    "169.254.0.23",  # Tencent Cloud
    "169.254.170.2",  # AWS ECS task credentials
))
METADATA_NAMES = frozenset({
    "metadata", "metadata.google.internal", "metadata.tencentyun.com", "instance-data",
    "instance-data.ec2.internal",
})

CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

MAX_RESPONSE_BYTES = 1024 * 1024


class OutboundURLRefused(ValueError):
    """The URL may not be fetched; ``message`` is a translatable explanation."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as the operating system's resolver says."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def refusal_reason(address: IPAddress):
    """Why connecting to ``address`` is refused (a translatable message), or None."""
    if address in METADATA_ADDRESSES:
        return _("${address} is a cloud metadata address.", mapping={"address": str(address)})
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None or (address in IPV4_COMPATIBLE and
                                               not address.is_unspecified and
                                               not address.is_loopback):
            return _("${address} is an IPv4 address written as IPv6.",
                     mapping={"address": str(address)})
        embedded = None
        if address.sixtofour is not None:
            embedded = address.sixtofour
        elif address.teredo is not None:
            embedded = address.teredo[1]
        elif address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address in NAT64_LOCAL:
            return _("${address} is not a public address.", mapping={"address": str(address)})
        if embedded is not None and refusal_reason(embedded) is not None:
            return _("${address} leads to a private IPv4 address.",
                     mapping={"address": str(address)})
    if address.is_loopback:
        return _("${address} is a loopback address.", mapping={"address": str(address)})
    if address.is_unspecified:
        return _("${address} is not a public address.", mapping={"address": str(address)})
    if address.is_link_local:
        return _("${address} is a link-local address.", mapping={"address": str(address)})
    if address.is_multicast:
        return _("${address} is a multicast address.", mapping={"address": str(address)})
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return _("${address} is a carrier-grade NAT address.",
                 mapping={"address": str(address)})
    if address.is_private or address.is_reserved or not address.is_global:
        return _("${address} is a private or reserved address.",
                 mapping={"address": str(address)})
    return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Spellings inet_aton accepts and browsers/resolvers honour: 2130706433, 0x7f.1, 017.1."""
    if not host or any(c not in "0123456789abcdefxABCDEFX." for c in host):
        return None
    if not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed the guard, with the address to connect to."""

    url: str
    scheme: str
    host: str  # as written in the URL (IDNA-encoded), for Host and SNI
    port: int
    ip: str  # the approved address: connect here and nowhere else
    target: str  # path and query, for the request line


def check_url(url: str, *, resolver: Resolver | None = None,
              allowed_networks: Networks = ()) -> CheckedURL:
    """Check ``url``; return it parsed, with the approved address. See the module docs."""
    if not isinstance(url, str) or not url:
        raise OutboundURLRefused(_("Enter a web address (http:// or https://)."))
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise OutboundURLRefused(
            _("The address contains spaces, control characters or backslashes."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundURLRefused(_("The address is malformed.")) from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise OutboundURLRefused(_("Only http:// and https:// addresses are allowed."))
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise OutboundURLRefused(
            _("The address may not contain a user name or password; use the credentials "
              "field instead."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundURLRefused(_("The address has no host name."))
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise OutboundURLRefused(_("The address is malformed.")) from None
    port = ALLOWED_SCHEMES[scheme] if port is None else port
    if not 0 < port < 65536:
        raise OutboundURLRefused(_("The address is malformed."))
    lowered = host.lower()
    if lowered == "localhost" or lowered.endswith(".localhost"):
        raise OutboundURLRefused(_("${host} is this server.", mapping={"host": host}))
    if lowered in METADATA_NAMES:
        raise OutboundURLRefused(_("${host} is a cloud metadata address.",
                                   mapping={"host": host}))
    literal: IPAddress | None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = _legacy_ipv4(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = list((resolver or system_resolver)(host, port))
        except (OSError, UnicodeError):
            found = []
        addresses = []
        for text in found:
            try:
                addresses.append(ipaddress.ip_address(text.split("%", 1)[0]))
            except ValueError:
                raise OutboundURLRefused(
                    _("${host} did not resolve to an address.", mapping={"host": host})
                ) from None
        if not addresses:
            raise OutboundURLRefused(_("${host} could not be found.", mapping={"host": host}))
    allowed = tuple(allowed_networks)
    for address in addresses:
        reason = refusal_reason(address)
        if reason is not None and not _operator_allowed(address, allowed):
            raise OutboundURLRefused(reason)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return CheckedURL(url, scheme, host, port, str(addresses[0]), target)


def _operator_allowed(address: IPAddress, networks: tuple) -> bool:
    """In a network the operator listed (metadata addresses never are)."""
    return address not in METADATA_ADDRESSES and any(
        address.version == network.version and address in network for network in networks)


def check_outbound_url(url: str, *, resolver: Resolver | None = None,
                       allowed_networks: Networks = ()) -> str:
    """Refuse ``url`` (:class:`OutboundURLRefused`) or return the IP address to connect to.

    ``resolver(host, port)`` returns the host's addresses as strings; the default asks
    the operating system. Connect to the returned address, never to the name again
    (:func:`safe_request` does): that is what defeats DNS rebinding.
    """
    return check_url(url, resolver=resolver, allowed_networks=allowed_networks).ip


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed IP address, with SNI and certificate checks for the host name."""

    def __init__(self, ip: str, port: int, server_hostname: str, *, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(ip, port, timeout=timeout, context=context)
        self._server_hostname = server_hostname
        self._pinned_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._pinned_context.wrap_socket(sock,
                                                     server_hostname=self._server_hostname)


@dataclass(frozen=True)
class SafeResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


def pinned_request(method: str, checked: CheckedURL, *, body: bytes | None = None,
                   headers: Mapping[str, str] | None = None, timeout: float = 10.0,
                   max_response_bytes: int = MAX_RESPONSE_BYTES,
                   context: ssl.SSLContext | None = None) -> SafeResponse:
    """Send one request to ``checked.ip`` only, with ``checked.host`` as Host (and SNI)."""
    if checked.scheme == "https":
        connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
            checked.ip, checked.port, checked.host, timeout=timeout,
            context=context or ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(checked.ip, checked.port, timeout=timeout)
    default_port = ALLOWED_SCHEMES[checked.scheme]
    host_header = checked.host if ":" not in checked.host else f"[{checked.host}]"
    if checked.port != default_port:
        host_header += f":{checked.port}"
    sent = {"Host": host_header, "User-Agent": "JimuCRM", "Accept-Encoding": "identity"}
    sent.update(headers or {})
    if body is not None and not any(name.lower() == "content-length" for name in sent):
        # putrequest/endheaders, unlike request(), do not add it: without it the
        # receiver reads an empty body.
        sent["Content-Length"] = str(len(body))
    try:
        connection.putrequest(method, checked.target, skip_host=True,
                              skip_accept_encoding=True)
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read(max_response_bytes + 1)
        if len(data) > max_response_bytes:
            raise OutboundURLRefused(_("The response was larger than ${limit} bytes.",
                                       mapping={"limit": max_response_bytes}))
        return SafeResponse(response.status, dict(response.getheaders()), data)
    finally:
        connection.close()


def safe_request(method: str, url: str, *, body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float = 10.0,
                 max_response_bytes: int = MAX_RESPONSE_BYTES,
                 resolver: Resolver | None = None,
                 context: ssl.SSLContext | None = None,
                 allowed_networks: Networks = ()) -> SafeResponse:
    """Check ``url``, then send one request to the approved address (no redirects)."""
    checked = check_url(url, resolver=resolver, allowed_networks=allowed_networks)
    return pinned_request(method, checked, body=body, headers=headers, timeout=timeout,
                          max_response_bytes=max_response_bytes, context=context)
