# Added capabilities beyond Docker's default set.
package dockgate.rules.capabilities

import rego.v1

import data.dockgate.lib

# Docker's default capability set: adding one of these changes nothing.
docker_defaults := {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
}

allowed := docker_defaults | {lib.normalise_cap(c) | some c in lib.config.rules.capabilities.allow}

deny contains lib.violation("capabilities", msg, hint) if {
	input.request.action == "container.create"
	some raw in lib.host_config.CapAdd
	lib.config.rules.capabilities.enabled
	lib.applies
	cap := lib.normalise_cap(raw)
	not cap in allowed
	msg := sprintf("--cap-add %s is refused: only Docker's default capabilities and the configured ones may be added", [cap])
	hint := "remove --cap-add; an admin can allow a capability in [rules.capabilities] allow"
}
