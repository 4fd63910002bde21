"""Connectors to a tenant: Microsoft Graph, Event Hubs, directory sync and file ingest."""
