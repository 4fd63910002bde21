"""correlator: catch account takeover after helpdesk voice phishing."""

__version__ = "0.1.0"
