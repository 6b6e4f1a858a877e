//go:build linux && amd64

package fileprobe

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// TestEventLayout checks the decoder's offsets against the bpf2go types
// (generated from the object's BTF).
func TestEventLayout(t *testing.T) {
	var e fileFileEvent
	assert.Equal(t, uintptr(bpfheaders.HeaderSize), unsafe.Offsetof(e.DurationNs))
	for name, pair := range map[string][2]uintptr{
		"duration_ns": {unsafe.Offsetof(e.DurationNs), offDuration},
		"ret":         {unsafe.Offsetof(e.Ret), offRet},
		"read_bytes":  {unsafe.Offsetof(e.ReadBytes), offReadBytes},
		"write_bytes": {unsafe.Offsetof(e.WriteBytes), offWriteBytes},
		"open_ktime":  {unsafe.Offsetof(e.OpenKtime), offOpenKtime},
		"nr":          {unsafe.Offsetof(e.Nr), offNr},
		"flags":       {unsafe.Offsetof(e.Flags), offFlags},
		"mode":        {unsafe.Offsetof(e.Mode), offMode},
		"fd":          {unsafe.Offsetof(e.Fd), offFd},
		"dfd":         {unsafe.Offsetof(e.Dfd), offDfd},
		"dfd2":        {unsafe.Offsetof(e.Dfd2), offDfd2},
		"path_len":    {unsafe.Offsetof(e.PathLen), offPathLen},
		"path2_len":   {unsafe.Offsetof(e.Path2Len), offPath2Len},
		"path":        {unsafe.Offsetof(e.Path), offPath},
	} {
		assert.Equal(t, pair[1], pair[0], name)
	}
	assert.Equal(t, uintptr(eventSize), unsafe.Sizeof(e))
	assert.Equal(t, uintptr(renameSize), unsafe.Sizeof(fileFileRenameEvent{}))
}
