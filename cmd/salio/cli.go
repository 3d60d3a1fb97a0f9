package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/salio/salio/tariff"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `usage: salio <command> [arguments]

commands:
  serve [flags]        run the engine and its HTTP API (salio serve --help)
  version              print the version
  check-tariff FILE    validate a tariff document
`

// run executes one command and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "check-tariff":
		return checkTariff(args[1:], stdout, stderr)
	case "help", "--help", "-h", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "salio: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		return "salio " + v + " " + bi.GoVersion
	}
	return "salio " + v
}

// checkTariff parses and validates a tariff document as PUT /v1/tariffs
// would, and prints what it found or the field at fault.
func checkTariff(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: salio check-tariff FILE")
		return 2
	}
	doc, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(stderr, "salio:", err)
		return 1
	}
	t, err := tariff.Parse(doc)
	if err != nil {
		fmt.Fprintf(stderr, "salio: %s: invalid tariff: %v\n", args[0], err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: tariff %q (%s) is valid\n", args[0], t.ID, t.Currency)
	return 0
}
