package tariff

import (
	"math/bits"
	"slices"
	"strings"
)

var errInvalidDestination = &wrapError{
	"invalid destination: want 1-32 digits with an optional leading '+'", ErrInvalidDestination}

// NormalizeDestination strips one leading '+' and checks that 1–32 ASCII
// digits remain. The result is a substring of s: no allocation.
func NormalizeDestination(s string) (string, error) {
	if len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > MaxDestinationLen || !allDigits(s) {
		return "", errInvalidDestination
	}
	return s, nil
}

// validPrefix reports whether p is a tariff prefix: 0–32 digits.
func validPrefix(p string) bool {
	return len(p) <= MaxDestinationLen && allDigits(p)
}

// trieNode is one node of a compact digit trie. Children of a node are stored
// contiguously from first, in digit order, and mask has bit d set when digit d
// has a child, so child d is first + popcount(mask below d). At 12 bytes a
// node this keeps a 100k-prefix deck (~600k nodes) near 7 MB, where ten child
// indices per node would take 44 bytes a node; lookups stay a few loads per
// digit and allocation-free.
type trieNode struct {
	first int32
	mask  uint16
	val   int32 // index of the rate whose prefix ends here, or -1
}

// prefixTrie finds the longest prefix of a digit string among a set.
type prefixTrie struct{ nodes []trieNode }

// buildTrie indexes prefixes ("" is the catch-all); a match yields the index
// into prefixes. A repeated prefix is ambiguous: then it builds nothing and
// returns the positions of the earliest repeat and of its first occurrence.
func buildTrie(prefixes []string) (t prefixTrie, first, again int, unique bool) {
	sorted := make([]entry, len(prefixes))
	for i, p := range prefixes {
		sorted[i] = entry{p, int32(i)}
	}
	// Ties broken by position make the order, and so the reported repeat,
	// deterministic.
	slices.SortFunc(sorted, func(a, b entry) int {
		if c := strings.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		return int(a.index - b.index)
	})
	first, again = -1, -1
	for k, groupStart := 1, 0; k < len(sorted); k++ {
		if sorted[k].prefix != sorted[k-1].prefix {
			groupStart = k
			continue
		}
		if k == groupStart+1 && (again < 0 || int(sorted[k].index) < again) {
			first, again = int(sorted[groupStart].index), int(sorted[k].index)
		}
	}
	if again >= 0 {
		return prefixTrie{}, first, again, false
	}
	b := trieBuilder{sorted: sorted}
	b.nodes = append(make([]trieNode, 0, estimateNodes(prefixes)), trieNode{val: -1})
	b.fill(0, 0, 0, len(sorted))
	return prefixTrie{nodes: slices.Clip(b.nodes)}, -1, -1, true
}

// entry is a prefix and its index, sorted by value (keeping the string next
// to its index sorts a big deck faster than sorting indices).
type entry struct {
	prefix string
	index  int32
}

// estimateNodes bounds the node count (one per digit, plus the root) so the
// build appends without reallocating for small decks, and caps the guess for
// big ones, where shared leading digits make the bound far too generous.
func estimateNodes(prefixes []string) int {
	n := 1
	for _, p := range prefixes {
		n += len(p)
	}
	return min(n, 1+8*len(prefixes))
}

type trieBuilder struct {
	sorted []entry
	nodes  []trieNode
}

// fill sets up node ni for sorted[lo:hi], all of which share their first
// depth digits. Sorted order puts the prefix that ends at this node first,
// and each child's prefixes in one run, so children can be laid out side by
// side.
func (b *trieBuilder) fill(ni int32, depth, lo, hi int) {
	if lo < hi && len(b.sorted[lo].prefix) == depth {
		b.nodes[ni].val = b.sorted[lo].index
		lo++
	}
	if lo == hi {
		return
	}
	var mask uint16
	for _, e := range b.sorted[lo:hi] {
		mask |= 1 << (e.prefix[depth] - '0')
	}
	first := int32(len(b.nodes))
	b.nodes[ni].first, b.nodes[ni].mask = first, mask
	for range bits.OnesCount16(mask) {
		b.nodes = append(b.nodes, trieNode{val: -1})
	}
	child := first
	for start := lo; start < hi; child++ {
		digit := b.sorted[start].prefix[depth]
		end := start + 1
		for end < hi && b.sorted[end].prefix[depth] == digit {
			end++
		}
		b.fill(child, depth+1, start, end)
		start = end
	}
}

// lookup returns the index of the longest prefix of digits, or -1.
// digits must be ASCII digits (see NormalizeDestination).
func (t *prefixTrie) lookup(digits string) int32 {
	nodes := t.nodes
	if len(nodes) == 0 {
		return -1
	}
	n := &nodes[0]
	best := n.val
	for i := 0; i < len(digits); i++ {
		bit := uint16(1) << (digits[i] - '0')
		if n.mask&bit == 0 {
			break
		}
		n = &nodes[n.first+int32(bits.OnesCount16(n.mask&(bit-1)))]
		if n.val >= 0 {
			best = n.val
		}
	}
	return best
}

// prefixRates is one rate table keyed by destination prefix.
type prefixRates[T any] struct {
	trie     prefixTrie
	prefixes []string
	values   []T
}

func (p *prefixRates[T]) add(prefix string, v T) {
	p.prefixes = append(p.prefixes, prefix)
	p.values = append(p.values, v)
}

// build indexes the table; see buildTrie for a repeated prefix.
func (p *prefixRates[T]) build() (first, again int, unique bool) {
	p.trie, first, again, unique = buildTrie(p.prefixes)
	return first, again, unique
}

// match returns the rate of the longest prefix of digits.
func (p *prefixRates[T]) match(digits string) (v T, prefix string, ok bool) {
	i := p.trie.lookup(digits)
	if i < 0 {
		return v, "", false
	}
	return p.values[i], p.prefixes[i], true
}
