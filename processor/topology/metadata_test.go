package topologyprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitImage(t *testing.T) {
	tests := []struct {
		ref  string
		name string
		tags []string
	}{
		{"docker.io/library/nginx:1.25", "docker.io/library/nginx", []string{"1.25"}},
		{"nginx", "nginx", nil},
		{"localhost:5000/app", "localhost:5000/app", nil},
		{"localhost:5000/app:v2", "localhost:5000/app", []string{"v2"}},
		{"quay.io/acme/db@sha256:0123", "quay.io/acme/db", nil},
		{"quay.io/acme/db:15@sha256:0123", "quay.io/acme/db", []string{"15"}},
		{"sha256:ce226adb6216149fc26c15bedc1e5c49cf0ddce24ed38e57598d5cb160884ae5", "", nil},
		{"", "", nil},
	}
	for _, tt := range tests {
		name, tags := splitImage(tt.ref)
		assert.Equal(t, tt.name, name, tt.ref)
		assert.Equal(t, tt.tags, tags, tt.ref)
	}
}

func TestBuildAttrs(t *testing.T) {
	assert.Nil(t, buildAttrs(containerRef{}, &containerMeta{name: "x"}, nil), "no container, no attributes")

	ref := containerRef{containerID: cid1, podUID: uid1}
	got := buildAttrs(ref, nil, []string{"*"})
	assert.Equal(t, []attr{{key: attrContainerID, str: cid1}, {key: attrPodUID, str: uid1}}, got)

	meta := &containerMeta{name: "n", image: "img:1", runtime: runtimeDocker, labels: map[string]string{"b": "2", "a": "1", "x": "9"}, k8sPod: "p"}
	got = buildAttrs(ref, meta, []string{"a", "b"})
	assert.Equal(t, []attr{
		{key: attrContainerID, str: cid1},
		{key: attrContainerRT, str: runtimeDocker},
		{key: attrContainerName, str: "n"},
		{key: attrImageName, str: "img"},
		{key: attrImageTags, strs: []string{"1"}},
		{key: attrPodName, str: "p"},
		{key: "container.label.a", str: "1"},
		{key: "container.label.b", str: "2"},
		{key: attrPodUID, str: uid1},
	}, got)
}
