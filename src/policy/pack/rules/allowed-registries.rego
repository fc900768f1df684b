# The registries images may come from (off by default).

# METADATA
# title: (optional) images only from allowed registries
# description: The image of container create and image pull, by registry host.
# custom:
#   why: Images from unknown registries are unreviewed code.
#   fix: Use an image from an allowed registry.
#   order: 22
#   config:
#     enabled: false
#     allow: ["docker.io"]
package dockgate.rules.allowed_registries

import rego.v1

import data.dockgate.lib

deny contains lib.violation(msg, "use an image from an allowed registry") if {
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
