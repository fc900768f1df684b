# Hardening rules that are off by default; switch each on in the config.
package dockgate.rules.optional

import rego.v1

import data.dockgate.lib

deny contains lib.violation("require-limits", msg, "set --memory and --pids-limit") if {
	input.request.action == "container.create"
	lib.config.rules["require-limits"].enabled
	lib.applies
	some field in lib.config.rules["require-limits"].fields
	not positive(object.get(lib.host_config, field, 0))
	msg := sprintf("HostConfig.%s must be set: containers need resource limits here", [field])
}

positive(n) if n > 0

deny contains lib.violation("allowed-registries", msg, "use an image from an allowed registry") if {
	lib.config.rules["allowed-registries"].enabled
	lib.applies
	image := requested_image
	not allowed_image(image)
	msg := sprintf("image %s is not from an allowed registry (%s)", [image, concat(", ", lib.config.rules["allowed-registries"].allow)])
}

requested_image := lib.body.Image if input.request.action == "container.create"

requested_image := input.request.resource.ref if lib.action == "image.pull"

# Docker Hub images have no registry part ("busybox", "library/busybox", "user/app").
registry(image) := "docker.io" if {
	parts := split(image, "/")
	count(parts) == 1
}

registry(image) := r if {
	parts := split(image, "/")
	count(parts) > 1
	first := parts[0]
	registry_like(first)
	r := first
}

registry(image) := "docker.io" if {
	parts := split(image, "/")
	count(parts) > 1
	not registry_like(parts[0])
}

registry_like(s) if contains(s, ".")

registry_like(s) if contains(s, ":")

registry_like("localhost")

allowed_image(image) if {
	some r in lib.config.rules["allowed-registries"].allow
	registry(image) == r
}

deny contains lib.violation("no-root-user", "containers must not run as root here", "add --user UID:GID (a non-zero uid)") if {
	input.request.action == "container.create"
	lib.config.rules["no-root-user"].enabled
	lib.applies
	root_user(object.get(lib.body, "User", ""))
}

root_user("")

root_user(u) if split(u, ":")[0] in {"root", "0"}

deny contains lib.violation("read-only-rootfs", "containers must have a read-only root filesystem here", "add --read-only (and --tmpfs for writable paths)") if {
	input.request.action == "container.create"
	lib.config.rules["read-only-rootfs"].enabled
	lib.applies
	not lib.host_config.ReadonlyRootfs == true
}

deny contains lib.violation("no-new-privileges", "containers must set no-new-privileges here", "add --security-opt no-new-privileges") if {
	input.request.action == "container.create"
	lib.config.rules["no-new-privileges"].enabled
	lib.applies
	not no_new_privileges
}

no_new_privileges if {
	some opt in lib.host_config.SecurityOpt
	opt in {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}
}
