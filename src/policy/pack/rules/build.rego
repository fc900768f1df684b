# Image builds: what the Dockerfile may do and how the build may run.
#
# A build is judged on the Dockerfile dockerd will run (src/docker/build-plan.ts): in
# input.build.instructions, ARG/ENV substitution is done (raw_args keep what was written), and
# the base images' ONBUILD triggers follow their FROM (onbuild_of names the image or stage).
# What dockgate cannot see is refused: BuildKit's own endpoints, remote contexts, build
# parameters it does not know, base images it cannot look up, substitution it cannot follow.

# METADATA
# title: >-
#   builds: no BuildKit (/build?version=2, /grpc, /session), remote contexts, --pull, networks
#   beyond bridge/none, unknown build parameters, RUN --security=insecure, ADD from URLs, unseen
#   base images; optional FROM allowlist
# description: >-
#   POST /build: every query parameter against the classic builder's list (version, remote,
#   networkmode only default/bridge/none, isolation, pull; no form bodies), and the Dockerfile
#   dockerd will run: the context read as dockerd reads it (end-of-archive marker, symlinks on the
#   Dockerfile path), ARG/ENV substituted (build args from the query, ENV of the base image), the
#   base images' ONBUILD triggers (looked up at the daemon) judged as instructions; FROM an earlier
#   stage only with --no-cache (a cached image could stand in for the stage). BuildKit's /grpc and
#   /session endpoints.
# custom:
#   why: >-
#     A build runs code with the builder's privileges: an insecure RUN is a privileged container, a
#     build network of host or container:X joins another namespace, and ADD fetches URLs with the
#     daemon's network. A BuildKit or remote build, a base image pulled during the build, or a
#     substitution dockgate cannot follow would hide what is built from dockgate.
#   fix: >-
#     Build from a local context with the classic builder (DOCKER_BUILDKIT=0), without --network,
#     --pull or RUN --security=insecure; docker pull the base image first; download files in a RUN
#     step or copy them into the context; add --no-cache to a build that uses FROM an earlier stage
#     (or use COPY --from).
#   order: 20
#   config:
#     enabled: true
#     allow_buildkit: false
#     allow_add_url: false
#     allowed_from: []
package dockgate.rules.build

import rego.v1

import data.dockgate.lib

rules := lib.config.rules.build

buildkit_hint := "build with the classic builder (DOCKER_BUILDKIT=0) or ask an admin"

deny contains lib.violation("BuildKit builds (version=2) are refused: their Dockerfile cannot be judged", buildkit_hint) if {
	input.request.action == "image.build"
	input.request.query.version == "2"
	not rules.allow_buildkit
}

# BuildKit's other door: a Solve sent to /grpc (buildx) builds whatever it asks for, with any
# context and network; /session carries the files of such builds. Neither can be judged yet.
buildkit_endpoints := {"grpc.open", "session.open"}

deny contains lib.violation(msg, buildkit_hint) if {
	buildkit_endpoints[input.request.action]
	not rules.allow_buildkit
	msg := sprintf("BuildKit builds (%s %s) are refused: their Dockerfile cannot be judged", [input.Method, input.request.path])
}

deny contains lib.violation("builds from a remote context are refused: their Dockerfile cannot be judged", "build from a local directory") if {
	input.request.action == "image.build"
	object.get(input.request.query, "remote", "") != ""
}

# The parameters of dockerd's classic builder (api/server/router/build, 20.10). Any other
# parameter is one dockgate has not judged; dockerd ignores most unknown ones today, a newer
# daemon may not.
build_parameters := {
	"dockerfile", "t", "extrahosts", "remote", "q", "nocache", "cachefrom", "pull", "rm", "forcerm",
	"memory", "memswap", "cpushares", "cpusetcpus", "cpusetmems", "cpuperiod", "cpuquota",
	"buildargs", "shmsize", "squash", "labels", "networkmode", "platform", "target", "outputs",
	"version", "session", "buildid", "ulimits", "isolation", "cgroupparent",
}

deny contains lib.violation(msg, "drop the option, or ask an admin to run this build") if {
	input.request.action == "image.build"
	some name, _ in input.request.query
	not build_parameters[name]
	msg := sprintf("the build parameter %q is not one dockgate judges", [name])
}

# dockerd reads build parameters from a form body as well as from the query (Go's FormValue),
# and a form body's values win: the query the policy judged would not be the one used.
deny contains lib.violation(msg, "send the build context as application/x-tar") if {
	input.request.action == "image.build"
	content_type := lower(object.get(input.Headers, "Content-Type", ""))
	contains(content_type, "form")
	msg := sprintf("a build request with Content-Type %q is refused: dockerd would read build parameters from its body", [object.get(input.Headers, "Content-Type", "")])
}

# Build containers join the network named here. Anything but the default bridge or none
# reaches further: "host" is the host's network namespace, "container:X" joins any container's
# (an admin's --network host container is the host's), a named network joins other containers.
build_networks := {"", "default", "bridge", "none"}

