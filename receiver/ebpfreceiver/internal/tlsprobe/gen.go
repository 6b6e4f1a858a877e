package tlsprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"

//go:generate go tool bpf2go -tags linux -target bpfel -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" -type payload_event tls tls.bpf.c -- -I../bpfheaders
