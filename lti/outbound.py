"""Outbound HTTP to URLs a platform hands the tool (dynamic registration): each connection goes to
an address that was resolved and checked first, and to no other.

The check refuses loopback, private, link-local, multicast, reserved, unspecified and other
non-public addresses unless the caller allows them (the demo LMS and the tests live on 127.0.0.1).
Checking a name and then letting urllib3 resolve it again would leave a window for DNS rebinding
(the second answer could be 127.0.0.1), so the adapter connects to the checked address itself and
keeps the name only for the Host header, TLS SNI and certificate check. Proxies are not used: a
proxy would resolve the name on its own.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError


class AddressRefused(requests.exceptions.ConnectionError):
    """The URL's host is (or resolves to) an address the tool does not connect to."""


def refusal_reason(address: str) -> str | None:
    """Why the tool does not connect to this IP address ('loopback', 'private', …), or None if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is not part of it
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour  # ::ffff:127.0.0.1 and 2002:7f00:1:: reach IPv4 hosts
        if embedded is not None:
            return refusal_reason(str(embedded))
    for reason, applies in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                            ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                            ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if applies:
            return reason
    return None if ip.is_global else "non-public"  # 100.64.0.0/10 (carrier NAT) and the like


def checked_addresses(host: str, port: int, allow_private: bool) -> list[str]:
    """Every address host resolves to, in the resolver's order; AddressRefused when one of them is
    not public (and private ones are not allowed) or the name does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError; UnicodeError: an unencodable name
        raise AddressRefused(f"the host {host} does not resolve") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        for address in addresses:
            reason = refusal_reason(address)
            if reason:
                shown = host if host == address else f"{host} ({address})"
                raise AddressRefused(f"the host {shown} is a {reason} address; the tool connects only to public "
                                     f"addresses")
    if not addresses:
        raise AddressRefused(f"the host {host} does not resolve")
    return addresses


def _connect_failed(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection was never made (so nothing was sent and the next address may be tried)."""
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


class PinnedAddressAdapter(HTTPAdapter):
    """An HTTPAdapter that resolves and checks the host, then connects to the checked address only."""

    def __init__(self, allow_private: bool = False, **kwargs):
        self.allow_private = allow_private
        super().__init__(**kwargs)

    def send(self, request, *args, **kwargs):
        """Check the host's addresses, then send to each in turn until one accepts the connection."""
        parts = urlsplit(request.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = checked_addresses(parts.hostname or "", port, self.allow_private)
        request.headers["Host"] = parts.netloc.rsplit("@", 1)[-1]  # the name, not the address connected to
        for address in addresses:
            request.pinned_address = address
            try:
                return super().send(request, *args, **kwargs)
            except requests.exceptions.ConnectionError as exc:
                if address == addresses[-1] or not _connect_failed(exc):
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        """The pool for the pinned address; TLS still names (SNI) and verifies the URL's host."""
        try:
            host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        except ValueError as exc:
            raise requests.exceptions.InvalidURL(exc, request=request) from exc
        if host_params["scheme"] == "https":
            pool_kwargs = dict(pool_kwargs, server_hostname=host_params["host"], assert_hostname=host_params["host"])
        host_params = dict(host_params, host=request.pinned_address)
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


def guard(session: requests.Session, allow_private: bool = False) -> requests.Session:
    """The session with every http(s) request going through PinnedAddressAdapter, without proxies."""
    adapter = PinnedAddressAdapter(allow_private)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False  # no proxy from the environment: it would resolve the name itself
    return session
