//go:build linux && amd64

package logcapture

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestEventLayout checks the decoder's offsets against the bpf2go types.
func TestEventLayout(t *testing.T) {
	var o logcaptureLogOpenEvent
	assert.Equal(t, uintptr(offFileID), unsafe.Offsetof(o.FileId))
	assert.Equal(t, uintptr(offFd), unsafe.Offsetof(o.Fd))
	assert.Equal(t, uintptr(offFd2), unsafe.Offsetof(o.Fd2))
	assert.Equal(t, uintptr(offDfd), unsafe.Offsetof(o.Dfd))
	assert.Equal(t, uintptr(offFlags), unsafe.Offsetof(o.Flags))
	assert.Equal(t, uintptr(offPathLen), unsafe.Offsetof(o.PathLen))
	assert.Equal(t, uintptr(offPath), unsafe.Offsetof(o.Path))
	assert.Equal(t, uintptr(offPath+pathMax), unsafe.Sizeof(o))
	var w logcaptureLogWriteEvent
	assert.Equal(t, uintptr(offFileID), unsafe.Offsetof(w.FileId))
	assert.Equal(t, uintptr(offLength), unsafe.Offsetof(w.Length))
	assert.Equal(t, uintptr(offCaptured), unsafe.Offsetof(w.Captured))
	assert.Equal(t, uintptr(offWriteFd), unsafe.Offsetof(w.Fd))
	assert.Equal(t, uintptr(offIOStream), unsafe.Offsetof(w.Iostream))
	assert.Equal(t, uintptr(offSeq), unsafe.Offsetof(w.Seq))
	assert.Equal(t, uintptr(offData), unsafe.Offsetof(w.Data))
	assert.Equal(t, hardMaxCaptureBytes*3, len(w.Data), "logcapture.c LOG_DATA_MAX matches hardMaxCaptureBytes")
}
