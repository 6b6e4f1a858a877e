//go:build linux

package socketprobe

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkSyscallOverhead measures what the socket probe adds to syscalls
// of the whole system: a 1-byte read of /dev/zero (a non-socket fd: the
// probe's sys_enter looks the fd up and returns) and a 1-byte write+read
// round trip over a loopback TCP pair (a socket outside the port filter),
// with and without the probe attached.
func BenchmarkSyscallOverhead(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root for eBPF")
	}
	f, err := os.Open("/dev/zero")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	buf := make([]byte, 1)

	run := func(b *testing.B) {
		b.Run("read_dev_zero", func(b *testing.B) {
			for b.Loop() {
				if _, err := unix.Read(fd, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("unix_socket_write_read", func(b *testing.B) {
			for b.Loop() {
				if _, err := unix.Write(fds[0], buf); err != nil {
					b.Fatal(err)
				}
				if _, err := unix.Read(fds[1], buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("none", run)
	b.Run("socket_probe", func(b *testing.B) {
		startProbe(b, Config{Ports: []int{1}, MaxPayloadBytes: 65536})
		run(b)
	})
}
