# Confinement switched off: seccomp, AppArmor, SELinux labels, masked /proc and /sys paths.
package dockgate.rules.security_opts

import rego.v1

import data.dockgate.lib

# Docker splits an option at its first "=", or at its first ":" (the old separator) when there is no "=".
split_opt(opt) := [lower(substring(opt, 0, i)), substring(opt, i + 1, -1)] if {
	i := indexof(opt, "=")
	i > 0
}

split_opt(opt) := [lower(substring(opt, 0, i)), substring(opt, i + 1, -1)] if {
	indexof(opt, "=") < 0
	i := indexof(opt, ":")
	i > 0
}

hint := "remove the --security-opt; the default profiles keep the container confined"

deny contains lib.violation("security-opts", msg, hint) if {
	input.request.action == "container.create"
	some opt in lib.host_config.SecurityOpt
	lib.config.rules["security-opts"].enabled
	lib.applies
	[key, value] := split_opt(opt)
	weakening(key, value)
	msg := sprintf("--security-opt %s is refused: it switches off the container's confinement", [opt])
}

weakening("seccomp", "unconfined")

weakening("apparmor", "unconfined")

weakening("label", "disable")

weakening("systempaths", "unconfined")

# A custom seccomp profile is sent inline as JSON: only the default profile is trusted.
weakening("seccomp", value) if {
	not value in {"unconfined", "builtin", "default"}
	not lib.config.rules["security-opts"].allow_custom_seccomp
}

# `--security-opt systempaths=unconfined` reaches the API as emptied MaskedPaths/ReadonlyPaths.
deny contains lib.violation("security-opts", msg, "remove --security-opt systempaths=unconfined") if {
	input.request.action == "container.create"
	lib.config.rules["security-opts"].enabled
	lib.applies
	some field in ["MaskedPaths", "ReadonlyPaths"]
	is_array(lib.host_config[field])
	msg := sprintf("HostConfig.%s is refused: it unmasks the host's /proc and /sys paths", [field])
}
