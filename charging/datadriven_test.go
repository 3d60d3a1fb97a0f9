package charging

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A tiny datadriven runner in the style of cockroachdb/datadriven: a file is a
// list of cases, each a command line, a "----" line and the expected output,
// separated by blank lines. `go test -run TestEngineScripts -rewrite` rewrites
// the expected outputs (review the diff before committing).

var rewrite = flag.Bool("rewrite", false, "rewrite datadriven expected outputs")

type ddCase struct {
	pos      string
	cmd      string
	args     []string
	kv       map[string]string
	expected string
}

func (c *ddCase) arg(i int) string {
	if i < len(c.args) {
		return c.args[i]
	}
	return ""
}

func parseDD(t *testing.T, path string) (cases []*ddCase, comments map[int]string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	var cur *ddCase
	inOut := false
	var out []string
	flush := func() {
		if cur != nil {
			cur.expected = strings.Join(out, "\n")
			cases = append(cases, cur)
		}
		cur, inOut, out = nil, false, nil
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case inOut && text == "":
			flush()
		case inOut:
			out = append(out, text)
		case text == "----":
			inOut = true
		case text == "" || strings.HasPrefix(text, "#"):
		default:
			fields := strings.Fields(text)
			cur = &ddCase{pos: fmt.Sprintf("%s:%d", filepath.Base(path), line), cmd: fields[0], kv: map[string]string{}}
			for _, a := range fields[1:] {
				if k, v, ok := strings.Cut(a, "="); ok {
					cur.kv[k] = v
				} else {
					cur.args = append(cur.args, a)
				}
			}
			cur.args = append([]string{}, cur.args...)
			cur.expected = ""
			_ = text
			cur.kv["__line"] = text
		}
	}
	flush()
	return cases, nil
}

func runDD(t *testing.T, path string, run func(c *ddCase) string) {
	cases, _ := parseDD(t, path)
	var b strings.Builder
	for _, c := range cases {
		got := strings.TrimRight(run(c), "\n")
		if *rewrite {
			fmt.Fprintf(&b, "%s\n----\n%s\n\n", c.kv["__line"], got)
			continue
		}
		if got != c.expected {
			t.Errorf("%s: %s\nexpected:\n%s\ngot:\n%s", c.pos, c.kv["__line"], c.expected, got)
		}
	}
	if *rewrite {
		// Keep the file's comment header (lines before the first case).
		raw, _ := os.ReadFile(path)
		var header []string
		for _, l := range strings.Split(string(raw), "\n") {
			if !strings.HasPrefix(l, "#") {
				break
			}
			header = append(header, l)
		}
		content := b.String()
		if len(header) > 0 {
			content = strings.Join(header, "\n") + "\n\n" + content
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
