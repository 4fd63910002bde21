"""Finding -> OCSF 1.8.0 Detection Finding JSON for the SIEM, and its terminal rendering."""

from correlator.alerts.encode import (
    PRODUCT_NAME,
    VENDOR_NAME,
    alert_key,
    encode_alert,
    finding_to_ocsf,
)
from correlator.alerts.render import render_alert_text

__all__ = [
    "PRODUCT_NAME",
    "VENDOR_NAME",
    "alert_key",
    "encode_alert",
    "finding_to_ocsf",
    "render_alert_text",
]
