package fileprobe

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKernelPath(t *testing.T) {
	for _, c := range []struct {
		p         string
		dfd       int32
		truncated bool
		want      string
	}{
		{"/tmp/x/./a", dfdResolved, false, "/tmp/x/a"},
		{"/tmp/x/../y/b", dfdResolved, false, "/tmp/y/b"},
		{"/tmp/x/./", dfdResolved, true, "/tmp/x/./"}, // cut: left as is
		{"/tmp/x/./a", atFDCWD, false, "/tmp/x/./a"},  // not made absolute by the kernel
		{"rel/./a", dfdResolved, false, "rel/./a"},
		{"", dfdResolved, false, ""},
	} {
		assert.Equal(t, c.want, kernelPath(c.p, c.dfd, c.truncated), "%+v", c)
	}
}
