//go:build linux

package processprobe

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// BenchmarkSeedRealProc: seed from this host's /proc (every process but
// kernel threads), as Probe.Start does (no filter maps: everything passes).
func BenchmarkSeedRealProc(b *testing.B) {
	seeded := 0
	b.ReportAllocs()
	for b.Loop() {
		tr := newTracker(DefaultConfig(), fixedClock{}, newBenchSink())
		st, err := seedRunning(tr, nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		seeded = st.Seeded
	}
	b.ReportMetric(float64(seeded), "processes")
	if seeded > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*seeded), "ns/process")
	}
}

// TestLoadSeedFilterFromSharedMaps fills the receiver's real filter maps
// and reads them back as the seeding filter.
func TestLoadSeedFilterFromSharedMaps(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: creating the filter maps needs CAP_BPF")
	}
	shared, err := bpfheaders.NewSharedMaps(bpfheaders.Filter{
		SelfPID: 77, PIDs: []uint32{100}, ExcludePIDs: []uint32{200},
		Comms: []string{"curl"}, ExcludeComms: []string{"sshd"},
		UIDs: []uint32{1000}, ExcludeUIDs: []uint32{65534},
		CgroupIDs: []uint64{4242}, ExcludeCgroupIDs: []uint64{99},
	})
	require.NoError(t, err)
	defer shared.Close()
	f, err := loadSeedFilter(shared.Maps(), 1)
	require.NoError(t, err)
	assert.Equal(t, uint32(77), f.self, "the receiver's self pid wins")
	assert.Equal(t, uint32(filterIncludePIDs|filterIncludeComms|filterIncludeUIDs|filterIncludeCgroups), f.flags)
	assert.Equal(t, uint8(filterPIDInclude), f.pids[100])
	assert.Equal(t, uint8(filterPIDExclude), f.pids[200])
	assert.Equal(t, map[string]uint8{"curl": filterMatchInclude, "sshd": filterMatchExclude}, f.comms)
	assert.Equal(t, map[uint32]uint8{1000: filterMatchInclude, 65534: filterMatchExclude}, f.uids)
	assert.Equal(t, map[uint64]uint8{4242: filterMatchInclude, 99: filterMatchExclude}, f.cgroups)
	assert.True(t, f.pass(&seedProc{pid: 100, comm: "curl", uid: 1000, cgroupID: 4242}))
	assert.False(t, f.pass(&seedProc{pid: 100, comm: "wget", uid: 1000, cgroupID: 4242}))
	assert.False(t, f.pass(&seedProc{pid: 77, comm: "curl", uid: 1000, cgroupID: 4242}))

	none, err := loadSeedFilter(nil, 5)
	require.NoError(t, err)
	assert.True(t, none.pass(&seedProc{pid: 6}))
	assert.False(t, none.pass(&seedProc{pid: 5}))
}
