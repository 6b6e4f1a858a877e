//go:build linux && (amd64 || arm64)

package snapshot

import (
	"fmt"
	"syscall"
	"unsafe"
)

// remoteIovec is struct iovec with the address kept as an integer: the
// address may be anything, so it is never turned into a Go pointer.
type remoteIovec struct {
	base   uintptr
	length uintptr
}

// readMemory copies len(dst) bytes of this process's memory at addr into dst
// with process_vm_readv(2) on our own pid: the kernel checks the address, so
// a stale or bad pointer gives an error instead of a fault. Where a seccomp
// filter forbids the call, it reads through unsafe instead.
func readMemory(addr uintptr, dst []byte) error {
	if len(dst) == 0 {
		return nil
	}
	local := syscall.Iovec{Base: &dst[0]}
	local.SetLen(len(dst))
	remote := remoteIovec{base: addr, length: uintptr(len(dst))}
	n, _, errno := syscall.Syscall6(sysProcessVMReadv, uintptr(syscall.Getpid()),
		uintptr(unsafe.Pointer(&local)), 1, uintptr(unsafe.Pointer(&remote)), 1, 0)
	if errno == syscall.EPERM || errno == syscall.ENOSYS {
		return readMemoryUnsafe(addr, dst)
	}
	if errno != 0 {
		return fmt.Errorf("process_vm_readv: %w", errno)
	}
	if int(n) != len(dst) {
		return fmt.Errorf("process_vm_readv: short read %d of %d bytes", n, len(dst))
	}
	return nil
}
