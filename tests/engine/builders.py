"""Small builders for canonical events, so each engine case reads as a story."""

from __future__ import annotations

from correlator.config import DAY_MS, MINUTE_MS
from correlator.model import CallRecord, CredentialChange, NetworkInfo, SignIn

T0 = 1_790_000_000_000  # 2026-09-21, a fixed event time: the engine never reads the clock
USER = "alice@northwind.test"

HOME = NetworkInfo(
    country="GB",
    city="London",
    latitude=51.5,
    longitude=-0.12,
    accuracy_km=20,
    asn=2856,
    as_org="British Telecom",
    geo_source="geoip",
)
OFFICE = NetworkInfo(
    country="GB",
    city="London",
    latitude=51.51,
    longitude=-0.09,
    accuracy_km=10,
    asn=64500,
    as_org="Northwind",
    corporate=True,
    geo_source="geoip",
)
CORP_VPN = NetworkInfo(
    country="NL",
    city="Amsterdam",
    latitude=52.37,
    longitude=4.9,
    accuracy_km=50,
    asn=64501,
    as_org="Northwind VPN",
    vpn=True,
    hosting=True,
    corporate=True,
    geo_source="geoip",
)
ATTACKER = NetworkInfo(
    country="US",
    city="Ashburn",
    latitude=39.04,
    longitude=-77.49,
    accuracy_km=100,
    asn=14061,
    as_org="DigitalOcean",
    vpn=True,
    hosting=True,
    geo_source="geoip",
)
ABROAD = NetworkInfo(
    country="JP",
    city="Tokyo",
    latitude=35.68,
    longitude=139.69,
    accuracy_km=20,
    asn=2516,
    as_org="KDDI",
    geo_source="geoip",
)


def signin(
    sid: str,
    minutes: float,
    *,
    network: NetworkInfo = HOME,
    device: str | None = "dev-1",
    success: bool = True,
    interactive: bool = True,
    user: str = USER,
    managed: bool = True,
    browser: str = "Edge 120.0",
    os: str = "Windows10",
    ip: str = "81.2.69.10",
    risk: str | None = None,
) -> SignIn:
    return SignIn(
        id=sid,
        time=T0 + int(minutes * MINUTE_MS),
        user=user,
        success=success,
        error_code=0 if success else 50126,
        ip=ip,
        device_id=device,
        device_name=f"LAPTOP-{device}" if device else None,
        device_os=os,
        browser=browser,
        device_managed=managed if device else None,
        device_compliant=managed if device else None,
        interactive=interactive,
        network=network,
        risk_level=risk,
    )


def history(days: int = 10, *, user: str = USER, network: NetworkInfo = HOME) -> list[SignIn]:
    """A settled user: one sign-in a day from the same laptop and home network."""
    return [
        signin(f"h{d}-{user}", (d - days) * DAY_MS / MINUTE_MS, user=user, network=network)
        for d in range(days)
    ]


def change(
    cid: str,
    minutes: float,
    kind: str = "password_reset",
    *,
    by_other: bool = True,
    user: str = USER,
    actor: str = "agent7@northwind.test",
    source: str = "audit",
    **extra: object,
) -> CredentialChange:
    return CredentialChange(
        id=cid,
        time=T0 + int(minutes * MINUTE_MS),
        user=user,
        kind=kind,  # type: ignore[arg-type]
        source=source,  # type: ignore[arg-type]
        actor=actor if by_other else user,
        actor_kind="admin" if by_other else "user",
        by_other=by_other,
        activity=kind,
        **extra,  # type: ignore[arg-type]
    )


def call(cid: str, minutes: float, number: str = "+15550100", *, user: str = USER) -> CallRecord:
    return CallRecord(
        id=cid,
        start=T0 + int(minutes * MINUTE_MS),
        user=user,
        caller_number=number,
        direction="inbound",
        external=True,
    )
