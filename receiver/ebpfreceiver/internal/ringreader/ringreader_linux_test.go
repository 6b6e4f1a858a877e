//go:build linux

package ringreader

import (
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type countingSink struct {
	mu   sync.Mutex
	lost map[string]int64
	read int64
}

func (*countingSink) EmitLog(func(plog.LogRecord)) bool                 { return true }
func (*countingSink) EmitSpan(func(pcommon.Resource, ptrace.Span)) bool { return true }
func (s *countingSink) Lost(_, reason string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lost[reason] += n
}

func (s *countingSink) CountRead(_ string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.read += n
}

// writer is a socket-filter program that writes its 8-byte stack value
// r6 (loaded from the map below) to the ring with BPF_RB_NO_WAKEUP, so the
// reader sees it only through its poll timer.
func newWriter(t *testing.T, ring *ebpf.Map, value uint64) *ebpf.Program {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:    ebpf.SocketFilter,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.LoadImm(asm.R1, int64(value), asm.DWord),
			asm.StoreMem(asm.RFP, -8, asm.R1, asm.DWord),
			asm.LoadMapPtr(asm.R1, ring.FD()),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, -8),
			asm.Mov.Imm(asm.R3, 8),
			asm.Mov.Imm(asm.R4, 1), // BPF_RB_NO_WAKEUP
			asm.FnRingbufOutput.Call(),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		},
	})
	if err != nil {
		if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, os.ErrPermission) {
			t.Skipf("needs root for eBPF: %v", err)
		}
		require.NoError(t, err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

func TestReaderDrainsNoWakeupRecordsAndCountsDecodeErrors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: creating ring buffers and programs")
	}
	ring, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.RingBuf, MaxEntries: uint32(os.Getpagesize())})
	require.NoError(t, err)
	defer ring.Close()

	sink := &countingSink{lost: map[string]int64{}}
	var mu sync.Mutex
	var got []uint64
	rd, err := Start(ring, Options{Probe: "test", PollInterval: 5 * time.Millisecond, Sink: sink}, func(raw []byte) error {
		v := binary.LittleEndian.Uint64(raw)
		if v == 0xbad {
			return errors.New("bad record")
		}
		mu.Lock()
		got = append(got, v)
		mu.Unlock()
		return nil
	})
	require.NoError(t, err)

	pkt := make([]byte, 64)
	for _, v := range []uint64{1, 2, 0xbad, 3} {
		ret, err := newWriter(t, ring, v).Run(&ebpf.RunOptions{Data: pkt})
		require.NoError(t, err)
		require.Equal(t, uint32(0), ret)
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 3
	}, 5*time.Second, time.Millisecond, "records submitted without wakeup are drained by the poll timer")
	require.NoError(t, rd.Close())
	require.NoError(t, rd.Close(), "Close twice")
	assert.Equal(t, []uint64{1, 2, 3}, got)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	assert.Equal(t, int64(1), sink.lost["decode_error"])
	assert.Equal(t, int64(4), sink.read)
}
