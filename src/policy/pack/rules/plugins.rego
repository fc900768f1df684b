# Plugins: a Docker plugin runs as root on the host, and can guard (or stop guarding) the daemon.

# METADATA
# title: no plugin install, enable, upgrade or settings
# description: >-
#   plugin.install, plugin.enable, plugin.upgrade, plugin.create, plugin.set, plugin.push.
# custom:
#   why: A Docker plugin runs as root on the host with the privileges it asks for.
#   fix: Ask an admin to install the plugin.
#   order: 17
#   config:
#     enabled: true
package dockgate.rules.plugins

import rego.v1

import data.dockgate.lib

# Disabling or removing a plugin can switch off an authorization plugin that guards the daemon.
plugin_changes := {"plugin.install", "plugin.enable", "plugin.upgrade", "plugin.create", "plugin.set", "plugin.push", "plugin.disable", "plugin.delete"}

deny contains lib.violation(msg, "plugins run as root on the host; ask an admin to install it") if {
	plugin_changes[input.request.action]
	msg := sprintf("%s is refused: a Docker plugin runs with full host privileges", [lib.action])
}
