"""Test bed for acrbrowse: real CNCF distribution registries on loopback.

See :class:`tests.testbed.bed.Testbed`, :class:`tests.testbed.faultproxy.FaultProxy`
and :class:`tests.testbed.content.Content`. ``python -m tests.testbed`` runs a
standing bed for manual runs and benchmarks.
"""

from .bed import USERS, Testbed
from .content import Blob, Content, Manifest
from .faultproxy import BlobServer, FaultProxy, LogEntry, Rule
from .registry import Endpoint, TestbedError
from .tokenserver import TokenServer, decode_jwt

__all__ = [
    "USERS", "Testbed", "Blob", "Content", "Manifest", "BlobServer", "FaultProxy", "LogEntry", "Rule",
    "Endpoint", "TestbedError", "TokenServer", "decode_jwt",
]
