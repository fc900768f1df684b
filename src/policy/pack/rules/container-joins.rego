# Joining another container's namespaces or volumes.

# METADATA
# title: no joining another container's namespaces or volumes
# description: >-
#   HostConfig.PidMode, IpcMode and NetworkMode of the form "container:X", and
#   HostConfig.VolumesFrom, unless X is the caller's own container (tenancy looked it up) and
#   mounts no host path.
# custom:
#   why: >-
#     A container that joins another one gets what that one was given: its host network or pid
#     namespace, the host paths it bind-mounts (--volumes-from), and another user's processes,
#     traffic and files. Without this rule, an admin's --network host container or -v /:/host
#     container is a way around the namespace and mount rules.
#   fix: >-
#     Run the programs that must share a namespace in one container, and share data through a named
#     volume. An admin can switch the rule off with rules.container-joins.enabled = false.
#   order: 3
#   config:
#     enabled: true
package dockgate.rules.container_joins

import rego.v1

import data.dockgate.lib

# Joining another container: its pid, ipc or network namespace (`--pid container:X`), or its
# volumes (`--volumes-from X`). Whatever that container was given comes along: host namespaces
# it shares, host paths it mounts, and the processes, traffic and files of another user. Without
# knowing whose container X is and what it holds, the join is refused. With tenancy on, the
# containers a create names are looked up (input.request.references): a join of the caller's
# own container that mounts no host path brings nothing the caller could not have asked for.
own_plain(field) if {
	some r in input.request.references
	r.field == field
	r.mine == true
	r.host_mounts == false
}
join_hint := "run the programs that must share a namespace or volumes in one container, or use a named volume; an admin can allow joins with rules.container-joins.enabled = false"

# dockerd reads "container:X" with this exact prefix (any other spelling is no join). One rule per
# field: a field lookup and a prefix test are cheaper than enumerating the three fields.
join_msg(flag, mode, ns) := sprintf("%s=%s is refused: joining another container's %s namespace also joins whatever that container shares (the host's namespaces, another user's processes)", [flag, mode, ns])

deny contains lib.violation(join_msg("--network", lib.host_config.NetworkMode, "network"), join_hint) if {
	input.request.action == "container.create"
	startswith(lib.host_config.NetworkMode, "container:")
	not own_plain("HostConfig.NetworkMode")
}

deny contains lib.violation(join_msg("--pid", lib.host_config.PidMode, "pid"), join_hint) if {
	input.request.action == "container.create"
	startswith(lib.host_config.PidMode, "container:")
	not own_plain("HostConfig.PidMode")
}

deny contains lib.violation(join_msg("--ipc", lib.host_config.IpcMode, "ipc"), join_hint) if {
	input.request.action == "container.create"
	startswith(lib.host_config.IpcMode, "container:")
	not own_plain("HostConfig.IpcMode")
}

deny contains lib.violation(msg, join_hint) if {
	input.request.action == "container.create"
	some i, source in lib.host_config.VolumesFrom
	not own_plain(sprintf("HostConfig.VolumesFrom[%d]", [i]))
	msg := sprintf("--volumes-from %v is refused: it mounts everything that container mounts, host paths included", [source])
}
