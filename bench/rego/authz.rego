# An opa-docker-authz-style policy of about 50 rules: what a shared Docker host typically
# enforces on container creation, exec and image pulls. Used by `npm run bench` and tests.
package docker.authz

default allow := false

allow if {
	not deny_any
}

deny_any if count(deny) > 0

# ---- request classification -------------------------------------------------------------
is_create if {
	input.Method == "POST"
	regex.match(`^/v[0-9.]+/containers/create`, input.Path)
}

is_exec if {
	input.Method == "POST"
	contains(input.Path, "/exec")
}

is_pull if {
	input.Method == "POST"
	startswith(trim_prefix(input.Path, api_prefix), "/images/create")
}

api_prefix := p if {
	parts := split(input.Path, "/")
	p := concat("", ["/", parts[1]])
}

host_config := input.Body.HostConfig

# ---- privileges ---------------------------------------------------------------------------
deny contains "privileged containers are not allowed" if {
	is_create
	host_config.Privileged == true
}

dangerous_caps := {"SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "NET_ADMIN", "SYS_RAWIO", "DAC_READ_SEARCH", "ALL"}

deny contains msg if {
	is_create
	some cap in host_config.CapAdd
	upper(cap) in dangerous_caps
	msg := sprintf("capability %s is not allowed", [cap])
}

deny contains "host PID namespace is not allowed" if {
	is_create
	host_config.PidMode == "host"
}

deny contains "host IPC namespace is not allowed" if {
	is_create
	host_config.IpcMode == "host"
}

deny contains "host network is not allowed" if {
	is_create
	host_config.NetworkMode == "host"
}

deny contains "host UTS namespace is not allowed" if {
	is_create
	host_config.UTSMode == "host"
}

deny contains "host user namespace mode is not allowed" if {
	is_create
	host_config.UsernsMode == "host"
}

deny contains "unconfined seccomp is not allowed" if {
	is_create
	some opt in host_config.SecurityOpt
	startswith(opt, "seccomp")
	contains(opt, "unconfined")
}

deny contains "unconfined apparmor is not allowed" if {
	is_create
	some opt in host_config.SecurityOpt
	opt == "apparmor=unconfined"
}

deny contains msg if {
	is_create
	some dev in host_config.Devices
	msg := sprintf("device %s may not be mapped", [dev.PathOnHost])
}

deny contains "cgroup parent may not be set" if {
	is_create
	host_config.CgroupParent != ""
	host_config.CgroupParent != null
}

# ---- mounts -------------------------------------------------------------------------------
# A set, not an array: membership is a lookup (OPA's "use objects and sets for lookups").
sensitive_paths := {"/", "/etc", "/root", "/var/run/docker.sock", "/run/docker.sock", "/proc", "/sys", "/boot", "/dev", "/var/lib/docker"}

# Computed once per decision (a rule), not once per call of sensitive().
sensitive_prefixes := {concat("", [p, "/"]) | some p in sensitive_paths; p != "/"}

sensitive(path) if path in sensitive_paths

sensitive(path) if strings.any_prefix_match(path, sensitive_prefixes)

deny contains msg if {
	is_create
	some bind in host_config.Binds
	parts := split(bind, ":")
	sensitive(parts[0])
	msg := sprintf("bind mount of %s is not allowed", [parts[0]])
}

deny contains msg if {
	is_create
	some m in input.BindMounts
	sensitive(m.Resolved)
	msg := sprintf("bind mount of %s (resolves to %s) is not allowed", [m.Source, m.Resolved])
}

deny contains msg if {
	is_create
	some m in host_config.Mounts
	m.Type == "bind"
	sensitive(m.Source)
	msg := sprintf("mount of %s is not allowed", [m.Source])
}

deny contains "writable bind mounts outside /home are not allowed" if {
	is_create
	some m in input.BindMounts
	not m.ReadOnly
	not startswith(m.Resolved, "/home/")
	not startswith(m.Resolved, "/tmp/")
}

deny contains "volume driver options may not bind host paths" if {
	is_create
	some m in host_config.Mounts
	m.Type == "volume"
	m.VolumeOptions.DriverConfig.Options.type == "none"
}

# ---- resources ----------------------------------------------------------------------------
max_memory := 8 * 1024 * 1024 * 1024

deny contains "memory limit above 8 GiB" if {
	is_create
	host_config.Memory > max_memory
}

deny contains "a memory limit is required" if {
	is_create
	object.get(host_config, "Memory", 0) == 0
	not input.identity.admin
}

deny contains "CPU shares above 4096" if {
	is_create
	host_config.CpuShares > 4096
}

deny contains "pids limit must be set and at most 4096" if {
	is_create
	limit := object.get(host_config, "PidsLimit", 0)
	limit > 4096
}

deny contains msg if {
	is_create
	some ul in host_config.Ulimits
	ul.Name == "nofile"
	ul.Hard > 1048576
	msg := sprintf("ulimit nofile %d too high", [ul.Hard])
}

# ---- images -------------------------------------------------------------------------------
allowed_registries := {"docker.io/library/", "registry.example.com/", "ghcr.io/example/"}

image := input.Body.Image

qualified(img) := img if contains(split(img, "/")[0], ".")

qualified(img) := concat("", ["docker.io/library/", img]) if {
	not contains(img, "/")
}

qualified(img) := concat("", ["docker.io/", img]) if {
	contains(img, "/")
	not contains(split(img, "/")[0], ".")
}

deny contains msg if {
	is_create
	img := qualified(image)
	not any_prefix(img, allowed_registries)
	msg := sprintf("image %s is not from an allowed registry", [image])
}

any_prefix(s, prefixes) if {
	some p in prefixes
	startswith(s, p)
}

deny contains "images must be pinned to a tag or digest" if {
	is_create
	not contains(image, ":")
	not contains(image, "@")
}

deny contains "the latest tag is not allowed" if {
	is_create
	endswith(image, ":latest")
}

# ---- users, labels, exec ------------------------------------------------------------------
deny contains "containers must not run as root" if {
	is_create
	user := object.get(input.Body, "User", "")
	user in {"", "root", "0", "0:0"}
	not input.identity.admin
}

deny contains "an owner label is required" if {
	is_create
	not input.Body.Labels.owner
	not input.identity.admin
}

deny contains "owner label must match the caller" if {
	is_create
	owner := input.Body.Labels.owner
	owner != input.identity.user
	not input.identity.admin
}

deny contains "exec as root is not allowed" if {
	is_exec
	input.Body.User in {"root", "0"}
}

deny contains "privileged exec is not allowed" if {
	is_exec
	input.Body.Privileged == true
}

deny contains msg if {
	is_pull
	img := input.request.query.fromImage
	not any_prefix(qualified(img), allowed_registries)
	msg := sprintf("pull of %s is not allowed", [img])
}

deny contains msg if {
	is_create
	some e in input.Body.Env
	[name, _] := split(e, "=")
	name in {"LD_PRELOAD", "LD_LIBRARY_PATH"}
	msg := sprintf("environment variable %s is not allowed", [name])
}

deny contains "sysctls may not be set" if {
	is_create
	count(object.get(host_config, "Sysctls", {})) > 0
}

deny contains "restart policy always is not allowed for non-admins" if {
	is_create
	host_config.RestartPolicy.Name == "always"
	not input.identity.admin
}

deny contains msg if {
	is_create
	every p in object.get(host_config, "PortBindings", {}) {
		is_array(p)
	}
	some port, bindings in object.get(host_config, "PortBindings", {})
	some b in bindings
	to_number(b.HostPort) < 1024
	b.HostPort != ""
	msg := sprintf("host port %s below 1024 for %s", [b.HostPort, port])
}
