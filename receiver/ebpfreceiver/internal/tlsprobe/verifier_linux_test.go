//go:build linux

package tlsprobe

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifierHeadroom loads the programs with the largest capture limit
// (64 chunks, walked with bpf_loop) and checks the verifier's work stays far below its 1M
// instruction limit, so that an older or stricter verifier still loads them.
func TestVerifierHeadroom(t *testing.T) {
	requireRoot(t)
	env, _ := newTestEnv(t)
	for _, single := range []bool{false, true} {
		cfg := NewDefaultConfig()
		cfg.MaxPayloadBytes = MaxPayloadLimit
		p := &Probe{cfg: cfg, singleUprobes: single}
		require.NoError(t, p.load(env))
		for name, prog := range p.coll.Programs {
			info, err := prog.Info()
			require.NoError(t, err)
			n, ok := info.VerifiedInstructions()
			if !ok {
				t.Skip("kernel does not report verified instructions")
			}
			t.Logf("%s: %d instructions verified", name, n)
			assert.Less(t, n, uint32(100_000), name)
		}
		require.NoError(t, p.closeLocked())
	}
}
