"""Read a record with the MMDB wire type of every value, to check the builder's encodings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import maxminddb
from maxminddb.decoder import Decoder

_TYPE_NAMES = {
    2: "utf8_string",
    3: "double",
    4: "bytes",
    5: "uint16",
    6: "uint32",
    8: "int32",
    9: "uint64",
    10: "uint128",
    14: "boolean",
    15: "float",
}
_CONTAINERS = {1, 7, 11}  # pointer, map, array: their members carry the types


class _TypedDecoder(Decoder):
    def _decode(self, offset: int, budget: Any, pointer_target: bool) -> tuple[Any, int]:
        ctrl = self._buffer[offset]
        type_num = ctrl >> 5 or self._buffer[offset + 1] + 7
        value, end = super()._decode(offset, budget, pointer_target)
        if type_num in _CONTAINERS:
            return value, end
        return (_TYPE_NAMES[type_num], value), end


def _names(value: Any) -> Any:
    if isinstance(value, dict):
        return {key[1]: _names(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_names(member) for member in value]
    return value[0]


def wire_types(path: Path, ip: str) -> Any:
    """The record for ``ip`` with every leaf replaced by its wire type name."""
    reader = maxminddb.open_database(str(path), maxminddb.MODE_MEMORY)
    try:
        plain = reader._decoder
        reader._decoder = _TypedDecoder(plain._buffer, plain._pointer_base)
        return _names(reader.get(ip))
    finally:
        reader.close()
