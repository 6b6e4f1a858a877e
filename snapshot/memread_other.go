//go:build !(linux && (amd64 || arm64))

package snapshot

// readMemory copies len(dst) bytes of this process's memory at addr into dst.
func readMemory(addr uintptr, dst []byte) error {
	return readMemoryUnsafe(addr, dst)
}
