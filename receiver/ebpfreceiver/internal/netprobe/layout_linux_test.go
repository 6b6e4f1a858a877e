//go:build linux && amd64

package netprobe

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestEventLayout checks the decoder's offsets against the bpf2go type.
func TestEventLayout(t *testing.T) {
	var e netNetEvent
	info := unsafe.Offsetof(e.Info)
	for name, pair := range map[string][2]uintptr{
		"duration_ns": {unsafe.Offsetof(e.DurationNs), offDuration},
		"ret":         {unsafe.Offsetof(e.Ret), offRet},
		"sent":        {unsafe.Offsetof(e.Sent), offSent},
		"received":    {unsafe.Offsetof(e.Received), offReceived},
		"open_ktime":  {unsafe.Offsetof(e.OpenKtime), offOpen},
		"fd":          {unsafe.Offsetof(e.Fd), offFd},
		"family":      {info + unsafe.Offsetof(e.Info.Family), offFamily},
		"protocol":    {info + unsafe.Offsetof(e.Info.Protocol), offProtocol},
		"type":        {info + unsafe.Offsetof(e.Info.Type), offType},
		"lport":       {info + unsafe.Offsetof(e.Info.Lport), offLport},
		"rport":       {info + unsafe.Offsetof(e.Info.Rport), offRport},
		"role":        {info + unsafe.Offsetof(e.Info.Role), offRole},
		"laddr":       {info + unsafe.Offsetof(e.Info.Laddr), offLaddr},
		"raddr":       {info + unsafe.Offsetof(e.Info.Raddr), offRaddr},
		"unix_path":   {unsafe.Offsetof(e.UnixPath), offUnixPath},
	} {
		assert.Equal(t, pair[1], pair[0], name)
	}
	assert.Equal(t, uintptr(eventSize), unsafe.Sizeof(e))
}
