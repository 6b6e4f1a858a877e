package processprobe

//go:generate go tool bpf2go -tags linux -target bpfel -type exec_event -type fork_event -type exit_event process process.c -- -I../bpfheaders -Wall
