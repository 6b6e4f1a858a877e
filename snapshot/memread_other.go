//go:build !(linux && (amd64 || arm64))

package snapshot

import (
	"errors"
	"runtime/debug"
	"unsafe"
)

// readMemory copies len(dst) bytes of this process's memory at addr into dst.
// Without process_vm_readv it reads through unsafe with SetPanicOnFault, so
// a fault on a bad address becomes an error instead of a crash.
func readMemory(addr uintptr, dst []byte) (err error) {
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
