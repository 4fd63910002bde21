"""OCSF ``device`` and ``os`` objects from the free-text OS names sign-in logs report."""

from __future__ import annotations

# Lower-cased prefixes of Entra ``operatingSystem`` values -> (os.type_id, os.type); order
# matters (iPadOS before iOS, Windows Mobile before Windows).
_OS_PREFIXES: tuple[tuple[str, int, str], ...] = (
    ("windows mobile", 101, "Windows Mobile"),
    ("windows phone", 101, "Windows Mobile"),
    ("windows", 100, "Windows"),
    ("ipados", 302, "iPadOS"),
    ("ios", 301, "iOS"),
    ("macos", 300, "macOS"),
    ("mac os", 300, "macOS"),
    ("os x", 300, "macOS"),
    ("android", 201, "Android"),
    ("linux", 200, "Linux"),
    ("ubuntu", 200, "Linux"),
)
OS_OTHER = 99
# os.type_id -> device.type_id: only where the OS settles the form factor.
_DEVICE_TYPES: dict[int, tuple[int, str]] = {
    101: (5, "Mobile"),
    201: (5, "Mobile"),
    301: (5, "Mobile"),
    302: (4, "Tablet"),
}
DEVICE_UNKNOWN = 0


def os_type(name: str) -> tuple[int, str]:
    lowered = name.strip().lower()
    for prefix, type_id, caption in _OS_PREFIXES:
        if lowered.startswith(prefix):
            return type_id, caption
    return OS_OTHER, "Other"


def device_object(
    uid: str | None, name: str | None, os_name: str | None = None
) -> dict[str, object] | None:
    """A device, or None when neither id nor name is known (OCSF requires one of them)."""
    if not (uid or name):
        return None
    device: dict[str, object] = {"type_id": DEVICE_UNKNOWN, "type": "Unknown"}
    if uid:
        device["uid"] = uid
    if name:
        device["name"] = name
    if os_name:
        os_type_id, os_caption = os_type(os_name)
        device["os"] = {"name": os_name, "type_id": os_type_id, "type": os_caption}
        type_id, caption = _DEVICE_TYPES.get(os_type_id, (DEVICE_UNKNOWN, "Unknown"))
        device |= {"type_id": type_id, "type": caption}
    return device
