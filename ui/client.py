"""Who a request comes from, for the fair queue and the per-address limit.

The browser: Streamlit's XSRF cookie holds a random token it keeps for as long as the browser
keeps the cookie, shared by all of that browser's tabs (the cookie's value is re-masked on
every response; the token under the mask stays). Only a digest of it is kept. Without the
cookie (XSRF protection turned off) each tab counts as its own browser.

The address: Streamlit's, which is None for a connection from the server's own machine; with
RNNLAB_TRUSTED_PROXY=1 the last address in X-Forwarded-For, the one the proxy itself added.
"""
from __future__ import annotations

import binascii
import hashlib
import ipaddress

import streamlit as st

from core import settings

XSRF_COOKIE = "_streamlit_xsrf"


def xsrf_token(cookie: str) -> bytes:
    """The token under a version-2 XSRF cookie's mask ("2|mask|masked|time"); other values
    as they are."""
    parts = cookie.split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
        except (binascii.Error, ValueError):
            return cookie.encode()
        if mask:
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))
    return cookie.encode()


def browser_id() -> str | None:
    """A digest naming this browser, the same in all its tabs; None when it cannot be told."""
    try:
        cookie = st.context.cookies.get(XSRF_COOKIE)
    except Exception:  # no request context (a script run outside a server)
        return None
    if not isinstance(cookie, str) or not cookie:
        return None
    return hashlib.sha256(xsrf_token(cookie)).hexdigest()[:16]


def forwarded_address(header: str | None) -> str | None:
    """The client a trusted proxy names: the last address in X-Forwarded-For, the one the
    proxy added (those before it are whatever the client sent)."""
    last = (header or "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return None


def client_address() -> str | None:
    address = st.context.ip_address
    if settings.trusted_proxy() and address is None:
        try:
            header = st.context.headers.get("X-Forwarded-For")
            return forwarded_address(header if isinstance(header, str) else None) or address
        except Exception:
            return address
    return address
