# Host mounts run as the caller: a container that mounts a host path gets no more of it than the
# caller already has. Its processes run as the caller's uid:gid (explicit gid: no supplementary
# groups from the image's /etc/group) with no-new-privileges (no setuid binary or file capability
# raises them), so whatever the bind resolves to at start, root in the container is not root on
# that path. The proxy rewrites the create through data.dockgate.mutate; what it cannot rewrite
# safely it refuses.

# METADATA
# title: a container that mounts a host path runs as you (uid:gid, no-new-privileges)
# description: >-
#   Container create with any BindMounts entry (binds, bind mounts, local volumes over host paths):
#   Config.User is rewritten to the caller's UID:GID and no-new-privileges is added; another --user,
#   --group-add other than the primary group, and exec as another user into such a container are
#   refused.
# custom:
#   why: >-
#     Root in a container with Docker's default capabilities can chown and chmod files on a mounted
#     host path: a setuid-root copy of a shell in your home is root on the host. A path checked at
#     create can also be swapped by a symlink before a later start. Running as you, the container
#     gets no more of the host than you already have, whatever the mount resolves to.
#   fix: >-
#     Let the container run as you (drop --user, or use --user UID:GID with your own ids); files it
#     writes in the mount are yours. If the daemon remaps users (userns-remap, rootless), an admin
#     can set [rules.run-as-caller] enabled = false.
#   order: 9
#   config:
#     enabled: true
package dockgate.rules.run_as_caller

import rego.v1

import data.dockgate.lib

# The user a host-mounting container of this caller runs as: numeric, with an explicit group.
caller_user := sprintf("%d:%d", [input.identity.uid, input.identity.gid]) if {
	is_number(input.identity.uid)
	is_number(input.identity.gid)
}

# What a client may ask for and still be rewritten to caller_user: nothing, or the caller's own uid.
acceptable_user("")

acceptable_user(u) if u == caller_user

acceptable_user(u) if u == sprintf("%d", [input.identity.uid])

mounts_host if count(input.BindMounts) > 0

requested_user := object.get(lib.body, "User", "")

hint := sprintf("drop --user, or use --user %s: a container that mounts a host path runs as you", [caller_user])

else := "drop --user: a container that mounts a host path runs as you"

deny contains lib.violation(msg, hint) if {
	input.request.action == "container.create"
	mounts_host
	not acceptable_user(requested_user)
	msg := sprintf("running as user %q with a host mount is refused: the container could use the mounted path as that user%s", [requested_user, root_note(requested_user)])
}

root_note(u) := " (root on the host)" if {
	some part in split(u, ":")
	part in {"0", "root"}
}

else := ""

deny contains lib.violation("a host mount needs a caller with a Unix uid and gid (a TLS or anonymous caller has none)", "connect through dockgate's Unix socket, or use a named volume") if {
	input.request.action == "container.create"
	mounts_host
	not caller_user
}

deny contains lib.violation(msg, "drop --group-add: a container that mounts a host path runs with your primary group only") if {
	input.request.action == "container.create"
	mounts_host
	some g in lib.host_config.GroupAdd
	g != sprintf("%d", [input.identity.gid])
	msg := sprintf("--group-add %v with a host mount is refused: the container could use the mounted path as that group", [g])
}

# Entering such a container as another user is what --user at create would have been.
deny contains lib.violation(msg, "run docker exec without --user: the container runs as its creator") if {
	input.request.action == "container.exec.create"
	input.target.host_mounts
	effective := exec_user
	not effective == caller_user
	msg := sprintf("exec as user %q in a container that mounts a host path is refused: it could use the mounted path as that user", [effective])
}

# An exec without a user runs as the container's user.
exec_user := u if {
	u := object.get(lib.body, "User", "")
	u != ""
} else := input.target.user

# The rewrite: run as the caller, with no-new-privileges.
mutations contains {"op": "add", "path": "/User", "value": caller_user} if {
	input.request.action == "container.create"
	mounts_host
	requested_user != caller_user
	acceptable_user(requested_user)
}

mutations contains op if {
	input.request.action == "container.create"
	mounts_host
	caller_user
	not no_new_privileges
	op := nnp_op
}

nnp_op := {"op": "add", "path": "/HostConfig/SecurityOpt/-", "value": "no-new-privileges"} if is_array(lib.host_config.SecurityOpt)

else := {"op": "add", "path": "/HostConfig/SecurityOpt", "value": ["no-new-privileges"]}

# dockerd applies the security options in order: the last no-new-privileges setting wins.
no_new_privileges if {
	settings := [v | some opt in lib.host_config.SecurityOpt; v := nnp_setting(opt)]
	count(settings) > 0
	settings[count(settings) - 1] == true
}

nnp_setting("no-new-privileges") := true

nnp_setting(opt) := v if {
	some sep in ["=", ":"]
	parts := split(opt, sep)
	count(parts) == 2
	parts[0] == "no-new-privileges"
	v := parts[1] in {"1", "t", "T", "TRUE", "true", "True"}
}

