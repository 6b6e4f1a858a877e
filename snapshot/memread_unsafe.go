package snapshot

import (
	"errors"
	"runtime/debug"
	"unsafe"
)

// readMemoryUnsafe copies len(dst) bytes of this process's memory at addr
// into dst through unsafe, with SetPanicOnFault so that a fault on a bad
// address becomes an error instead of a crash.
func readMemoryUnsafe(addr uintptr, dst []byte) (err error) {
	if len(dst) == 0 {
		return nil
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = errors.New("memory fault reading variable")
		}
	}()
	src := unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), len(dst))
	copy(dst, src)
	return nil
}
