"""Runtimes that drive the pure core: native (confluent-kafka), faust, replay, embedded broker.

Submodules are imported on demand so that importing one runtime never pulls in another's
third-party dependencies.
"""
