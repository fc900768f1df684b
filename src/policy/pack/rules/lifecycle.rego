# Requests after create that can change what a container may do. Write-down of every route whose
# body or query carries privilege: docs/threat-model.md ("The whole lifecycle").

# METADATA
# title: no start bodies, checkpoints, or updates beyond resource limits
# description: >-
#   A body on container start (applied as a new HostConfig by API versions below 1.24), start from a
#   checkpoint and checkpoint routes, and docker update fields other than limits and the restart
#   policy.
# custom:
#   why: >-
#     A container allowed at create must not be given binds, privileges, devices or namespaces
#     afterwards through another request.
#   fix: Give every setting when the container is created; use docker update for limits only.
#   order: 11
#   config:
#     enabled: true
package dockgate.rules.lifecycle

import rego.v1

import data.dockgate.lib

# API versions below 1.24 apply a start body as the container's new HostConfig (binds,
# privileges, namespaces), after the create was judged; later versions refuse such a body.
deny contains lib.violation("a body on container start is refused: on API versions below 1.24 dockerd applies it as a new HostConfig", "give every setting when the container is created (docker create/run); start sends no body") if {
	input.request.action == "container.start"
	input.Body != null
}

deny contains lib.violation(msg, "start the container without a checkpoint; an admin can restore checkpoints") if {
	input.request.action == "container.start"
	some key in ["checkpoint", "checkpoint-dir"]
	object.get(input.request.query, key, "") != ""
	msg := sprintf("starting from a checkpoint (%s) is refused: the checkpoint directory is a host path dockerd reads as root", [key])
}

deny contains lib.violation(msg, "checkpoints are for admins") if {
	startswith(input.request.action, "container.checkpoint.")
	msg := sprintf("%s is refused: checkpoints are written to and restored from host paths as root", [lib.action])
}

# docker update: only resource limits and the restart policy; the device and cgroup fields of
# the same Resources structure are create-time decisions.
update_fields := {
	"CpuShares", "Memory", "NanoCpus", "BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps",
	"BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota",
	"CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "KernelMemory",
	"KernelMemoryTCP", "MemoryReservation", "MemorySwap", "MemorySwappiness", "OomKillDisable",
	"PidsLimit", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth", "RestartPolicy",
}

deny contains lib.violation(msg, "change devices and the cgroup parent by creating a new container") if {
	input.request.action == "container.update"
	some field, value in lib.body
	not field in update_fields
	lib.set(value)
	msg := sprintf("docker update of %s is refused: only resource limits and the restart policy can be changed", [field])
}
