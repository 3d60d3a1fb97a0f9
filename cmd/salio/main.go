// Command salio runs the Salio charging engine. See doc.go.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
