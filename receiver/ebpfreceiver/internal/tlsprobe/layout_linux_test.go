//go:build linux

package tlsprobe

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe/payload"
)

// TestPayloadEventLayout checks the offsets the decoder uses against the Go
// struct bpf2go generated from the object's BTF.
func TestPayloadEventLayout(t *testing.T) {
	typ := reflect.TypeOf(tlsPayloadEvent{})
	hdr, ok := typ.FieldByName("Hdr")
	require.True(t, ok)
	assert.Equal(t, uintptr(0), hdr.Offset)
	assert.Equal(t, uintptr(bpfheaders.HeaderSize), hdr.Type.Size())
	for name, off := range payload.FieldOffsets() {
		f, ok := typ.FieldByName(name)
		require.True(t, ok, name)
		assert.Equal(t, f.Offset, off, name)
	}
	data, _ := typ.FieldByName("Data")
	assert.Equal(t, uintptr(payload.MaxChunkBytes), data.Type.Size())
}
