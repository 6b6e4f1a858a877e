package syscallprobe

//go:generate go tool bpf2go -tags linux -target amd64 -type sc_event syscall syscall.c -- -I../bpfheaders -Wall -Werror
