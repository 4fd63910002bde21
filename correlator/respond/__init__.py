"""Response actions: revoke sessions, confirm compromised, disable, behind a safety policy."""
