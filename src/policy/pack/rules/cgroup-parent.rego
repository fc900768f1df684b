# The cgroup a container or build runs under.

# METADATA
# title: no --cgroup-parent outside the configured cgroup
# description: HostConfig.CgroupParent on create and the cgroupparent query of builds.
# custom:
#   why: Choosing the parent cgroup escapes the limits placed on your containers.
#   fix: Drop --cgroup-parent.
#   order: 16
#   config:
#     enabled: true
#     allow: []
package dockgate.rules.cgroup_parent

import rego.v1

import data.dockgate.lib

deny contains lib.violation(msg, "drop --cgroup-parent; dockgate places containers in the configured cgroup") if {
	parent := requested_parent
	parent != ""
	not allowed(parent)
	msg := sprintf("--cgroup-parent %s is refused: it would escape the configured resource limits", [parent])
}

requested_parent := lib.host_config.CgroupParent if input.request.action == "container.create"

requested_parent := input.request.query.cgroupparent if lib.action == "image.build"

allowed(parent) if {
	some root in lib.config.rules["cgroup-parent"].allow
	lib.path_under(parent, root)
}

# The caller's own cgroup, where the quotas rule puts their containers.
allowed(parent) if parent == lib.user_cgroup_parent
