# Swarm: services, secrets and configs, and the swarm and its nodes themselves.

# METADATA
# title: no swarm, node, service, secret or config changes
# description: Write actions on swarm, node, service, secret and config.
# custom:
#   why: >-
#     Services run containers with their own mounts and privileges, outside the per-container rules.
#   fix: Ask an admin.
#   order: 18
#   config:
#     enabled: true
package dockgate.rules.swarm

import rego.v1

import data.dockgate.lib

swarm_changes := {
	"swarm.init", "swarm.join", "swarm.leave", "swarm.update", "swarm.unlock",
	"node.update", "node.delete",
	"service.create", "service.update", "service.delete",
	"secret.create", "secret.update", "secret.delete",
	"config.create", "config.update", "config.delete",
	"volume.update",
}

deny contains lib.violation(msg, "swarm services bypass per-container rules; ask an admin") if {
	swarm_changes[input.request.action]
	msg := sprintf("%s is refused: swarm and node changes are for admins", [lib.action])
}
