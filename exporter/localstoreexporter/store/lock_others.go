//go:build !unix

package store

import (
	"errors"
	"runtime"
)

// LockFileName is the file a writer holds an exclusive lock on.
const LockFileName = "events.lock"

type dirLock struct{}

func lockDir(string) (*dirLock, error) {
	return nil, errors.New("localstore: writing the event store is not supported on this platform (" + runtime.GOOS + "): no directory lock")
}

func (*dirLock) unlock() error { return nil }
