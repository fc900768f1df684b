# Options of dockerd's `local` volume driver, judged by what the kernel mount would do. Host paths
# the mount would use (device, overlay directories) are binds: BindMounts carries them, and the
# mounts and run-as-caller rules judge them. What remains must be an option known to be harmless.

# METADATA
# title: local volume options only when known to be harmless (tmpfs, binds judged as binds)
# description: >-
#   DriverOpts of local volumes (volume create, --mount volume-opt): keys type, o, device, size;
#   types tmpfs, none, bind; o flags and tmpfs settings from an allowlist. Host paths the mount
#   would use are judged as binds by mounts and run-as-caller.
# custom:
#   why: >-
#     The local driver is mount(8): o=bind makes device a bind of any host path whatever type says,
#     and other types take host paths or remote servers in their options.
#   fix: >-
#     Use a plain named volume, a tmpfs (type=tmpfs with size, mode, uid, gid), or a bind of a
#     directory under your home.
#   order: 13
#   config:
#     enabled: true
package dockgate.rules.volume_options

import rego.v1

import data.dockgate.lib

# dockerd's local driver takes these four options and refuses others.
known_keys := {"type", "o", "device", "size"}

# Mount types a non-admin may ask for: tmpfs, and binds (type none/bind with o=bind).
known_types := {"", "none", "bind", "tmpfs"}

# Flags of `o` that change nothing beyond the mount itself.
known_flags := {
	"ro", "rw", "bind", "rbind", "nosuid", "nodev", "noexec", "sync", "async", "dirsync",
	"noatime", "nodiratime", "relatime", "strictatime", "lazytime", "nosymfollow",
}

# tmpfs settings (key=value): sizes and the mode and owner of its root.
known_settings := {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks"}

# Every set of local driver options in the request, named for the message.
option_sets contains [name, opts] if {
	input.request.action == "volume.create"
	object.get(lib.body, "Driver", "") in {"", "local"}
	opts := object.get(lib.body, "DriverOpts", {})
	is_object(opts)
	name := sprintf("volume %s", [object.get(lib.body, "Name", "")])
}

option_sets contains [name, opts] if {
	input.request.action == "container.create"
	some m in lib.host_config.Mounts
	object.get(m, ["VolumeOptions", "DriverConfig", "Name"], "") in {"", "local"}
	opts := m.VolumeOptions.DriverConfig.Options
	is_object(opts)
	name := sprintf("volume %s of --mount", [object.get(m, "Source", "")])
}

deny contains lib.violation(msg, hint) if {
	some pair in option_sets
	[name, opts] := pair
	some problem in problems(opts)
	msg := sprintf("%s: %s", [name, problem])
	hint := "use a plain named volume, a tmpfs (type=tmpfs with size/mode/uid/gid), or a bind of a directory under your home"
}

problems(opts) := {p |
	some key, _ in opts
	not key in known_keys
	p := sprintf("driver option %q is refused: the local driver's options are type, o, device and size", [key])
} | {p |
	not object.get(opts, "type", "") in known_types
	p := sprintf("mount type %q is refused: only tmpfs and binds", [opts.type])
} | {p |
	some flag in split(object.get(opts, "o", ""), ",")
	flag != ""
	not known_option(flag)
	p := sprintf("mount option %q is refused: it is not known to be harmless", [flag])
}

known_option(flag) if flag in known_flags

known_option(flag) if {
	[key, value] := split(flag, "=")
	key in known_settings
	regex.match(`^[0-9]+[kmgKMG%]?$|^0?[0-7]{3,4}$`, value)
}
