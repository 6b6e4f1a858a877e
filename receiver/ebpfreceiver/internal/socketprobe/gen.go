package socketprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/socketprobe"

//go:generate go tool bpf2go -tags linux -target bpfel -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" socket socket.bpf.c -- -I../bpfheaders -I../tlsprobe
