# Requests dockgate does not recognise, and imports dockerd would fetch from the network.

# METADATA
# title: no requests to endpoints dockgate does not know
# description: Requests whose method and path match no Engine API route.
# custom:
#   why: >-
#     What dockgate cannot name, it cannot judge: fail closed.
#   fix: Check the request; report a real endpoint dockgate misses.
#   order: 19
#   config:
#     enabled: true
package dockgate.rules.unknown_endpoint

import rego.v1

import data.dockgate.lib

deny contains lib.violation(msg, "if this is a real Engine API endpoint, report it; an admin can allow it with rules.unknown-endpoint.enabled = false") if {
	input.request.action == "unknown"
	msg := sprintf("%s %s is not an Engine API endpoint dockgate knows", [input.Method, input.request.path])
}

# docker import from a URL makes dockerd itself fetch it, like ADD from a URL in a build.
deny contains lib.violation(msg, "download the file yourself and import it from standard input (docker import FILE)") if {
	input.request.action == "image.import"
	source := object.get(input.request.query, "fromSrc", "")
	source != "-"
	source != ""
	msg := sprintf("importing an image from %s is refused: dockerd would fetch it from the network", [source])
}
