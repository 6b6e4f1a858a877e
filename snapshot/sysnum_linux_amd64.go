package snapshot

// sysProcessVMReadv is process_vm_readv's number on linux/amd64 (the
// syscall package's table predates it).
const sysProcessVMReadv = 310
