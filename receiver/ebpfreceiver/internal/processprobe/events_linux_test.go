//go:build linux

package processprobe

import (
	"testing"
	"unsafe"

	"github.com/cilium/ebpf/btf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventLayoutMatchesBTF checks the sizes and offsets the decoder uses
// against the compiled object's BTF, and the bpf2go structs' sizes.
func TestEventLayoutMatchesBTF(t *testing.T) {
	spec, err := loadProcess()
	require.NoError(t, err)
	member := func(s *btf.Struct, name string) btf.Member {
		for _, m := range s.Members {
			if m.Name == name {
				return m
			}
		}
		t.Fatalf("struct %s has no member %s", s.Name, name)
		return btf.Member{}
	}
	var exec, fork, exit *btf.Struct
	require.NoError(t, spec.Types.TypeByName("exec_event", &exec))
	require.NoError(t, spec.Types.TypeByName("fork_event", &fork))
	require.NoError(t, spec.Types.TypeByName("exit_event", &exit))

	assert.Equal(t, uint32(execEventSize), exec.Size)
	assert.Equal(t, uint32(forkEventSize), fork.Size)
	assert.Equal(t, uint32(exitEventSize), exit.Size)
	assert.Equal(t, uintptr(execEventSize), unsafe.Sizeof(processExecEvent{}))
	assert.Equal(t, uintptr(forkEventSize), unsafe.Sizeof(processForkEvent{}))
	assert.Equal(t, uintptr(exitEventSize), unsafe.Sizeof(processExitEvent{}))

	for name, off := range map[string]uint32{
		"hdr": 0, "start_time": 56, "old_pid": 64, "args_len": 68, "args_size": 72,
		"filename_len": 80, "flags": 84, "ns_pid": 88, "ns_mnt": 92, "ns_net": 96, "ns_uts": 100,
		"filename": execFilenameOff, "args": execArgsOff,
	} {
		assert.Equal(t, off*8, uint32(member(exec, name).Offset), "exec_event.%s", name)
	}
	assert.Equal(t, uint32(56*8), uint32(member(fork, "start_time").Offset))
	assert.Equal(t, uint32(56*8), uint32(member(exit, "start_time").Offset))
	assert.Equal(t, uint32(64*8), uint32(member(exit, "exit_code").Offset))
	arr, ok := member(exec, "args").Type.(*btf.Array)
	require.True(t, ok)
	assert.Equal(t, uint32(execArgsCap), arr.Nelems)
	arr, ok = member(exec, "filename").Type.(*btf.Array)
	require.True(t, ok)
	assert.Equal(t, uint32(execFilenameLen), arr.Nelems)
}
