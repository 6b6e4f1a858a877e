//go:build linux

package tlsprobe

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStartAttachesSystemLibraries(t *testing.T) {
	requireRoot(t)
	env, _ := newTestEnv(t)
	p := New(NewDefaultConfig())
	require.NoError(t, p.Start(context.Background(), env))
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	att := p.(*Probe).att.attached()
	t.Log(att)
	require.NotEmpty(t, att)
}
