# Privileged mode: every capability, every host device, no seccomp or AppArmor confinement.

# METADATA
# title: no privileged containers or privileged exec
# description: HostConfig.Privileged on container create, and Privileged on exec create.
# custom:
#   why: >-
#     A privileged container gets every capability, every host device and no seccomp or AppArmor
#     confinement: it can mount the host disk and load kernel modules. It is root on the host.
#   fix: >-
#     Run without --privileged. Add only the capabilities the program needs with --cap-add (if
#     allowed by [rules.capabilities] allow) and pass single devices with --device if allowed.
#   order: 1
#   config:
#     enabled: true
package dockgate.rules.privileged

import rego.v1

import data.dockgate.lib

hint := "run without --privileged: add only the capabilities the program needs with --cap-add, and pass single devices with --device if they are allowed"

deny contains lib.violation("privileged mode is refused: a privileged container is root on the host", hint) if {
	input.request.action == "container.create"
	lib.host_config.Privileged == true
}

deny contains lib.violation("privileged exec is refused: it gives the process every capability of the host", "run docker exec without --privileged") if {
	input.request.action == "container.exec.create"
	lib.body.Privileged == true
}
