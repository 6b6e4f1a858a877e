package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"strings"
)

// Container runtime names as written to container.runtime.name.
const (
	runtimeDocker     = "docker"
	runtimeContainerd = "containerd"
	runtimeCRIO       = "cri-o"
	runtimePodman     = "podman"
)

// containerRef is what a cgroup path alone says about the container a task
// runs in.
type containerRef struct {
	// containerID is the runtime's 64-hex container id; empty for a task
	// that is not in a container.
	containerID string
	// runtime is the container runtime, when the layout names it.
	runtime string
	// podUID is the Kubernetes pod uid (with dashes), when the path is
	// under kubepods.
	podUID string
}

// scopePrefixes maps the prefix of a systemd scope (`<prefix>-<id>.scope`) or
// of a cgroupfs directory (`<prefix>-<id>`) to the runtime that creates it.
var scopePrefixes = [...]struct {
	prefix  string
	runtime string
}{
	{"docker-", runtimeDocker},
	{"cri-containerd-", runtimeContainerd},
	{"nerdctl-", runtimeContainerd},
	{"crio-", runtimeCRIO},
	{"libpod-", runtimePodman},
}

// parseCgroupPath extracts the container id, runtime and pod uid from a
// cgroup path (v1 or v2, relative to the hierarchy's root, e.g. the third
// field of a /proc/<pid>/cgroup line). It understands the systemd layouts
// (docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope,
// libpod-<id>.scope, kubepods-…-pod<uid>.slice) and the cgroupfs layouts
// (/docker/<id>, /libpod_parent/libpod-<id>, /kubepods/<qos>/pod<uid>/<id>,
// containerd's `…slice:cri-containerd:<id>`). The innermost container wins
// (docker in docker). Monitor processes (libpod-conmon-, crio-conmon-) are
// not containers.
func parseCgroupPath(path string) containerRef {
	var ref containerRef
	comps := strings.Split(strings.Trim(path, "/"), "/")
	idAt := -1
	for i := len(comps) - 1; i >= 0 && idAt < 0; i-- {
		id, rt, ok := containerIDFromComponent(comps[i])
		if !ok {
			continue
		}
		if rt == "" && i > 0 {
			rt = runtimeFromParent(comps[i-1])
		}
		ref.containerID, ref.runtime, idAt = id, rt, i
	}
	if idAt < 0 {
		return containerRef{}
	}
	for i := idAt; i >= 0; i-- {
		if uid, ok := podUIDFromComponent(comps[i]); ok {
			ref.podUID = uid
			break
		}
	}
	return ref
}

// containerIDFromComponent recognises one path component that names a
// container.
func containerIDFromComponent(c string) (id, runtime string, ok bool) {
	if strings.Contains(c, ":") {
		// containerd with the systemd driver on cgroup v1:
		// kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>
		parts := strings.Split(c, ":")
		last := parts[len(parts)-1]
		if !isContainerID(last) {
			return "", "", false
		}
		rt := ""
		if len(parts) >= 3 {
			rt = runtimeOfPrefix(parts[len(parts)-2] + "-")
		}
		return last, rt, true
	}
	c = strings.TrimSuffix(c, ".scope")
	if isContainerID(c) {
		return c, "", true
	}
	if len(c) <= 64 || c[len(c)-65] != '-' {
		return "", "", false
	}
	prefix, cand := c[:len(c)-64], c[len(c)-64:]
	if !isContainerID(cand) || strings.HasSuffix(prefix, "conmon-") {
		return "", "", false
	}
	rt := runtimeOfPrefix(prefix)
	if rt == "" {
		return "", "", false
	}
	return cand, rt, true
}

func runtimeOfPrefix(prefix string) string {
	for _, p := range scopePrefixes {
		if prefix == p.prefix {
			return p.runtime
		}
	}
	if prefix == "containerd-" {
		return runtimeContainerd
	}
	return ""
}

// runtimeFromParent names the runtime of a bare <id> directory from its
// parent in the cgroupfs layouts (/docker/<id>).
func runtimeFromParent(parent string) string {
	switch parent {
	case "docker":
		return runtimeDocker
	case "libpod_parent":
		return runtimePodman
	}
	return ""
}

// podUIDFromComponent recognises pod<uid> (cgroupfs) and
// kubepods[-<qos>]-pod<uid_with_underscores>.slice (systemd).
func podUIDFromComponent(c string) (string, bool) {
	c, _, _ = strings.Cut(c, ":")
	c = strings.TrimSuffix(c, ".slice")
	i := strings.LastIndex(c, "pod")
	if i < 0 || (i > 0 && c[i-1] != '-') {
		return "", false
	}
	if i > 0 && !strings.HasPrefix(c, "kubepods") {
		return "", false
	}
	uid := strings.ReplaceAll(c[i+3:], "_", "-")
	if !isUID(uid) {
		return "", false
	}
	return uid, true
}

func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerHex(s[i]) {
			return false
		}
	}
	return true
}

// isUID reports whether s is an RFC 4122 uuid in its 8-4-4-4-12 form.
func isUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isLowerHex(s[i]) {
				return false
			}
		}
	}
	return true
}

func isLowerHex(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f')
}

// procCgroupPath picks, from the text of /proc/<pid>/cgroup, the path of the
// unified (v2) hierarchy ("0::<path>") and, on a v1 or hybrid host, the v1
// path most likely to name the container (the first one that does, else
// the name=systemd or first one).
func procCgroupPath(text string) (v2Path, v1Path string) {
	var firstV1 string
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		hid, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		ctrl, path, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if hid == "0" && ctrl == "" {
			v2Path = path
			continue
		}
		if firstV1 == "" {
			firstV1 = path
		}
		if v1Path == "" && parseCgroupPath(path).containerID != "" {
			v1Path = path
		}
	}
	if v1Path == "" {
		v1Path = firstV1
	}
	return v2Path, v1Path
}