# Host-path Binds are rewritten as bind Mounts. dockerd creates a missing Binds source at every
# start (MkdirAll as root, following symlinks the caller may have swapped in since the create),
# but never the source of a bind Mount: there, a missing source is an error.
host_bind(spec) := parts if {
	startswith(spec, "/")
	parts := split(spec, ":")
	count(parts) in {2, 3}
}

propagation_modes := {"private", "rprivate", "shared", "rshared", "slave", "rslave"}

# Options of a Binds entry that a bind Mount expresses too (SELinux relabelling, z and Z, has no
# Mounts form; "nocopy" concerns volumes only).
bind_options := propagation_modes | {"ro", "rw", "nocopy", "consistent", "cached", "delegated"}

bind_opts(parts) := {o | some o in split(mode_text(parts), ","); o != ""}

mode_text(parts) := parts[2] if count(parts) == 3

else := ""

as_mount(parts) := object.union(base, propagation(opts)) if {
	opts := bind_opts(parts)
	every o in opts {
		o in bind_options
	}
	base := {"Type": "bind", "Source": parts[0], "Target": parts[1], "ReadOnly": "ro" in opts}
}

propagation(opts) := {"BindOptions": {"Propagation": mode}} if {
	some mode in opts
	mode in propagation_modes
} else := {}

host_binds := [parts | some spec in lib.host_config.Binds; parts := host_bind(spec)]

deny contains lib.violation(msg, "drop the option; on a host without SELinux, z and Z change nothing") if {
	input.request.action == "container.create"
	some parts in host_binds
	not as_mount(parts)
	msg := sprintf("the bind %s:%s with options %q is refused: a host bind runs as a bind mount here, which has no such option", [parts[0], parts[1], mode_text(parts)])
}

# Volumes backed by host paths are mounted without copy-up: dockerd copies the image's files into
# an empty volume at its first mount as root, keeping owners and modes, which would put the
# image's setuid-root files on the host path whatever user the container runs as.
host_volume_names := {substring(m.Via, 7, -1) | some m in input.BindMounts; startswith(m.Via, "volume:")}

new_binds := [b | some spec in lib.host_config.Binds; not host_bind(spec); b := without_copy_up(spec)]

without_copy_up(spec) := concat(":", [parts[0], parts[1], concat(",", array.concat([o | some o in split(mode_text(parts), ","); o != ""], ["nocopy"]))]) if {
	parts := split(spec, ":")
	count(parts) in {2, 3}
	parts[0] in host_volume_names
	not "nocopy" in bind_opts(parts)
} else := spec

mutations contains {"op": "add", "path": "/HostConfig/Binds", "value": new_binds} if {
	input.request.action == "container.create"
	mounts_host
	is_array(lib.host_config.Binds)
	new_binds != lib.host_config.Binds
}

new_mounts := array.concat([without_copy_up_mount(m) | some m in existing_mounts], [as_mount(parts) | some parts in host_binds])

without_copy_up_mount(m) := object.union(m, {"VolumeOptions": object.union(object.get(m, "VolumeOptions", {}), {"NoCopy": true})}) if {
	m.Type == "volume"
	object.get(m, "Source", "") in host_volume_names
	not m.VolumeOptions.NoCopy == true
} else := m

mutations contains {"op": "add", "path": "/HostConfig/Mounts", "value": new_mounts} if {
	input.request.action == "container.create"
	mounts_host
	new_mounts != existing_mounts
}

existing_mounts := lib.host_config.Mounts if is_array(lib.host_config.Mounts)

else := []

# Mount points inside a host mount: runc creates each missing mount point as root, inside whatever
# the host path resolves to when the container starts (a symlink swapped to /etc after the create
# puts root-owned entries there). So no other mount, and none of the ones Docker itself makes,
# may lie below a host mount's target.
docker_mount_points := {
	"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/dev/shm", "/dev/console", "/sys", "/sys/fs/cgroup",
	"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/sbin/docker-init",
}

container_path(p) := trim_suffix(p, "/") if p != "/"

else := p

# Every container path a mount of this create uses.
mount_targets contains container_path(t) if {
	some spec in lib.host_config.Binds
	parts := split(spec, ":")
	t := parts[min([1, count(parts) - 1])]
}

mount_targets contains container_path(m.Target) if some m in lib.host_config.Mounts

mount_targets contains container_path(t) if some t, _ in lib.host_config.Tmpfs

mount_targets contains container_path(t) if some t, _ in object.get(lib.body, "Volumes", {})

deny contains lib.violation(msg, "mount the host path where nothing else is mounted below it (e.g. -v $HOME/src:/src)") if {
	input.request.action == "container.create"
	some m in input.BindMounts
	dest := container_path(m.Destination)
	some t in mount_targets | docker_mount_points
	t != dest
	lib.path_under(t, dest)
	msg := sprintf("mounting %s at %s is refused: %s lies below it, and its mount point would be made as root inside the host path", [m.Source, dest, t])
}

deny contains lib.violation(msg, "write container paths without . or .. components") if {
	input.request.action == "container.create"
	count(input.BindMounts) > 0
	some t in mount_targets
	regex.match(`(^|/)\.\.?(/|$)`, t)
	msg := sprintf("the mount target %s is refused: a host mount's targets are compared as written", [t])
}