deny contains lib.violation(msg, "drop --network (the default bridge), or use --network=none") if {
	input.request.action == "image.build"
	network := object.get(input.request.query, "networkmode", "")
	not build_networks[network]
	msg := build_network_message(network)
}

build_network_message(network) := "--network=host is refused for builds" if lower(network) == "host"

build_network_message(network) := sprintf("--network=%s is refused for builds: only the default bridge and none are allowed", [network]) if lower(network) != "host"

deny contains lib.violation(msg, "drop --isolation") if {
	input.request.action == "image.build"
	isolation := object.get(input.request.query, "isolation", "")
	not lower(isolation) in {"", "default"}
	msg := sprintf("--isolation=%s is refused for builds", [isolation])
}

# dockerd's httputils.BoolValue: anything but "", "0", "no", "false" or "none" is true.
pull_requested if {
	value := lower(trim_space(object.get(input.request.query, "pull", "")))
	not value in {"", "0", "no", "false", "none"}
}

# A base image pulled during the build brings ONBUILD triggers nobody has judged.
deny contains lib.violation("--pull is refused for builds: the ONBUILD triggers of a freshly pulled base image cannot be judged", "docker pull IMAGE first, then build without --pull") if {
	input.request.action == "image.build"
	pull_requested
}

deny contains lib.violation(msg, "drop the --security=insecure flag from RUN") if {
	input.request.action == "image.build"
	some ins in input.build.instructions
	ins.cmd == "RUN"
	lower(object.get(ins.flags, "security", "")) == "insecure"
	msg := sprintf("%s: RUN --security=insecure is refused", [where(ins)])
}

# ADD fetches URLs with the daemon's network and privileges. The sources judged are the
# substituted ones, in both the shell and the JSON form, of the Dockerfile and of triggers.
deny contains lib.violation(msg, "download the file in a RUN step or copy it into the context") if {
	input.request.action == "image.build"
	not rules.allow_add_url
	some ins in input.build.instructions
	ins.cmd == "ADD"
	some src in add_sources(ins)
	is_url(src)
	msg := sprintf("%s: ADD from a URL (%s) is refused", [where(ins), src])
}

# A source still holding "$" is one dockgate could not substitute exactly: it may become a URL.
deny contains lib.violation(msg, "write the source without variables, or with plain $NAME / ${NAME} / ${NAME:-default}") if {
	input.request.action == "image.build"
	not rules.allow_add_url
	some ins in input.build.instructions
	ins.cmd == "ADD"
	some src in add_sources(ins)
	contains(src, "$")
	msg := sprintf("%s: ADD source %s could not be substituted exactly", [where(ins), src])
}

add_sources(ins) := array.slice(ins.args, 0, count(ins.args) - 1)

is_url(src) if regex.match(`^[a-zA-Z][a-zA-Z0-9+.-]*://`, src)

is_url(src) if startswith(lower(src), "git@")

# A base image the daemon does not have would be pulled by the build, and its triggers run
# unjudged; a base name dockgate cannot substitute or look up is as unknown.
deny contains lib.violation(msg, hint) if {
	input.request.action == "image.build"
	some ins in input.build.instructions
	ins.cmd == "FROM"
	ins.base.found == false
	msg := sprintf("%s: %s", [where(ins), ins.base.problem])
	hint := base_hint(ins.base)
}

base_hint(base) := sprintf("docker pull %s first", [base.name]) if base.kind == "image"

base_hint(base) := "name the base image without substitution dockgate cannot follow" if base.kind != "image"

# FROM an earlier stage starts from that stage's last image, and a build cache hit may make
# that an image dockgate never saw: the cache matches a step by the config of the container
# that made an image, not by the image's own config, so a committed or loaded image can bring
# ONBUILD triggers and ENV the plan does not show. Without the cache the plan is exact.
nocache_requested if {
	value := lower(trim_space(object.get(input.request.query, "nocache", "")))
	not value in {"", "0", "no", "false", "none"}
}

deny contains lib.violation(msg, sprintf("build with --no-cache, or COPY --from=%s instead of FROM %s", [ins.args[0], ins.args[0]])) if {
	input.request.action == "image.build"
	some ins in input.build.instructions
	ins.cmd == "FROM"
	ins.base.kind == "stage"
	not nocache_requested
	msg := sprintf("%s: FROM the earlier stage %s is refused with the build cache on: a cached image dockgate has not seen could stand in for that stage", [where(ins), ins.args[0]])
}

deny contains lib.violation(msg, "use a base image from the allowed list") if {
	input.request.action == "image.build"
	count(rules.allowed_from) > 0
	some ins in input.build.instructions
	ins.cmd == "FROM"
	image := ins.args[0]
	not ins.base.kind in {"stage", "scratch"}
	not from_allowed(image)
	msg := sprintf("%s: FROM %s is not an allowed base image", [where(ins), image])
}

where(ins) := sprintf("ONBUILD trigger of %s (run after line %d)", [ins.onbuild_of, ins.line]) if ins.onbuild_of

where(ins) := sprintf("Dockerfile line %d", [ins.line]) if not ins.onbuild_of

from_allowed(image) if {
	some pattern in rules.allowed_from
	glob.match(pattern, [], image)
}
