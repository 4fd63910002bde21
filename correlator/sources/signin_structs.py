"""The Graph ``signIn`` object as typed Structs: the keys the sign-in mapping reads, no others.

Two ways in, one shape out. ``msgspec`` decodes message bytes straight into these Structs and
skips every other key in C (see ``signin_bytes``). Records that are already mappings (Log
Analytics rows after renaming, Azure Monitor ``properties``, JSON lines with awkward values)
are copied in by ``signin_read.from_mapping``, which reads the same keys; nested objects (which
exporters sometimes serialise as JSON strings) are converted by ``signin_read.nested`` when the
mapping reads them.
Either way ``graph_signin.signin_from_struct`` is the only code that turns a sign-in into
``SignIn``.

The field types are what the byte decoder admits: values on which every reader answers the
same as on the mapping path (``Int64`` stops there because orjson makes larger integers
floats). ``from_mapping`` does not validate, so a reader must accept any JSON value in a
field, as the ``fields`` helpers and ``nested`` do.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_Text = str | Int64 | None  # text(): strings, and ints (numeric ids) as their decimal form
_Flag = bool | Int64 | str | None  # boolean()
_Number = float | Int64 | str | None  # integer(), parse_time()


class CamelStruct(msgspec.Struct, rename="camel", gc=False):
    """Base: camelCase keys, and no GC tracking (these never hold cycles)."""


class Status(CamelStruct):
    error_code: _Number = None
    failure_reason: _Text = None
    additional_details: _Text = None


class Device(CamelStruct):
    device_id: _Text = None
    display_name: _Text = None
    operating_system: _Text = None
    browser: _Text = None
    trust_type: _Text = None
    is_compliant: _Flag = None
    is_managed: _Flag = None


class Geo(CamelStruct):
    latitude: object = None  # number(): every type maps the same way
    longitude: object = None


class Location(CamelStruct):
    city: _Text = None
    country_or_region: _Text = None
    geo_coordinates: Geo | None = None


class Mfa(CamelStruct):
    auth_method: _Text = None


class Step(CamelStruct):
    succeeded: object = None  # only ``is True`` counts
    authentication_step_requirement: object = None
    authentication_method: _Text = None


class GraphSignIn(CamelStruct):
    """The keys of a Graph signIn that the mapping reads, and nothing else."""

    created_date_time: _Number = None
    user_principal_name: _Text = None
    user_id: _Text = None
    status: Status | None = None
    ip_address: object = None
    id: _Text = None
    unique_token_identifier: _Text = None
    original_request_id: _Text = None
    correlation_id: _Text = None
    user_agent: _Text = None
    app_display_name: _Text = None
    app_id: _Text = None
    client_app_used: _Text = None
    authentication_requirement: _Text = None
    risk_level_during_sign_in: _Text = None
    risk_state: _Text = None
    risk_event_types: object = None
    risk_event_types_v2: object = msgspec.field(default=None, name="riskEventTypes_v2")
    is_interactive: _Flag = None
    sign_in_event_types: object = None
    mfa_detail: Mfa | None = None
    authentication_details: list[Step] | None = None
    autonomous_system_number: object = None
    device_detail: Device | None = None
    location: Location | None = None
    # Only the byte decoder fills it: a record holding it is not a Graph sign-in (sniff), and
    # Raw skips it unparsed. An absent key leaves it empty.
    properties: msgspec.Raw = msgspec.Raw()


class GraphPage(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """``{"value": [...]}`` with the ``@odata`` keys Graph adds. ``decode_payload`` splits a
    page only when every other key starts with ``@``; an unknown key here declines instead."""

    value: list[GraphSignIn]
    context: str | None = msgspec.field(default=None, name="@odata.context")
    next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")
    delta_link: str | None = msgspec.field(default=None, name="@odata.deltaLink")
    count: Int64 | None = msgspec.field(default=None, name="@odata.count")


class MonitorSignIn(msgspec.Struct, gc=False):
    """An Azure Monitor (diagnostic setting) sign-in record, keys as Microsoft writes them."""

    properties: GraphSignIn | None = None
    category: str | None = None
    time: str | None = None
    caller_ip_address: str | None = msgspec.field(default=None, name="callerIpAddress")
    result_type: str | Int64 | None = msgspec.field(default=None, name="resultType")
    # Keys that make sniff() call the record something else: present, the record declines.
    kind: msgspec.Raw = msgspec.field(default=msgspec.Raw(), name="type")
    start: msgspec.Raw = msgspec.field(default=msgspec.Raw(), name="startDateTime")
    table_time: msgspec.Raw = msgspec.field(default=msgspec.Raw(), name="TimeGenerated")
    table_source: msgspec.Raw = msgspec.field(default=msgspec.Raw(), name="SourceSystem")


class MonitorEnvelope(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    records: list[MonitorSignIn]
