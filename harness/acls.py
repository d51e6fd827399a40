"""Kafka ACLs for the SASL_SSL tests: the worker's minimal grants, and creating them as the admin.

aiokafka's admin client has no ACL method, but aiokafka ships the CreateAcls request (v1, which
Kafka 4.1 still serves); :func:`grant` sends it, one binding per request, and fails on any error
the broker returns. Kafka's own ``kafka-acls.sh`` would need the ``kafka-tools`` jar and its
Connect/Jetty dependencies in ``deploy/kafka/pom.xml``; this needs nothing new.

:func:`worker_acls` is the minimum the worker runs with, found by testing (docs/runbook.md,
"Security" lists it and says why each one is there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest


class ResourceType(IntEnum):  # org.apache.kafka.common.resource.ResourceType codes
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5


class Operation(IntEnum):  # org.apache.kafka.common.acl.AclOperation codes
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    IDEMPOTENT_WRITE = 12


class Pattern(IntEnum):  # org.apache.kafka.common.resource.PatternType codes
    LITERAL = 3
    PREFIXED = 4


ALLOW = 3  # AclPermissionType.ALLOW
ANY_HOST = "*"
CLUSTER_NAME = "kafka-cluster"  # the one name the cluster resource has

_NAMES = {
    ResourceType.TOPIC: "Topic",
    ResourceType.GROUP: "Group",
    ResourceType.CLUSTER: "Cluster",
    ResourceType.TRANSACTIONAL_ID: "TransactionalId",
}


@dataclass(frozen=True)
class Acl:
    """One ALLOW binding for a principal: ``operation`` on ``resource:name``."""

    resource: ResourceType
    name: str
    operation: Operation
    pattern: Pattern = Pattern.LITERAL

    def __str__(self) -> str:
        star = "*" if self.pattern is Pattern.PREFIXED else ""
        operation = self.operation.name.title().replace("_", "")
        return f"{operation} on {_NAMES[self.resource]}:{self.name}{star}"


def worker_acls(
    app_id: str,
    *,
    raw: str,
    enriched: str,
    deadletter: str,
    prepared: str | None,
    stories: str,
    exactly_once: bool = True,
    creates_topics: bool = True,
) -> list[Acl]:
    """What the worker needs, and no more (docs/runbook.md, "Security"; found by taking each
    grant away in turn). ``prepared`` is None in the single topology.

    Read and Write each imply Describe. Create on each topic only when the worker creates it
    (``wirestream worker`` creates the missing ones at start; faust creates the changelog). The
    transactional ids, under exactly_once, are ``<app_id>-<topic group>-<partition>``.
    IdempotentWrite on the cluster is not needed: Write on a topic covers it since Kafka 3.0
    (KIP-679)."""
    topic = ResourceType.TOPIC
    read, write = Operation.READ, Operation.WRITE
    changelogs = [f"{app_id}-dedupe-changelog", f"{app_id}-stories-changelog"]
    acls = [
        Acl(topic, raw, read),
        Acl(topic, enriched, write),
        Acl(topic, deadletter, write),
        Acl(topic, stories, write),
        *(Acl(topic, name, op) for name in changelogs for op in (read, write)),
        Acl(ResourceType.GROUP, app_id, read),
    ]
    if prepared is not None:
        acls += [Acl(topic, prepared, read), Acl(topic, prepared, write)]
    if exactly_once:
        acls.append(Acl(ResourceType.TRANSACTIONAL_ID, f"{app_id}-", write, Pattern.PREFIXED))
    if creates_topics:
        created = [
            raw,
            enriched,
            deadletter,
            stories,
            *([prepared] if prepared else []),
            *changelogs,
        ]
        acls += [Acl(topic, name, Operation.CREATE) for name in created]
    return acls


def tool_acls(*, raw: str, enriched: str, deadletter: str) -> list[Acl]:
    """What an operator's principal needs for ``wirestream produce`` (to the raw topic), ``tail
    --deadletters`` and ``deadletter inspect|replay``: the topics must exist (the worker or an
    admin creates them)."""
    topic = ResourceType.TOPIC
    return [
        Acl(topic, raw, Operation.WRITE),
        Acl(topic, enriched, Operation.READ),
        Acl(topic, deadletter, Operation.READ),
    ]


class AclError(RuntimeError):
    """The broker refused to create an ACL."""


async def create_acls(options: dict[str, Any], principal: str, acls: Iterable[Acl]) -> None:
    """Create ``acls`` for ``principal`` (``User:name``), connecting with ``options`` (an admin's
    aiokafka client options)."""
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        for acl in acls:
            request = CreateAclsRequest(
                acl.resource, acl.name, acl.pattern, principal, ANY_HOST, acl.operation, ALLOW
            )
            response = await admin._send_request(request)
            for code, message in response.creation_responses:
                if code:
                    raise AclError(f"{acl} for {principal}: {for_code(code).__name__}: {message}")
    finally:
        await admin.close()


def grant(options: dict[str, Any], principal: str, acls: Iterable[Acl]) -> None:
    """Synchronous :func:`create_acls`, for fixtures."""
    asyncio.run(create_acls(options, principal, list(acls)))
