package netprobe

//go:generate go tool bpf2go -tags linux -target amd64 -type net_event net net.c -- -I../bpfheaders -Wall -Werror
