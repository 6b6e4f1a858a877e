//go:build linux && amd64

package syscallprobe

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestEventLayout checks the decoder's offsets against the bpf2go type.
func TestEventLayout(t *testing.T) {
	var e syscallScEvent
	assert.Equal(t, uintptr(offDuration), unsafe.Offsetof(e.DurationNs))
	assert.Equal(t, uintptr(offRet), unsafe.Offsetof(e.Ret))
	assert.Equal(t, uintptr(offArgs), unsafe.Offsetof(e.Args))
	assert.Equal(t, uintptr(offNr), unsafe.Offsetof(e.Nr))
	assert.Equal(t, uintptr(offPathLen), unsafe.Offsetof(e.PathLen))
	assert.Equal(t, uintptr(offPath), unsafe.Offsetof(e.Path))
	assert.Equal(t, uintptr(offPath+pathMax), unsafe.Sizeof(e))
}
