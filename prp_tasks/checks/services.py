"""The services a failed test run could not reach: a suite that needs a database or a broker its CI
starts fails (or hangs until its limit) where the machine has none, and its output says so only
deep in a driver's exception (mongoengine's 116 tests, 19 failing and the run killed at its limit,
each waiting 30 s on ``localhost:27017: [Errno 111] Connection refused``)."""

from __future__ import annotations

import re

#: a driver's refused connection and the address it named: pymongo's ``localhost:27017: [Errno
#: 111] Connection refused``, redis-py's ``Error 111 connecting to localhost:6379. Connection
#: refused.``, psycopg's ``connection to server at "localhost" (127.0.0.1), port 5432 failed:
#: Connection refused``, urllib3's ``HTTPConnectionPool(host='localhost', port=9200): … Connection
#: refused``, PyMySQL's ``Can't connect to MySQL server on 'localhost' ([Errno 111] Connection refused)``
_REFUSED = (
    re.compile(r"(?P<host>[\w.-]+|\[[\w:]+\]):(?P<port>\d{2,5})\b[^\n]{0,60}?Connection refused"),
    re.compile(r"""server at "(?P<host>[^"]+)"[^\n]{0,40}?port (?P<port>\d+) failed: Connection refused"""),
    re.compile(r"host='(?P<host>[^']+)', port=(?P<port>\d+)\)[^\n]*?Connection refused"),
    re.compile(r"Can't connect to MySQL server on '(?P<host>[^']+)'(?P<port>) \([^)]*Connection refused"),
)

#: well-known ports and the service that listens there
_PORTS = {
    "27017": "MongoDB", "6379": "Redis", "26379": "Redis Sentinel", "5432": "PostgreSQL",
    "3306": "MySQL", "5672": "RabbitMQ", "11211": "memcached", "9200": "Elasticsearch",
    "9092": "Kafka", "2181": "ZooKeeper", "9042": "Cassandra", "5984": "CouchDB", "8983": "Solr",
    "7474": "Neo4j", "7687": "Neo4j", "1433": "SQL Server", "1521": "Oracle", "4222": "NATS",
    "2379": "etcd", "8500": "Consul", "1883": "MQTT", "8086": "InfluxDB",
}  # fmt: skip

#: the most addresses named
_NAMED = 3


def unreachable(text: str) -> list[str]:
    """``localhost:27017 (MongoDB)`` for each address a refused connection in ``text`` names, in
    order, each once."""
    found: dict[str, None] = {}
    for pattern in _REFUSED:
        for match in pattern.finditer(text):
            port = match["port"] or ("3306" if "MySQL" in match[0] else "")
            address = f"{match['host']}:{port}" if port else match["host"]
            service = _PORTS.get(port, "")
            found.setdefault(f"{address} ({service})" if service else address)
    return list(found)[:_NAMED]


def services_advice(addresses: list[str]) -> str:
    """What the refused connections mean and what to do."""
    named = ", ".join(addresses)
    return (
        f"the tests could not connect to {named}: connection refused, no such service answers where the "
        "checks run; the suite needs it running there (started before the run, as the project's CI does)"
    )
