# Image builds: what the Dockerfile may do and how the build may run.
package dockgate.rules.build

import rego.v1

import data.dockgate.lib

rules := lib.config.rules.build

deny contains lib.violation("build", "BuildKit builds (version=2) are refused: their Dockerfile cannot be judged", "build with the classic builder (DOCKER_BUILDKIT=0) or ask an admin") if {
	input.request.action == "image.build"
	lib.config.rules.build.enabled
	lib.applies
	input.request.query.version == "2"
	not rules.allow_buildkit
}

deny contains lib.violation("build", "builds from a remote context are refused: their Dockerfile cannot be judged", "build from a local directory") if {
	input.request.action == "image.build"
	lib.config.rules.build.enabled
	lib.applies
	object.get(input.request.query, "remote", "") != ""
}

deny contains lib.violation("build", "--network=host is refused for builds", "drop --network=host") if {
	input.request.action == "image.build"
	lib.config.rules.build.enabled
	lib.applies
	lower(object.get(input.request.query, "networkmode", "")) == "host"
}

deny contains lib.violation("build", msg, "drop the --security=insecure flag from RUN") if {
	input.request.action == "image.build"
	lib.config.rules.build.enabled
	lib.applies
	some ins in input.build.instructions
	ins.cmd == "RUN"
	lower(object.get(ins.flags, "security", "")) == "insecure"
	msg := sprintf("Dockerfile line %d: RUN --security=insecure is refused", [ins.line])
}

deny contains lib.violation("build", msg, "download the file in a RUN step or copy it into the context") if {
	input.request.action == "image.build"
	lib.config.rules.build.enabled
	lib.applies
	not rules.allow_add_url
	some ins in input.build.instructions
	ins.cmd == "ADD"
	some src in array.slice(ins.args, 0, count(ins.args) - 1)
	regex.match(`^(?i)(https?|git)://|^git@`, src)
	msg := sprintf("Dockerfile line %d: ADD from a URL (%s) is refused", [ins.line, src])
}

deny contains lib.violation("build", msg, "use a base image from the allowed list") if {
	input.request.action == "image.build"
	lib.config.rules.build.enabled
	lib.applies
	count(rules.allowed_from) > 0
	some ins in input.build.instructions
	ins.cmd == "FROM"
	image := ins.args[0]
	not stage_name(image)
	not lower(image) == "scratch"
	not from_allowed(image)
	msg := sprintf("Dockerfile line %d: FROM %s is not an allowed base image", [ins.line, image])
}

# Earlier stages are named with "FROM image AS name" and may be built FROM again.
stage_name(name) if {
	some ins in input.build.instructions
	ins.cmd == "FROM"
	count(ins.args) == 3
	lower(ins.args[1]) == "as"
	lower(ins.args[2]) == lower(name)
}

from_allowed(image) if {
	some pattern in rules.allowed_from
	glob.match(pattern, [], image)
}
