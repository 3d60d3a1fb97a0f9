package loadgen

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// cpuTicks is the first line of /proc/stat: the whole machine's CPU time by
// state, in clock ticks since boot.
type cpuTicks struct {
	user, system, irq, idle, iowait, steal uint64
	ok                                     bool
}

// readCPUTicks reads /proc/stat; ok is false where there is none (not Linux).
func readCPUTicks() cpuTicks {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTicks{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return cpuTicks{}
	}
	return parseCPUTicks(sc.Text())
}

// parseCPUTicks parses "cpu user nice system idle iowait irq softirq steal
// …"; nice counts as user, irq and softirq as irq.
func parseCPUTicks(line string) cpuTicks {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTicks{}
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return cpuTicks{}
		}
		v[i] = n
	}
	return cpuTicks{user: v[0] + v[1], system: v[2], idle: v[3], iowait: v[4], irq: v[5] + v[6], steal: v[7], ok: true}
}

// MachinePhase is how the machine the load test runs on spent its CPU over
// the load phase, in percent of all its cores. With the server on the same
// machine (--spawn, or a loopback target) it says what bound the run: a
// busy machine was bound by CPU, an idle one by waiting (the fsync, or too
// few connections to keep it busy). Steal is CPU the hypervisor gave to
// other guests: a noisy neighbour.
type MachinePhase struct {
	OK        bool    `json:"ok"`
	BusyPct   float64 `json:"busy_pct"` // user + system + irq
	UserPct   float64 `json:"user_pct"`
	SystemPct float64 `json:"system_pct"`
	IRQPct    float64 `json:"irq_pct"` // hard and soft interrupts: loopback TCP lands here
	IdlePct   float64 `json:"idle_pct"`
	IOWaitPct float64 `json:"iowait_pct"` // idle with a disk request outstanding
	StealPct  float64 `json:"steal_pct"`
}

// machinePhase is the share of each state between two readings.
func machinePhase(a, b cpuTicks) MachinePhase {
	if !a.ok || !b.ok {
		return MachinePhase{}
	}
	d := func(x, y uint64) float64 {
		if y < x {
			return 0
		}
		return float64(y - x)
	}
	user, sys, irq := d(a.user, b.user), d(a.system, b.system), d(a.irq, b.irq)
	idle, iow, steal := d(a.idle, b.idle), d(a.iowait, b.iowait), d(a.steal, b.steal)
	total := user + sys + irq + idle + iow + steal
	if total == 0 {
		return MachinePhase{}
	}
	pct := func(v float64) float64 { return 100 * v / total }
	return MachinePhase{OK: true, BusyPct: pct(user + sys + irq), UserPct: pct(user), SystemPct: pct(sys), IRQPct: pct(irq),
		IdlePct: pct(idle), IOWaitPct: pct(iow), StealPct: pct(steal)}
}
