"""confluent-kafka's AdminClient.list_groups() (ListGroups v0 + DescribeGroups v0
in librdkafka 2.0.2) for test/interop/groups-confluent.test.ts.

argv[1] is JSON: {"bootstrap": "host:port"}. Prints one JSON array: per group
{"id", "state", "protocolType", "protocol", "members": [{"clientId",
"clientHost", "assignmentBytes"}]}.
"""
import json
import sys

from confluent_kafka.admin import AdminClient

cfg = json.loads(sys.argv[1])
admin = AdminClient({"bootstrap.servers": cfg["bootstrap"], "socket.timeout.ms": 10000})
groups = admin.list_groups(timeout=15)
print(json.dumps([
    {
        "id": g.id,
        "state": g.state,
        "protocolType": g.protocol_type,
        "protocol": g.protocol,
        "members": [{"clientId": m.client_id, "clientHost": m.client_host, "assignmentBytes": len(m.assignment)} for m in g.members],
    }
    for g in groups
]))
