# Containers that run as a user other than root (off by default).

# METADATA
# title: (optional) containers must not run as root
# description: Config.User is set and not root or uid 0.
# custom:
#   why: Root in a container is one kernel bug away from root on the host.
#   fix: Add --user UID:GID.
#   order: 23
#   config:
#     enabled: false
package dockgate.rules.no_root_user

import rego.v1

import data.dockgate.lib

deny contains lib.violation("containers must not run as root here", "add --user UID:GID (a non-zero uid)") if {
	input.request.action == "container.create"
	root_user(object.get(lib.body, "User", ""))
}

root_user("")

root_user(u) if split(u, ":")[0] in {"root", "0"}
