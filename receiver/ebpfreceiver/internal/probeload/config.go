package probeload

import "fmt"

// Ring buffer size bounds of a probe's ring_buffer_size override.
const (
	minRingBufferSize = 64 << 10
	maxRingBufferSize = 1 << 30
)

// CheckRingBufferSize checks a probe's ring_buffer_size override: 0 (keep
// the receiver's ring_buffer.size) or a power of two between 64 KiB and
// 1 GiB. The error names the field.
func CheckRingBufferSize(size int) error {
	if size != 0 && (size < minRingBufferSize || size > maxRingBufferSize || size&(size-1) != 0) {
		return fmt.Errorf("ring_buffer_size: %d must be 0 (the receiver's size) or a power of two between %d and %d",
			size, minRingBufferSize, maxRingBufferSize)
	}
	return nil
}
