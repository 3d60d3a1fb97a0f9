package tariff

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/rating.txt with the actual results")

// TestRatingScript runs testdata/rating.txt: readable rating cases, each a
// command and its expected output (see the file's header).
func TestRatingScript(t *testing.T) {
	const path = "testdata/rating.txt"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	s := &script{tariff: Standard()}
	for n, line := range lines {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, want, hasWant := strings.Cut(line, " => ")
		got := s.run(cmd)
		if *update && got != "" {
			lines[n] = cmd + " => " + got
			continue
		}
		if hasWant && got != want || !hasWant && got != "" {
			t.Errorf("%s:%d: %s\n got: %s\nwant: %s", path, n+1, cmd, got, want)
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type script struct{ tariff *Tariff }

// run executes one command and returns its output ("" for tariff switches).
func (s *script) run(line string) string {
	args, err := splitArgs(line)
	if err != nil {
		return "bad script line: " + err.Error()
	}
	out, err := s.exec(args[0], args[1:])
	if err != nil {
		return "error: " + err.Error()
	}
	return out
}

func (s *script) exec(cmd string, args []string) (string, error) {
	switch {
	case cmd == "tariff" && len(args) == 1:
		t, err := loadTariff(args[0])
		if err != nil {
			return "", err
		}
		s.tariff = t
		return "", nil
	case cmd == "parse" && len(args) == 1:
		t, err := loadTariff(args[0])
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("id=%s currency=%s default_quota_seconds=%d tiers=%d",
			t.ID, t.Currency, t.DefaultQuotaSeconds, len(t.Tiers())), nil
	case cmd == "voice" && len(args) == 4:
		dir := map[string]Direction{"outbound": Outbound, "inbound": Inbound}[args[0]]
		r, err := s.tariff.Voice(dir, args[1])
		if err != nil {
			return "", err
		}
		return s.voice("prefix="+r.Prefix+" ", r, args[2], args[3])
	case cmd == "ivr" && len(args) == 2:
		r, ok := s.tariff.IVR()
		if !ok {
			return "", errors.New("no IVR rate in tariff")
		}
		return s.voice("", r, args[0], args[1])
	case cmd == "sms" && len(args) == 3:
		return s.sms(args[0], args[1], args[2])
	case cmd == "whatsapp" && len(args) == 3:
		rate, prefix, err := s.tariff.WhatsApp(args[0], args[1])
		if err != nil {
			return "", err
		}
		m, err := s.multiplier(args[2])
		if err != nil {
			return "", err
		}
		cost, err := MessageCost(rate, m)
		return fmt.Sprintf("prefix=%s per_message=%s multiplier=%s cost=%s",
			prefix, FormatPicos(rate), FormatMultiplier(m), FormatMicros(cost)), err
	case cmd == "ai" && len(args) == 4:
		return s.ai(args)
	case cmd == "storage" && len(args) == 2:
		rate, ok := s.tariff.Storage()
		if !ok {
			return "", errors.New("no storage rate in tariff")
		}
		gb, err := ParseMicros(args[0])
		if err != nil {
			return "", err
		}
		m, err := s.multiplier(args[1])
		if err != nil {
			return "", err
		}
		cost, err := StorageCost(rate, gb, m)
		return fmt.Sprintf("per_gb=%s multiplier=%s cost=%s", FormatPicos(rate), FormatMultiplier(m), FormatMicros(cost)), err
	case cmd == "tier" && len(args) == 1:
		spend, err := ParseMicros(args[0])
		if err != nil {
			return "", err
		}
		tier := s.tariff.TierFor(spend)
		return fmt.Sprintf("tier=%s multiplier=%s", tier.Name, FormatMultiplier(tier.MultiplierMicros)), nil
	}
	return "", fmt.Errorf("unknown command or wrong arguments: %s %v", cmd, args)
}

func (s *script) voice(prefix string, r VoiceRate, seconds, tier string) (string, error) {
	d, err := strconv.ParseInt(seconds, 10, 64)
	if err != nil {
		return "", err
	}
	m, err := s.multiplier(tier)
	if err != nil {
		return "", err
	}
	cost, err := r.Cost(d, m)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%sper_minute=%s fee=%s increments=%d/%d billed=%d multiplier=%s cost=%s",
		prefix, FormatPicos(r.PerMinutePicos), FormatPicos(r.FeePicos), r.InitialIncrement,
		r.SubsequentIncrement, r.Billed(d), FormatMultiplier(m), FormatMicros(cost)), nil
}

func (s *script) sms(dest, text, tier string) (string, error) {
	rate, prefix, err := s.tariff.SMS(dest)
	if err != nil {
		return "", err
	}
	m, err := s.multiplier(tier)
	if err != nil {
		return "", err
	}
	var segments int
	encoding := "-"
	if n, ok := strings.CutPrefix(text, "segments="); ok {
		if segments, err = strconv.Atoi(n); err != nil {
			return "", err
		}
	} else {
		var enc Encoding
		segments, enc = CountSegments(text)
		encoding = map[Encoding]string{GSM7: "gsm7", UCS2: "ucs2"}[enc]
	}
	cost, err := SMSCost(rate, int64(segments), m)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("prefix=%s per_segment=%s segments=%d encoding=%s multiplier=%s cost=%s",
		prefix, FormatPicos(rate), segments, encoding, FormatMultiplier(m), FormatMicros(cost)), nil
}

func (s *script) ai(args []string) (string, error) {
	in, out, model, err := s.tariff.AI(args[0])
	if err != nil {
		return "", err
	}
	inTokens, err1 := strconv.ParseInt(args[1], 10, 64)
	outTokens, err2 := strconv.ParseInt(args[2], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return "", err
	}
	m, err := s.multiplier(args[3])
	if err != nil {
		return "", err
	}
	cost, err := AICost(in, out, inTokens, outTokens, m)
	return fmt.Sprintf("model=%s per_1k_input=%s per_1k_output=%s multiplier=%s cost=%s",
		model, FormatPicos(in), FormatPicos(out), FormatMultiplier(m), FormatMicros(cost)), err
}

func (s *script) multiplier(tierName string) (int64, error) {
	for _, tier := range s.tariff.Tiers() {
		if tier.Name == tierName {
			return tier.MultiplierMicros, nil
		}
	}
	return 0, fmt.Errorf("no tier %q in tariff %s", tierName, s.tariff.ID)
}

func loadTariff(name string) (*Tariff, error) {
	data, err := os.ReadFile(filepath.Join("testdata", "tariffs", name))
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// splitArgs splits on spaces, keeping a Go-quoted string as one argument.
func splitArgs(line string) ([]string, error) {
	var args []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			quoted, err := strconv.QuotedPrefix(line)
			if err != nil {
				return nil, err
			}
			arg, _ := strconv.Unquote(quoted)
			args = append(args, arg)
			line = line[len(quoted):]
			continue
		}
		arg, rest, _ := strings.Cut(line, " ")
		args = append(args, arg)
		line = rest
	}
	if len(args) == 0 {
		return nil, errors.New("empty command")
	}
	return args, nil
}
