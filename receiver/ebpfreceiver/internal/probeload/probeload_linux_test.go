//go:build linux

package probeload

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSharedMapsKeepsOnlyDeclared(t *testing.T) {
	spec := &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{"otr_filter": {}, "events": {}}}
	a, b := &ebpf.Map{}, &ebpf.Map{}
	got := SharedMaps(spec, map[string]*ebpf.Map{"otr_filter": a, "otr_other": b})
	assert.Equal(t, map[string]*ebpf.Map{"otr_filter": a}, got)
}

func TestSetRingSize(t *testing.T) {
	newSpec := func() *ebpf.CollectionSpec {
		return &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{"events": {MaxEntries: 4096}}}
	}
	spec := newSpec()
	require.NoError(t, SetRingSize(spec, "events", 1<<20, 1<<16))
	assert.Equal(t, uint32(1<<20), spec.Maps["events"].MaxEntries, "the probe's own size wins")

	spec = newSpec()
	require.NoError(t, SetRingSize(spec, "events", 0, 1<<16))
	assert.Equal(t, uint32(1<<16), spec.Maps["events"].MaxEntries, "else the receiver's")

	spec = newSpec()
	require.NoError(t, SetRingSize(spec, "events", 0, 0))
	assert.Equal(t, uint32(4096), spec.Maps["events"].MaxEntries, "else the compiled size")

	err := SetRingSize(newSpec(), "missing", 0, 1<<16)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing")
}

type closer struct {
	closed int
	err    error
}

func (c *closer) Close() error {
	c.closed++
	return c.err
}

func TestTeardown(t *testing.T) {
	require.NoError(t, Teardown[closer]("x probe", nil, nil, nil), "nothing loaded")

	ok := &closer{}
	require.NoError(t, Teardown("x probe", nil, nil, ok))
	assert.Equal(t, 1, ok.closed)

	bad := &closer{err: errors.New("boom")}
	err := Teardown("x probe", nil, nil, bad)
	require.Error(t, err)
	assert.Equal(t, "x probe: close BPF objects: boom", err.Error())
	assert.ErrorIs(t, err, bad.err)
}

func TestCheckRingBufferSize(t *testing.T) {
	for _, ok := range []int{0, 64 << 10, 16 << 20, 1 << 30} {
		assert.NoError(t, CheckRingBufferSize(ok), ok)
	}
	for _, bad := range []int{-1, 4096, 100000, 2 << 30} {
		assert.EqualError(t, CheckRingBufferSize(bad),
			fmt.Sprintf("ring_buffer_size: %d must be 0 (the receiver's size) or a power of two between 65536 and 1073741824", bad))
	}
}
