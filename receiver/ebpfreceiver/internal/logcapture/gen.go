package logcapture

//go:generate go tool bpf2go -tags linux -target amd64 -type log_open_event -type log_write_event logcapture logcapture.c -- -I../bpfheaders -Wall -Werror
