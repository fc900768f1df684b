# Daemon-side file access to a container that mounts host paths: dockerd reads and writes
# /archive as root, keeping the owner and mode bits of a tar entry, so a PUT could drop a
# setuid-root file into the mounted host directory and a GET could read through it as root.

# METADATA
# title: no docker cp into or out of a container that mounts a host path
# description: >-
#   PUT, GET and HEAD /containers/{id}/archive and POST /containers/{id}/copy when the container
#   mounts a host path (looked up at the daemon).
# custom:
#   why: >-
#     dockerd extracts and reads archives as root and keeps each tar entry's owner and mode: a PUT
#     drops a setuid-root file into the mounted host directory, a GET reads through it as root.
#   fix: >-
#     Copy files through the host directory itself: it is mounted in the container.
#   order: 10
#   config:
#     enabled: true
package dockgate.rules.file_access

import rego.v1

import data.dockgate.lib

file_actions := {"container.archive.put", "container.archive.get", "container.archive.head", "container.copy"}

deny contains lib.violation(msg, "copy files through the host directory itself: it is mounted in the container") if {
	file_actions[input.request.action]
	input.target.host_mounts
	msg := sprintf("%s on a container that mounts a host path is refused: dockerd would read or write the mounted path as root", [lib.action])
}
