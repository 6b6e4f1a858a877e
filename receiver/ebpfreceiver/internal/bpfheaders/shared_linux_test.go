//go:build linux

package bpfheaders

import (
	"os"
	"os/exec"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf/btf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeaderLayoutMatchesBTF(t *testing.T) {
	spec, err := loadShared()
	require.NoError(t, err)
	var hdr *btf.Struct
	require.NoError(t, spec.Types.TypeByName("otr_event_header", &hdr))
	assert.Equal(t, uint32(HeaderSize), hdr.Size)
	assert.Equal(t, uintptr(HeaderSize), unsafe.Sizeof(sharedOtrEventHeader{}))
	want := map[string]uint32{"type": 0, "pid": 4, "ktime": 8, "tid": 16, "ppid": 20, "uid": 24, "_pad0": 28, "cgroup_id": 32, "comm": 40}
	for _, m := range hdr.Members {
		off, ok := want[m.Name]
		require.True(t, ok, "unexpected member %s", m.Name)
		assert.Equal(t, off*8, uint32(m.Offset), m.Name)
	}
	assert.Len(t, hdr.Members, len(want))
}

func TestParseHeader(t *testing.T) {
	raw := make([]byte, HeaderSize)
	raw[0] = 3
	raw[4] = 10
	raw[20] = 9
	copy(raw[40:], "curl")
	h, err := ParseHeader(raw)
	require.NoError(t, err)
	assert.Equal(t, Header{Type: 3, PID: 10, PPID: 9, Comm: "curl"}, h)
	_, err = ParseHeader(raw[:10])
	assert.EqualError(t, err, "event header: 10 bytes, want at least 56")
}

func TestNewSharedMapsLoadsFilter(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: creating maps")
	}
	// A running child of ours is a descendant of our pid: with
	// FollowChildren it joins the tree at start.
	child := exec.Command("/bin/sleep", "30")
	require.NoError(t, child.Start())
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()

	self := uint32(os.Getpid())
	s, err := NewSharedMaps(Filter{
		SelfPID: 1, PIDs: []uint32{self}, ExcludePIDs: []uint32{424242}, FollowChildren: true,
		Comms: []string{"curl"}, ExcludeUIDs: []uint32{65534}, CgroupIDs: []uint64{7}, WakeupBytes: 4096,
	})
	require.NoError(t, err)
	maps := s.Maps()
	require.Len(t, maps, 6)

	var cfg sharedOtrFilterConfig
	require.NoError(t, maps[MapFilterSettings].Lookup(uint32(0), &cfg))
	assert.Equal(t, uint32(1), cfg.SelfTgid)
	assert.Equal(t, flagIncludePIDs|flagIncludeComms|flagIncludeCgroups, cfg.Flags)
	assert.Equal(t, uint64(4096), cfg.WakeupBytes)

	var v uint8
	require.NoError(t, maps[MapFilterPIDs].Lookup(self, &v))
	assert.Equal(t, pidInclude|pidFollow, v)
	require.NoError(t, maps[MapFilterPIDs].Lookup(uint32(child.Process.Pid), &v), "existing descendant joins the tree")
	assert.Equal(t, pidInclude|pidFollow, v)
	require.NoError(t, maps[MapFilterPIDs].Lookup(uint32(424242), &v))
	assert.Equal(t, pidExclude|pidFollow, v)
	require.NoError(t, maps[MapFilterComms].Lookup(commKey("curl"), &v))
	assert.Equal(t, matchInclude, v)
	require.NoError(t, maps[MapFilterUIDs].Lookup(uint32(65534), &v))
	assert.Equal(t, matchExclude, v)

	losses, err := s.ReadLosses()
	require.NoError(t, err)
	assert.Empty(t, losses)

	require.NoError(t, s.Close())
	_, err = s.ReadLosses()
	assert.Error(t, err)
	// The maps handed out are closed too.
	assert.Error(t, maps[MapFilterPIDs].Lookup(self, &v))
}
