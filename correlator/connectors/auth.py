"""App-only tokens for Microsoft Graph and Event Hubs. The one module that imports msal.

An app registration signs in with a client secret or a certificate. msal keeps the token in its
cache and fetches a new one when the cached token is within five minutes of expiry (or past the
``refresh_in`` hint Entra sends for long-lived tokens), so callers ask for a token every time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from correlator.connectors.http import TrustingSession
from correlator.errors import ConfigError, CorrelatorError, TransientError

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"

# The environment names the Azure SDKs read, so an existing deployment's secrets just work.
ENV_TENANT = "AZURE_TENANT_ID"
ENV_CLIENT = "AZURE_CLIENT_ID"
ENV_SECRET = "AZURE_CLIENT_SECRET"
ENV_SECRET_FILE = "AZURE_CLIENT_SECRET_FILE"
ENV_CERTIFICATE = "AZURE_CLIENT_CERTIFICATE_PATH"


class AuthError(CorrelatorError):
    """Entra refused the app's credentials (wrong secret, unknown tenant, no consent)."""


@dataclass(frozen=True)
class AppCredentials:
    """An app registration's identity. ``repr`` never shows the secret or the key."""

    tenant_id: str
    client_id: str
    secret: str | None = field(default=None, repr=False)
    certificate_pem: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.tenant_id or not self.client_id:
            raise ConfigError("a tenant id and a client id are required")
        if (self.secret is None) == (self.certificate_pem is None):
            raise ConfigError("give exactly one of a client secret or a certificate")

    def msal_credential(self) -> str | dict[str, str]:
        if self.secret is not None:
            return self.secret
        assert self.certificate_pem is not None
        return _certificate_credential(self.certificate_pem)


def _certificate_credential(pem: bytes) -> dict[str, str]:
    """msal's certificate form: the private key, the SHA-1 thumbprint Entra matches, and the
    public certificate (sent as ``x5c`` so subject-name/issuer authentication works too)."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise ConfigError(
            "the certificate file must hold a PEM certificate and its unencrypted private key"
        ) from exc
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "private_key": key_pem.decode(),
        "thumbprint": hashlib.sha1(der).hexdigest(),
        "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }


def credentials_from(
    *,
    tenant_id: str | None,
    client_id: str | None,
    secret_file: Path | None,
    certificate: Path | None,
    env: Mapping[str, str],
) -> AppCredentials:
    """Flags first, then the environment; secrets only ever from a file or the environment."""
    tenant = tenant_id or env.get(ENV_TENANT, "")
    client = client_id or env.get(ENV_CLIENT, "")
    cert_path = certificate or (Path(env[ENV_CERTIFICATE]) if env.get(ENV_CERTIFICATE) else None)
    secret_path = secret_file or (Path(env[ENV_SECRET_FILE]) if env.get(ENV_SECRET_FILE) else None)
    if cert_path is not None and secret_path is None:
        return AppCredentials(tenant, client, certificate_pem=_read(cert_path))
    if secret_path is not None:
        return AppCredentials(tenant, client, secret=_read(secret_path).decode().strip())
    if env.get(ENV_SECRET):
        return AppCredentials(tenant, client, secret=env[ENV_SECRET])
    raise ConfigError(
        f"no credentials: pass --client-secret-file or --certificate, or set {ENV_SECRET}"
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc


@dataclass(frozen=True)
class AccessToken:
    token: str = field(repr=False)
    expires_at: float  # epoch seconds


class TokenProvider:
    """Client-credentials tokens for one scope, cached and refreshed by msal."""

    def __init__(
        self,
        credentials: AppCredentials,
        scope: str,
        *,
        authority: str = DEFAULT_AUTHORITY,
        ca_bundle: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.scope = scope
        self._clock = clock
        self._credentials = credentials
        self._authority = f"{authority.rstrip('/')}/{credentials.tenant_id}"
        self._ca_bundle = ca_bundle
        self._app: Any = None
        self.requests = 0  # tokens fetched from Entra (not from the cache)

    def _application(self) -> Any:
        # Built on first use: msal reads the authority's OpenID configuration when it is built.
        if self._app is None:
            self._app = msal.ConfidentialClientApplication(
                self._credentials.client_id,
                client_credential=self._credentials.msal_credential(),
                authority=self._authority,
                # The authority is the user's choice (national clouds, a private endpoint):
                # asking login.microsoftonline.com whether it knows that host adds nothing.
                instance_discovery=False,
                http_client=TrustingSession(ca_bundle=self._ca_bundle),
                token_cache=msal.TokenCache(),
            )
        return self._app

    def token(self) -> AccessToken:
        try:
            result = self._application().acquire_token_for_client(scopes=[self.scope])
        except (requests.RequestException, ValueError) as exc:
            # msal raises ValueError when the OpenID discovery of the authority fails.
            raise TransientError(f"token endpoint of {self._authority}: {exc}") from exc
        if "access_token" not in result:
            raise AuthError(
                f"{result.get('error', 'error')}: {str(result.get('error_description', ''))[:300]}"
            )
        if result.get("token_source") == "identity_provider":
            self.requests += 1
        return AccessToken(result["access_token"], self._clock() + int(result["expires_in"]))

    def bearer(self) -> str:
        return self.token().token

    def oauth_cb(self, _config: str) -> tuple[str, float]:
        """librdkafka's OAUTHBEARER callback: the token and its expiry in epoch seconds.

        librdkafka calls it again at 80 % of the lifetime, and msal answers from its cache
        until the token nears expiry, so the broker always gets a fresh token."""
        token = self.token()
        return token.token, token.expires_at
