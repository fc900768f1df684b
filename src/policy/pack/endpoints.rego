# Endpoints: requests dockgate does not recognise, and endpoints that change the daemon itself.
package dockgate.rules.endpoints

import rego.v1

import data.dockgate.lib

deny contains lib.violation("unknown-endpoint", msg, "if this is a real Engine API endpoint, report it; an admin can allow it with rules.unknown-endpoint.enabled = false") if {
	input.request.action == "unknown"
	lib.config.rules["unknown-endpoint"].enabled
	lib.applies
	msg := sprintf("%s %s is not an Engine API endpoint dockgate knows", [input.Method, input.request.path])
}

# Disabling or removing a plugin can switch off an authorization plugin that guards the daemon.
plugin_changes := {"plugin.install", "plugin.enable", "plugin.upgrade", "plugin.create", "plugin.set", "plugin.push", "plugin.disable", "plugin.delete"}

deny contains lib.violation("plugins", msg, "plugins run as root on the host; ask an admin to install it") if {
	plugin_changes[input.request.action]
	lib.config.rules.plugins.enabled
	lib.applies
	msg := sprintf("%s is refused: a Docker plugin runs with full host privileges", [lib.action])
}

swarm_changes := {
	"swarm.init", "swarm.join", "swarm.leave", "swarm.update", "swarm.unlock",
	"node.update", "node.delete",
	"service.create", "service.update", "service.delete",
	"secret.create", "secret.update", "secret.delete",
	"config.create", "config.update", "config.delete",
	"volume.update",
}

deny contains lib.violation("swarm", msg, "swarm services bypass per-container rules; ask an admin") if {
	swarm_changes[input.request.action]
	lib.config.rules.swarm.enabled
	lib.applies
	msg := sprintf("%s is refused: swarm and node changes are for admins", [lib.action])
}

# docker import from a URL makes dockerd itself fetch it, like ADD from a URL in a build.
deny contains lib.violation("unknown-endpoint", msg, "download the file yourself and import it from standard input (docker import FILE)") if {
	input.request.action == "image.import"
	source := object.get(input.request.query, "fromSrc", "")
	source != "-"
	source != ""
	lib.config.rules["unknown-endpoint"].enabled
	lib.applies
	msg := sprintf("importing an image from %s is refused: dockerd would fetch it from the network", [source])
}
