package processprobe

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// rawHeader builds a struct otr_event_header.
func rawHeader(buf []byte, typ, pid, ppid, uid uint32, ktime, cgroup uint64, comm string) {
	le := binary.LittleEndian
	le.PutUint32(buf[0:], typ)
	le.PutUint32(buf[4:], pid)
	le.PutUint64(buf[8:], ktime)
	le.PutUint32(buf[16:], pid)
	le.PutUint32(buf[20:], ppid)
	le.PutUint32(buf[24:], uid)
	le.PutUint64(buf[32:], cgroup)
	copy(buf[40:56], comm)
}

func rawExec(pid, ppid uint32, filename string, args []string, argsSize uint64, flags uint32) []byte {
	b := make([]byte, execEventSize)
	rawHeader(b, eventExec, pid, ppid, 1000, 2_000_000_000, 77, "true")
	le := binary.LittleEndian
	le.PutUint64(b[56:], 1_000_000_000)
	var argv []byte
	for _, a := range args {
		argv = append(argv, a...)
		argv = append(argv, 0)
	}
	n := copy(b[execArgsOff:], argv)
	le.PutUint32(b[68:], uint32(n))
	if argsSize == 0 {
		argsSize = uint64(len(argv))
	}
	le.PutUint64(b[72:], argsSize)
	le.PutUint32(b[80:], uint32(len(filename)+1))
	le.PutUint32(b[84:], flags)
	le.PutUint32(b[88:], 4026531836)
	le.PutUint32(b[92:], 4026531841)
	le.PutUint32(b[96:], 4026531840)
	le.PutUint32(b[100:], 4026531838)
	copy(b[execFilenameOff:], filename)
	return b
}

func TestDecodeExec(t *testing.T) {
	raw := rawExec(10, 9, "/bin/true", []string{"/bin/true", "a", "", "b c"}, 0, 0)
	h, err := bpfheaders.ParseHeader(raw)
	require.NoError(t, err)
	assert.Equal(t, bpfheaders.Header{Type: eventExec, PID: 10, TID: 10, PPID: 9, UID: 1000, Ktime: 2_000_000_000, CgroupID: 77, Comm: "true"}, h)
	e, err := decodeExec(raw, h, 64, ArgsKernelLimit)
	require.NoError(t, err)
	assert.Equal(t, "/bin/true", e.filename)
	assert.Equal(t, []string{"/bin/true", "a", "", "b c"}, e.args, "empty arguments are kept")
	assert.False(t, e.argsCut)
	assert.Equal(t, uint32(4026531836), e.nsPID)
	assert.Equal(t, uint32(4026531838), e.nsUTS)
	assert.Equal(t, uint64(1_000_000_000), e.startTime)
}

func TestDecodeExecTruncation(t *testing.T) {
	t.Run("kernel cut", func(t *testing.T) {
		raw := rawExec(10, 9, "/bin/x", []string{"/bin/x", "abc"}, 10000, execFlagArgsTruncated)
		h, _ := bpfheaders.ParseHeader(raw)
		e, err := decodeExec(raw, h, 64, ArgsKernelLimit)
		require.NoError(t, err)
		assert.True(t, e.argsCut)
		assert.Equal(t, uint64(10000), e.argsSize)
	})
	t.Run("max_args", func(t *testing.T) {
		raw := rawExec(10, 9, "/bin/x", []string{"/bin/x", "1", "2", "3"}, 0, 0)
		h, _ := bpfheaders.ParseHeader(raw)
		e, err := decodeExec(raw, h, 2, ArgsKernelLimit)
		require.NoError(t, err)
		assert.Equal(t, []string{"/bin/x", "1"}, e.args)
		assert.True(t, e.argsCut)
	})
	t.Run("max_args_bytes", func(t *testing.T) {
		raw := rawExec(10, 9, "/bin/x", []string{"/bin/x", "123456"}, 0, 0)
		h, _ := bpfheaders.ParseHeader(raw)
		e, err := decodeExec(raw, h, 64, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"/bin/x", "123"}, e.args)
		assert.True(t, e.argsCut)
	})
}

func TestDecodeRejectsShortAndBad(t *testing.T) {
	tr := newTracker(DefaultConfig(), fixedClock{}, &recordingSink{})
	assert.ErrorContains(t, tr.handle(make([]byte, 10)), "event header: 10 bytes")
	raw := make([]byte, 60)
	rawHeader(raw, eventExec, 1, 0, 0, 0, 0, "x")
	assert.ErrorContains(t, tr.handle(raw), "exec event: 60 bytes")
	rawHeader(raw, 99, 1, 0, 0, 0, 0, "x")
	assert.ErrorContains(t, tr.handle(raw), "unknown process event type 99")
	big := rawExec(1, 0, "/x", nil, 0, 0)
	binary.LittleEndian.PutUint32(big[68:], 5000)
	assert.ErrorContains(t, tr.handle(big), "args_len 5000")
}

func TestExitCode(t *testing.T) {
	c, s := exitEvent{exitCode: 3 << 8}.code()
	assert.Equal(t, 3, c)
	assert.Equal(t, 0, s)
	c, s = exitEvent{exitCode: 9}.code()
	assert.Equal(t, 137, c)
	assert.Equal(t, 9, s)
	c, s = exitEvent{exitCode: 0x80 | 11}.code() // core dumped
	assert.Equal(t, 139, c)
	assert.Equal(t, 11, s)
}
