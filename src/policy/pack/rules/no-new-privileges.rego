# Containers that set no-new-privileges (off by default).

# METADATA
# title: (optional) containers must set no-new-privileges
# description: HostConfig.SecurityOpt contains no-new-privileges.
# custom:
#   why: Without it, setuid binaries in the image can raise privileges inside the container.
#   fix: Add --security-opt no-new-privileges.
#   order: 25
#   config:
#     enabled: false
package dockgate.rules.no_new_privileges

import rego.v1

import data.dockgate.lib

deny contains lib.violation("containers must set no-new-privileges here", "add --security-opt no-new-privileges") if {
	input.request.action == "container.create"
	not no_new_privileges
}

no_new_privileges if {
	some opt in lib.host_config.SecurityOpt
	opt in {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}
}
