package main

import (
	"os"
	"syscall"
)

// datasync is what Pebble's WAL does on Linux: fdatasync.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
