package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"path"
	"sort"
	"strings"
	"time"
)

// Attribute names written by the processor (docs/events.md "Topology").
const (
	attrCgroupID        = "linux.cgroup.id"
	attrPID             = "process.pid"
	attrHostName        = "host.name"
	attrContainerID     = "container.id"
	attrContainerRT     = "container.runtime.name"
	attrContainerName   = "container.name"
	attrImageName       = "container.image.name"
	attrImageTags       = "container.image.tags"
	attrLabelPrefix     = "container.label."
	attrPodUID          = "k8s.pod.uid"
	attrPodName         = "k8s.pod.name"
	attrNamespaceName   = "k8s.namespace.name"
	attrK8sContainer    = "k8s.container.name"
	attrNSHost          = "linux.namespace.host"
	attrNSPid           = "linux.namespace.pid"
	attrNSMnt           = "linux.namespace.mnt"
	attrNSNet           = "linux.namespace.net"
	attrNSUts           = "linux.namespace.uts"
	labelK8sPodName     = "io.kubernetes.pod.name"
	labelK8sPodNS       = "io.kubernetes.pod.namespace"
	labelK8sPodUID      = "io.kubernetes.pod.uid"
	labelK8sContainer   = "io.kubernetes.container.name"
	annotCRISandboxName = "io.kubernetes.cri.sandbox-name"
	annotCRISandboxNS   = "io.kubernetes.cri.sandbox-namespace"
	annotCRISandboxUID  = "io.kubernetes.cri.sandbox-uid"
	annotCRIContainer   = "io.kubernetes.cri.container-name"
	annotCRIImage       = "io.kubernetes.cri.image-name"
	annotCRIOImage      = "io.kubernetes.cri-o.ImageName"
)

// containerMeta is what a container runtime says about one container.
type containerMeta struct {
	name      string
	image     string // as the runtime reports it: name[:tag][@digest]
	runtime   string
	labels    map[string]string
	k8sPod    string
	k8sNS     string
	k8sPodUID string
	k8sCtr    string
	// seen is when a runtime last reported the container.
	seen time.Time
	// fromList is true for what a container list or spec said, which an
	// event's attributes do not replace.
	fromList bool
}

// isEventAttrKey reports whether a Docker/Podman event attribute is one
// of the engine's own (not a container label).
func isEventAttrKey(k string) bool {
	switch k {
	case "name", "image", "exitCode", "containerExitCode", "podId", "signal", "execID":
		return true
	}
	return false
}

// metaFromEvent builds a container's metadata from a runtime event's actor
// attributes (its name, image and labels), or nil when they name nothing.
func metaFromEvent(attrs map[string]string) *containerMeta {
	if attrs["name"] == "" && attrs["image"] == "" {
		return nil
	}
	m := &containerMeta{name: attrs["name"], image: attrs["image"], labels: map[string]string{}}
	for k, v := range attrs {
		if !isEventAttrKey(k) {
			m.labels[k] = v
		}
	}
	m.fillK8sFromLabels(m.labels)
	return m
}

// fillK8sFromLabels takes the Kubernetes names from the io.kubernetes.*
// labels that kubelet sets on the containers it creates (or the
// io.kubernetes.cri.* annotations containerd writes into the OCI spec).
func (m *containerMeta) fillK8sFromLabels(labels map[string]string) {
	pick := func(dst *string, keys ...string) {
		for _, k := range keys {
			if v := labels[k]; v != "" && *dst == "" {
				*dst = v
			}
		}
	}
	pick(&m.k8sPod, labelK8sPodName, annotCRISandboxName)
	pick(&m.k8sNS, labelK8sPodNS, annotCRISandboxNS)
	pick(&m.k8sPodUID, labelK8sPodUID, annotCRISandboxUID)
	pick(&m.k8sCtr, labelK8sContainer, annotCRIContainer)
	pick(&m.image, annotCRIImage, annotCRIOImage)
}

// attr is one attribute the processor writes: a string or a string slice.
type attr struct {
	key  string
	str  string
	strs []string
}

// splitImage splits an image reference into its name and tags:
// "docker.io/library/nginx:1.25" -> "docker.io/library/nginx", ["1.25"];
// "localhost:5000/app@sha256:..." -> "localhost:5000/app", none. A bare
// image id (sha256:…) has no name.
func splitImage(ref string) (name string, tags []string) {
	if ref == "" || strings.HasPrefix(ref, "sha256:") {
		return "", nil
	}
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	lastSlash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > lastSlash {
		return ref[:i], []string{ref[i+1:]}
	}
	return ref, nil
}

// buildAttrs computes the container and Kubernetes attributes of a cgroup
// from its path-derived reference and, when known, the runtime's metadata.
func buildAttrs(ref containerRef, meta *containerMeta, labelPatterns []string) []attr {
	if ref.containerID == "" {
		return nil
	}
	out := make([]attr, 0, 10)
	add := func(k, v string) {
		if v != "" {
			out = append(out, attr{key: k, str: v})
		}
	}
	add(attrContainerID, ref.containerID)
	rt := ref.runtime
	if rt == "" && meta != nil {
		rt = meta.runtime
	}
	add(attrContainerRT, rt)
	podUID := ref.podUID
	if meta != nil {
		add(attrContainerName, meta.name)
		name, tags := splitImage(meta.image)
		add(attrImageName, name)
		if len(tags) > 0 {
			out = append(out, attr{key: attrImageTags, strs: tags})
		}
		if podUID == "" {
			podUID = meta.k8sPodUID
		}
		add(attrPodName, meta.k8sPod)
		add(attrNamespaceName, meta.k8sNS)
		add(attrK8sContainer, meta.k8sCtr)
		if len(labelPatterns) > 0 && len(meta.labels) > 0 {
			keys := make([]string, 0, len(meta.labels))
			for k := range meta.labels {
				if matchAny(labelPatterns, k) {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				out = append(out, attr{key: attrLabelPrefix + k, str: meta.labels[k]})
			}
		}
	}
	add(attrPodUID, podUID)
	return out
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}
