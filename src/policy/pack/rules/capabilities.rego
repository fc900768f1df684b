# Added capabilities beyond Docker's default set.

# METADATA
# title: no capabilities beyond Docker's defaults and the configured allowlist
# description: >-
#   HostConfig.CapAdd, any case, with or without the CAP_ prefix; ALL counts as every capability.
# custom:
#   why: >-
#     Capabilities such as SYS_ADMIN, SYS_MODULE, SYS_PTRACE or DAC_READ_SEARCH break out of the
#     container.
#   fix: >-
#     Remove --cap-add. An admin can allow a capability with [rules.capabilities] allow =
#     ["NET_ADMIN"].
#   order: 4
#   config:
#     enabled: true
#     allow: []
package dockgate.rules.capabilities

import rego.v1

import data.dockgate.lib

# Docker's default capability set: adding one of these changes nothing.
docker_defaults := {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
}

allowed := docker_defaults | {lib.normalise_cap(c) | some c in lib.config.rules.capabilities.allow}

deny contains lib.violation(msg, hint) if {
	input.request.action == "container.create"
	some raw in lib.host_config.CapAdd
	cap := lib.normalise_cap(raw)
	not cap in allowed
	msg := sprintf("--cap-add %s is refused: only Docker's default capabilities and the configured ones may be added", [cap])
	hint := "remove --cap-add; an admin can allow a capability in [rules.capabilities] allow"
}
