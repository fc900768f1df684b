# Confinement: seccomp, AppArmor, SELinux labels, masked /proc and /sys paths. Security options
# are allowlisted in the form dockerd reads them (daemon/create: "no-new-privileges", "disable",
# then KEY=VALUE or the old KEY:VALUE, the key matched exactly): anything not known to keep the
# container confined is refused.

# METADATA
# title: no unconfined seccomp/AppArmor, no disabled labels, no unmasked system paths
# description: >-
#   HostConfig.SecurityOpt by allowlist, in the spellings dockerd reads (KEY=VALUE, KEY:VALUE, bare
#   no-new-privileges and disable): no-new-privileges, AppArmor profiles from [rules.security-opts]
#   apparmor_profiles, custom seccomp profiles only with allow_custom_seccomp; and explicit
#   MaskedPaths/ReadonlyPaths.
# custom:
#   why: >-
#     These switch off the confinement that stops a root process in the container from reaching the
#     kernel and the host.
#   fix: Remove the --security-opt; the default profiles are what keeps the container contained.
#   order: 6
#   config:
#     enabled: true
#     allow_custom_seccomp: false
#     apparmor_profiles: ["docker-default"]
package dockgate.rules.security_opts

import rego.v1

import data.dockgate.lib

rules := lib.config.rules["security-opts"]

hint := "remove the --security-opt; the default profiles keep the container confined"

deny contains lib.violation(msg, hint) if {
	input.request.action == "container.create"
	some opt in lib.host_config.SecurityOpt
	not confined(opt)
	msg := sprintf("--security-opt %v is refused: it is not known to keep the container confined", [opt])
}

# dockerd splits at the first "=", or at the first ":" when there is no "=".
split_opt(opt) := [substring(opt, 0, i), substring(opt, i + 1, -1)] if {
	i := indexof(opt, "=")
	i > 0
}

split_opt(opt) := [substring(opt, 0, i), substring(opt, i + 1, -1)] if {
	indexof(opt, "=") < 0
	i := indexof(opt, ":")
	i > 0
}

confined("no-new-privileges")

confined(opt) if {
	[key, value] := split_opt(opt)
	allowed(key, value)
}

# no-new-privileges=BOOL (Go's strconv.ParseBool): either value keeps the default confinement.
allowed("no-new-privileges", v) if v in {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}

allowed("apparmor", profile) if profile in {p | some p in rules.apparmor_profiles}

# A custom seccomp profile is sent inline as JSON: only trusted when the config says so.
allowed("seccomp", profile) if {
	rules.allow_custom_seccomp
	not profile in {"unconfined", ""}
}

# `--security-opt systempaths=unconfined` reaches the API as emptied MaskedPaths/ReadonlyPaths.
deny contains lib.violation(msg, "remove --security-opt systempaths=unconfined") if {
	input.request.action == "container.create"
	some field in ["MaskedPaths", "ReadonlyPaths"]
	is_array(lib.host_config[field])
	msg := sprintf("HostConfig.%s is refused: it unmasks the host's /proc and /sys paths", [field])
}
