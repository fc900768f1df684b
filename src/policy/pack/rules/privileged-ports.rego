# Published host ports: binding a port below the unprivileged range is a right of root on the host.

# METADATA
# title: no publishing on host ports below 1024
# description: >-
#   HostConfig.PortBindings HostPort (single ports and ranges) below [rules.privileged-ports]
#   lowest.
# custom:
#   why: >-
#     Ports below 1024 are a right of root on the host: a user could stand in for the host's own
#     services.
#   fix: Publish on a port from 1024 up (-p 8080:80).
#   order: 15
#   config:
#     enabled: true
#     lowest: 1024
package dockgate.rules.privileged_ports

import rego.v1

import data.dockgate.lib

lowest := lib.config.rules["privileged-ports"].lowest

deny contains lib.violation(msg, sprintf("publish on a host port from %d up (-p 8080:80)", [lowest])) if {
	input.request.action == "container.create"
	some container_port, bindings in lib.host_config.PortBindings
	some b in bindings
	host_port := object.get(b, "HostPort", "")
	not unprivileged(host_port)
	msg := sprintf("publishing host port %v (for %s) is refused: ports below %d are for admins", [host_port, container_port, lowest])
}

# "" and "0" ask the daemon for a free ephemeral port; a range "A-B" must start at or above the bound.
unprivileged("")

unprivileged("0")

unprivileged(p) if {
	is_string(p)
	regex.match(`^[0-9]+(-[0-9]+)?$`, p)
	to_number(split(p, "-")[0]) >= lowest
}
