package fileprobe

//go:generate go tool bpf2go -tags linux -target amd64 -type file_event -type file_rename_event file file.c -- -I../bpfheaders -Wall -Werror
