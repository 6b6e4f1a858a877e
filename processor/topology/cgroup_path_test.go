package topologyprocessor

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const (
	cid1 = "34b0c7e21dfa1fcd3db68ffd697f70dcb3d36a1c22039bfc46a46aeabfe7d262"
	cid2 = "8b4a6e0f3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928"
	uid1 = "2f1a8c3e-5b7d-4e9f-a1c2-3d4e5f6a7b8c"
)

// TestParseCgroupPath uses cgroup paths as they appear in /proc/<pid>/cgroup
// (v2 "0::" lines and v1 controller lines) on hosts of each runtime layout.
func TestParseCgroupPath(t *testing.T) {
	tests := []struct {
		name string
		path string
		want containerRef
	}{
		{"host root", "/", containerRef{}},
		{"host service", "/system.slice/sshd.service", containerRef{}},
		{"host user session", "/user.slice/user-1000.slice/session-3.scope", containerRef{}},
		{"docker systemd v2", "/system.slice/docker-" + cid1 + ".scope", containerRef{cid1, runtimeDocker, ""}},
		{"docker cgroupfs v1", "/docker/" + cid1, containerRef{cid1, runtimeDocker, ""}},
		{"docker in docker", "/docker/" + cid1 + "/docker/" + cid2, containerRef{cid2, runtimeDocker, ""}},
		{"podman cgroupfs (this host)", "/libpod_parent/libpod-" + cid1, containerRef{cid1, runtimePodman, ""}},
		{"podman systemd root", "/machine.slice/libpod-" + cid1 + ".scope", containerRef{cid1, runtimePodman, ""}},
		{"podman systemd nested container group", "/machine.slice/libpod-" + cid1 + ".scope/container", containerRef{cid1, runtimePodman, ""}},
		{"podman rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + cid1 + ".scope", containerRef{cid1, runtimePodman, ""}},
		{"podman conmon is not a container", "/machine.slice/libpod-conmon-" + cid1 + ".scope", containerRef{}},
		{"crio conmon is not a container", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + "2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c" + ".slice/crio-conmon-" + cid1 + ".scope", containerRef{}},
		{"containerd k8s systemd v2", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice/cri-containerd-" + cid1 + ".scope", containerRef{cid1, runtimeContainerd, uid1}},
		{"containerd k8s guaranteed systemd", "/kubepods.slice/kubepods-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice/cri-containerd-" + cid1 + ".scope", containerRef{cid1, runtimeContainerd, uid1}},
		{"containerd k8s systemd v1", "/system.slice/containerd.service/kubepods-burstable-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice:cri-containerd:" + cid1, containerRef{cid1, runtimeContainerd, uid1}},
		{"crio k8s systemd", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice/crio-" + cid1 + ".scope", containerRef{cid1, runtimeCRIO, uid1}},
		{"k8s cgroupfs", "/kubepods/burstable/pod" + uid1 + "/" + cid1, containerRef{cid1, "", uid1}},
		{"k8s cgroupfs guaranteed", "/kubepods/pod" + uid1 + "/" + cid1, containerRef{cid1, "", uid1}},
		{"k8s docker systemd", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice/docker-" + cid1 + ".scope", containerRef{cid1, runtimeDocker, uid1}},
		{"k8s pod slice without container", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice", containerRef{}},
		{"nerdctl systemd", "/system.slice/nerdctl-" + cid1 + ".scope", containerRef{cid1, runtimeContainerd, ""}},
		{"containerd namespace cgroupfs", "/default/" + cid1, containerRef{cid1, "", ""}},
		{"too short id", "/docker/34b0c7e21dfa", containerRef{}},
		{"upper-case is not an id", "/docker/34B0C7E21DFA1FCD3DB68FFD697F70DCB3D36A1C22039BFC46A46AEABFE7D262", containerRef{}},
		{"unknown prefix", "/system.slice/foo-" + cid1 + ".scope", containerRef{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseCgroupPath(tt.path))
		})
	}
}

func TestProcCgroupPath(t *testing.T) {
	hybrid := "10:hugetlb:/libpod_parent/libpod-" + cid1 + "\n" +
		"9:name=systemd:/libpod_parent/libpod-" + cid1 + "\n" +
		"4:memory:/libpod_parent/libpod-" + cid1 + "\n" +
		"0::/libpod_parent/libpod-" + cid1 + "\n"
	v2, v1 := procCgroupPath(hybrid)
	assert.Equal(t, "/libpod_parent/libpod-"+cid1, v2)
	assert.Equal(t, "/libpod_parent/libpod-"+cid1, v1)

	pureV2 := "0::/system.slice/docker-" + cid1 + ".scope\n"
	v2, v1 = procCgroupPath(pureV2)
	assert.Equal(t, "/system.slice/docker-"+cid1+".scope", v2)
	assert.Empty(t, v1)

	// A v1-only host where only some controllers name the container.
	pureV1 := "12:cpuset:/\n11:memory:/docker/" + cid1 + "\n1:name=systemd:/docker/" + cid1 + "\n"
	v2, v1 = procCgroupPath(pureV1)
	assert.Empty(t, v2)
	assert.Equal(t, "/docker/"+cid1, v1)

	host := "9:name=systemd:/\n4:memory:/process_api/6c7b\n0::/\n"
	v2, v1 = procCgroupPath(host)
	assert.Equal(t, "/", v2)
	assert.Equal(t, "/", v1)
}

// FuzzParseCgroupPath: any path (it comes from /proc or cgroupfs) parses
// without panicking, and what it yields is well-formed and in the path.
func FuzzParseCgroupPath(f *testing.F) {
	f.Add("/system.slice/docker-" + cid1 + ".scope")
	f.Add("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice/cri-containerd-" + cid1 + ".scope")
	f.Add("/system.slice/containerd.service/kubepods-burstable-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice:cri-containerd:" + cid1)
	f.Add("0::/libpod_parent/libpod-" + cid1 + "\n4:memory:/docker/" + cid2)
	f.Add("")
	f.Fuzz(func(t *testing.T, path string) {
		ref := parseCgroupPath(path)
		if ref.containerID != "" {
			if !isContainerID(ref.containerID) || !strings.Contains(path, ref.containerID) {
				t.Fatalf("bad container id %q from %q", ref.containerID, path)
			}
		} else if ref.podUID != "" || ref.runtime != "" {
			t.Fatalf("pod uid or runtime without a container in %q: %+v", path, ref)
		}
		if ref.podUID != "" && !isUID(ref.podUID) {
			t.Fatalf("bad pod uid %q from %q", ref.podUID, path)
		}
		_, _ = procCgroupPath(path)
	})
}
