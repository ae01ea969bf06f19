// Command tlogcheck is an independent client for a suyuan log, built only on
// Go's golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog.
//
// It fetches a running server's checkpoint (C2SP tlog-checkpoint) and opens
// it as a signed note (C2SP signed-note) with the log's verifier key, rebuilds
// the root hash from the log's hash tiles (C2SP tlog-tiles), checks that every
// entry in the entry bundles hashes to its leaf, proves consistency with an
// older checkpoint, and verifies a c2sp.org/tlog-proof@v1 receipt. Nothing
// here imports or shares code with the server.
//
// Usage:
//
//	tlogcheck -url http://127.0.0.1:8000 -vkey <name+hash+key>
//	          [-origin ORIGIN] [-old-checkpoint FILE] [-receipt FILE -entry FILE]
//
// Each check prints one line, "ok   <check>: ..." or "FAIL <check>: ...".
// The exit status is 0 when every check passed, 1 when one failed, 2 for
// bad usage.
//
// Build offline against Debian's golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tlogcheck ./interop/go/tlogcheck
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	tileHeight   = 8 // C2SP tlog-tiles: every tile spans 8 tree levels (256 hashes)
	tileWidth    = 1 << tileHeight
	proofHeader  = "c2sp.org/tlog-proof@v1"
	maxTileBytes = tileWidth * (2 + 0xFFFF) // a full entry bundle of maximal entries
)

// failed records whether any check failed; main exits 1 if so.
var failed bool

func pass(check, format string, args ...interface{}) {
	fmt.Printf("ok   %s: %s\n", check, fmt.Sprintf(format, args...))
}

func fail(check string, err error) {
	failed = true
	fmt.Printf("FAIL %s: %v\n", check, err)
}

// fatal reports a failed check that later checks depend on, and exits.
func fatal(check string, err error) {
	fail(check, err)
	os.Exit(1)
}

// ---------------------------------------------------------------------------
// HTTP

type client struct {
	base string // server URL without a trailing slash
	http *http.Client
}

// get fetches base+path, requiring 200 and, when wantType is not "", that
// exact Content-Type (C2SP tlog-tiles names the media types).
func (c *client) get(path, wantType string) ([]byte, error) {
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %s: %.200q", path, resp.Status, body)
	}
	if len(body) > maxTileBytes {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", path, maxTileBytes)
	}
	if got := resp.Header.Get("Content-Type"); wantType != "" && got != wantType {
		return nil, fmt.Errorf("GET %s: Content-Type %q, want %q", path, got, wantType)
	}
	return body, nil
}

// ---------------------------------------------------------------------------
// Checkpoints (C2SP tlog-checkpoint)

type checkpoint struct {
	Origin string
	Tree   tlog.Tree
	Note   *note.Note
	Raw    []byte
}

// parseCheckpointText parses a tlog-checkpoint note text: origin, decimal
// tree size without leading zeroes, base64 root hash, then optional non-empty
// extension lines, each line ending in a newline. (tlog.ParseTree expects the
// go.sum header line instead of an origin, so it is not used here.)
func parseCheckpointText(text string) (origin string, tree tlog.Tree, err error) {
	if !strings.HasSuffix(text, "\n") {
		return "", tlog.Tree{}, errors.New("checkpoint text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint text has %d lines, want at least 3", len(lines))
	}
	for i, l := range lines {
		if l == "" {
			return "", tlog.Tree{}, fmt.Errorf("checkpoint line %d is empty", i+1)
		}
	}
	origin = lines[0]
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint tree size %q is not a canonical decimal", lines[1])
	}
	h, err := decodeHash(lines[2])
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint root hash: %v", err)
	}
	return origin, tlog.Tree{N: n, Hash: h}, nil
}

// decodeHash decodes one canonical standard-base64 SHA-256 hash.
func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("%q is not standard base64", s)
	}
	if len(b) != tlog.HashSize {
		return h, fmt.Errorf("%q decodes to %d bytes, want %d", s, len(b), tlog.HashSize)
	}
	if base64.StdEncoding.EncodeToString(b) != s {
		return h, fmt.Errorf("%q is not canonical base64", s)
	}
	copy(h[:], b)
	return h, nil
}

// openCheckpoint verifies the note's signature with note.Open and parses it.
func openCheckpoint(raw []byte, verifiers note.Verifiers, wantOrigin string) (*checkpoint, error) {
	n, err := note.Open(raw, verifiers)
	if err != nil {
		return nil, fmt.Errorf("note.Open: %v", err)
	}
	origin, tree, err := parseCheckpointText(n.Text)
	if err != nil {
		return nil, err
	}
	if origin != wantOrigin {
		return nil, fmt.Errorf("checkpoint origin %q, want %q", origin, wantOrigin)
	}
	return &checkpoint{Origin: origin, Tree: tree, Note: n, Raw: raw}, nil
}

func describe(c *checkpoint) string {
	var signers []string
	for _, s := range c.Note.Sigs {
		signers = append(signers, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return fmt.Sprintf("origin %s, size %d, root %s, signed by %s",
		c.Origin, c.Tree.N, c.Tree.Hash, strings.Join(signers, ", "))
}

// ---------------------------------------------------------------------------
// Tiles (C2SP tlog-tiles)

// tilePath is the C2SP path of a tile after "/tile/": tlog's tile coordinate
// path (tile/H/L/N[.p/W]) without the height segment, which tlog-tiles fixes
// at 8; level -1 ("data" in tlog) is "entries".
func tilePath(t tlog.Tile) string {
	p := t.Path()
	prefix := fmt.Sprintf("tile/%d/", t.H)
	if !strings.HasPrefix(p, prefix) {
		panic("unexpected tile path " + p)
	}
	p = strings.TrimPrefix(p, prefix)
	if t.L == -1 {
		p = "entries" + strings.TrimPrefix(p, "data")
	}
	return "/tile/" + p
}

// tileReader is a tlog.TileReader over the log's HTTP tiles. It caches what
// it fetched in memory; tlog.TileHashReader authenticates every tile it is
// handed against the checkpointed tree on each use, so the cache holds
// nothing trusted.
type tileReader struct {
	c       *client
	cache   map[tlog.Tile][]byte
	fetched int
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data, ok := r.cache[t]; ok {
			out[i] = data
			continue
		}
		path := tilePath(t)
		data, err := r.c.get(path, "application/octet-stream")
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("GET %s: %d bytes, want %d (%d hashes)", path, len(data), t.W*tlog.HashSize, t.W)
		}
		r.cache[t] = data
		r.fetched++
		out[i] = data
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// subtreeHash is the Merkle hash of the complete subtree whose leaves are
// the 2^k hashes in data (tlog's unexported tileHash).
func subtreeHash(data []byte) tlog.Hash {
	if len(data) == tlog.HashSize {
		var h tlog.Hash
		copy(h[:], data)
		return h
	}
	half := len(data) / 2
	return tlog.NodeHash(subtreeHash(data[:half]), subtreeHash(data[half:]))
}

// authenticateFullTiles checks every full hash tile the reader holds against
// the hash its parent tile lists for it, fetching parents as needed, and
// returns how many full tiles it checked.
//
// tlog.TileHashReader is meant to do this, but x/mod's ReadHashes (0.7.0,
// and the same loop upstream) starts its "authenticate full tiles against
// their parents" loop at len(stx), the number of hashes making up the root,
// instead of at the number of distinct tiles holding them. When several of
// those hashes share one tile, the first full tiles planned after them are
// never checked: with a tree of 300 leaves a rewritten leaf in tile 0/000
// comes back from ReadHashes without an error. Partial tiles are the ones
// the root hash covers, and every full tile's parent chain ends in a partial
// tile, so checking each full tile against its parent closes the gap.
func authenticateFullTiles(tr *tileReader, tree tlog.Tree) (int, error) {
	checked := make(map[tlog.Tile]bool)
	for {
		var todo []tlog.Tile
		for t := range tr.cache {
			if t.W == tileWidth && !checked[t] {
				todo = append(todo, t)
			}
		}
		if len(todo) == 0 {
			return len(checked), nil
		}
		for _, t := range todo {
			// The parent as the tree of this size has it: full, or the partial right edge.
			p := tlog.Tile{H: t.H, L: t.L + 1, N: t.N >> tileHeight, W: tileWidth}
			if rest := (tree.N >> (uint(p.L) * tileHeight)) - p.N*tileWidth; rest < tileWidth {
				p.W = int(rest)
			}
			pos := int(t.N % tileWidth)
			if pos >= p.W {
				return 0, fmt.Errorf("%s is beyond tree size %d", tilePath(t), tree.N)
			}
			data, err := tr.ReadTiles([]tlog.Tile{p})
			if err != nil {
				return 0, err
			}
			var want tlog.Hash
			copy(want[:], data[0][pos*tlog.HashSize:])
			if got := subtreeHash(tr.cache[t]); got != want {
				return 0, fmt.Errorf("%s hashes to %s, but %s lists %s for it", tilePath(t), got, tilePath(p), want)
			}
			checked[t] = true
		}
	}
}

// parseBundle splits an entry bundle into entries: each a big-endian uint16
// length and that many bytes, with nothing left over.
func parseBundle(data []byte) ([][]byte, error) {
	var entries [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("entry %d: truncated length prefix", len(entries))
		}
		n := int(binary.BigEndian.Uint16(data))
		data = data[2:]
		if len(data) < n {
			return nil, fmt.Errorf("entry %d: length %d but %d bytes left", len(entries), n, len(data))
		}
		entries = append(entries, data[:n])
		data = data[n:]
	}
	return entries, nil
}

// ---------------------------------------------------------------------------
// Receipts (C2SP tlog-proof)

type receipt struct {
	Extra      []byte
	Index      int64
	Proof      tlog.RecordProof
	Checkpoint []byte
}

func parseReceipt(text []byte) (*receipt, error) {
	rest := string(text)
	next := func(what string) (string, error) {
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			return "", fmt.Errorf("receipt ends early: want %s", what)
		}
		line := rest[:i]
		rest = rest[i+1:]
		return line, nil
	}
	line, err := next("the header line")
	if err != nil {
		return nil, err
	}
	if line != proofHeader {
		return nil, fmt.Errorf("receipt header %q, want %q", line, proofHeader)
	}
	r := &receipt{}
	if line, err = next("an index line"); err != nil {
		return nil, err
	}
	if strings.HasPrefix(line, "extra ") {
		if r.Extra, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "extra ")); err != nil {
			return nil, fmt.Errorf("receipt extra data: %v", err)
		}
		if line, err = next("an index line"); err != nil {
			return nil, err
		}
	}
	if !strings.HasPrefix(line, "index ") {
		return nil, fmt.Errorf("receipt line %q, want \"index <n>\"", line)
	}
	s := strings.TrimPrefix(line, "index ")
	r.Index, err = strconv.ParseInt(s, 10, 64)
	if err != nil || r.Index < 0 || strconv.FormatInt(r.Index, 10) != s {
		return nil, fmt.Errorf("receipt index %q is not a canonical decimal", s)
	}
	for {
		if line, err = next("proof hashes, an empty line and the checkpoint"); err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		h, err := decodeHash(line)
		if err != nil {
			return nil, fmt.Errorf("receipt proof hash %d: %v", len(r.Proof), err)
		}
		r.Proof = append(r.Proof, h)
	}
	if rest == "" {
		return nil, errors.New("receipt has no checkpoint after the empty line")
	}
	r.Checkpoint = []byte(rest)
	return r, nil
}

// ---------------------------------------------------------------------------

func main() {
	base := flag.String("url", "", "server base URL, e.g. http://127.0.0.1:8000 (the log is under <url>/log)")
	vkey := flag.String("vkey", "", "the log's note verifier key <name>+<hash>+<key>, or a file holding it")
	origin := flag.String("origin", "", "expected checkpoint origin (default: the verifier key's name)")
	oldPath := flag.String("old-checkpoint", "", "an earlier signed checkpoint to prove consistency with")
	receiptPath := flag.String("receipt", "", "a c2sp.org/tlog-proof@v1 receipt to verify")
	entryPath := flag.String("entry", "", "the entry bytes the receipt is for")
	flag.Parse()
	if *base == "" || *vkey == "" || flag.NArg() != 0 || (*receiptPath == "") != (*entryPath == "") {
		fmt.Fprintln(os.Stderr, "usage: tlogcheck -url URL -vkey KEY [-origin O] [-old-checkpoint FILE] [-receipt FILE -entry FILE]")
		os.Exit(2)
	}
	key := *vkey
	if b, err := os.ReadFile(key); err == nil {
		key = strings.TrimSpace(string(b))
	}
	verifier, err := note.NewVerifier(key)
	if err != nil {
		fatal("verifier key", err)
	}
	verifiers := note.VerifierList(verifier)
	if *origin == "" {
		*origin = verifier.Name()
	}
	c := &client{base: strings.TrimRight(*base, "/") + "/log", http: &http.Client{Timeout: 30 * time.Second}}

	// 1. The checkpoint.
	raw, err := c.get("/checkpoint", "text/plain; charset=utf-8")
	if err != nil {
		fatal("checkpoint", err)
	}
	cp, err := openCheckpoint(raw, verifiers, *origin)
	if err != nil {
		fatal("checkpoint", err)
	}
	pass("checkpoint", "%s", describe(cp))
	tree := cp.Tree

	// 2. The root from the hash tiles.
	tr := &tileReader{c: c, cache: make(map[tlog.Tile][]byte)}
	hr := tlog.TileHashReader(tree, tr)
	if tree.N == 0 {
		// tlog.TreeHash defines the empty tree's hash as zero; RFC 6962 as SHA-256("").
		if tree.Hash != tlog.Hash(sha256.Sum256(nil)) {
			fail("tree hash", fmt.Errorf("empty tree root %s, want SHA-256 of the empty string", tree.Hash))
		} else {
			pass("tree hash", "empty tree, root is SHA-256 of the empty string")
		}
	} else if th, err := tlog.TreeHash(tree.N, hr); err != nil {
		fatal("tree hash", err)
	} else if th != tree.Hash {
		fatal("tree hash", fmt.Errorf("tiles give root %s, checkpoint says %s", th, tree.Hash))
	} else {
		var levels []string
		for l := 0; tree.N>>(uint(l)*tileHeight) > 0; l++ {
			full := tree.N >> (uint(l+1) * tileHeight)
			part := (tree.N >> (uint(l) * tileHeight)) % tileWidth
			partial := 0
			if part > 0 {
				partial = 1
			}
			levels = append(levels, fmt.Sprintf("level %d: %d full + %d partial", l, full, partial))
		}
		pass("tree hash", "root rebuilt from tiles equals the checkpoint root (%s)", strings.Join(levels, ", "))
	}

	// 3. Every entry bundle: each entry's record hash is its leaf in the tree.
	var leaves []tlog.Hash
	if tree.N > 0 {
		indexes := make([]int64, tree.N)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, int64(i))
		}
		if leaves, err = hr.ReadHashes(indexes); err != nil {
			fatal("leaf hashes", err)
		}
		// Reading every leaf fetched every hash tile; now make sure each
		// full one is the one its parent tile commits to.
		if n, err := authenticateFullTiles(tr, tree); err != nil {
			fatal("tile authentication", err)
		} else {
			pass("tile authentication", "%d full hash tiles each hash to their entry in the parent tile", n)
		}
	}
	var count int64
	bundles := 0
	entryErr := error(nil)
	for n := int64(0); n*tileWidth < tree.N && entryErr == nil; n++ {
		w := tree.N - n*tileWidth
		if w > tileWidth {
			w = tileWidth
		}
		t := tlog.Tile{H: tileHeight, L: -1, N: n, W: int(w)}
		data, err := c.get(tilePath(t), "application/octet-stream")
		if err != nil {
			entryErr = err
			break
		}
		bundles++
		entries, err := parseBundle(data)
		if err != nil {
			entryErr = fmt.Errorf("%s: %v", tilePath(t), err)
			break
		}
		if len(entries) != t.W {
			entryErr = fmt.Errorf("%s: %d entries, want %d", tilePath(t), len(entries), t.W)
			break
		}
		for i, e := range entries {
			idx := n*tileWidth + int64(i)
			if tlog.RecordHash(e) != leaves[idx] {
				entryErr = fmt.Errorf("%s: entry %d hashes to %s, leaf %d is %s",
					tilePath(t), i, tlog.RecordHash(e), idx, leaves[idx])
				break
			}
			count++
		}
	}
	if entryErr == nil && count != tree.N {
		entryErr = fmt.Errorf("%d entries in bundles, tree size %d", count, tree.N)
	}
	if entryErr != nil {
		fail("entry bundles", entryErr)
	} else {
		pass("entry bundles", "%d entries in %d bundles, each RecordHash equals its leaf hash", count, bundles)
	}

	// 4. Consistency with an older checkpoint.
	if *oldPath != "" {
		checkConsistency(c, *oldPath, verifiers, *origin, tree, hr)
	}

	// 5. A receipt.
	if *receiptPath != "" {
		checkReceipt(*receiptPath, *entryPath, verifiers, *origin, tree, hr)
	}

	fmt.Printf("hash tiles fetched: %d\n", tr.fetched)
	if failed {
		os.Exit(1)
	}
}

func checkConsistency(c *client, path string, verifiers note.Verifiers, origin string, tree tlog.Tree, hr tlog.HashReader) {
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("old checkpoint", err)
		return
	}
	old, err := openCheckpoint(raw, verifiers, origin)
	if err != nil {
		fail("old checkpoint", err)
		return
	}
	pass("old checkpoint", "%s", describe(old))
	if old.Tree.N > 0 && old.Tree.N <= tree.N {
		// tlog-tiles: logs MUST keep serving the partial tiles of every
		// checkpointed size, so the old root must rebuild from its own tiles.
		otr := &tileReader{c: c, cache: make(map[tlog.Tile][]byte)}
		if th, err := tlog.TreeHash(old.Tree.N, tlog.TileHashReader(old.Tree, otr)); err != nil {
			fail("old tree hash", err)
		} else if th != old.Tree.Hash {
			fail("old tree hash", fmt.Errorf("tiles give root %s, old checkpoint says %s", th, old.Tree.Hash))
		} else {
			pass("old tree hash", "root of tree %d rebuilt from its own tiles (%d fetched)", old.Tree.N, otr.fetched)
		}
	}
	switch {
	case old.Tree.N > tree.N:
		fail("consistency", fmt.Errorf("old tree size %d is larger than the current %d", old.Tree.N, tree.N))
		return
	case old.Tree.N == 0:
		pass("consistency", "the empty tree is a prefix of every tree")
		return
	}
	proof, err := tlog.ProveTree(tree.N, old.Tree.N, hr)
	if err != nil {
		fail("consistency", fmt.Errorf("ProveTree from tiles: %v", err))
		return
	}
	if err := tlog.CheckTree(proof, tree.N, tree.Hash, old.Tree.N, old.Tree.Hash); err != nil {
		fail("consistency", fmt.Errorf("CheckTree %d -> %d: %v", old.Tree.N, tree.N, err))
		return
	}
	pass("consistency", "tree %d is a prefix of tree %d (ProveTree from tiles, %d hashes, CheckTree ok)",
		old.Tree.N, tree.N, len(proof))

	// The server's own RFC 6962 consistency proof must check with tlog too.
	q := url.Values{"first": {strconv.FormatInt(old.Tree.N, 10)}, "second": {strconv.FormatInt(tree.N, 10)}}
	body, err := (&client{base: strings.TrimSuffix(c.base, "/log"), http: c.http}).get("/v1/log/consistency?"+q.Encode(), "")
	if err != nil {
		fail("consistency api", err)
		return
	}
	var resp struct {
		Proof []string `json:"proof"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		fail("consistency api", err)
		return
	}
	var served tlog.TreeProof
	for i, s := range resp.Proof {
		h, err := decodeHash(s)
		if err != nil {
			fail("consistency api", fmt.Errorf("proof hash %d: %v", i, err))
			return
		}
		served = append(served, h)
	}
	if err := tlog.CheckTree(served, tree.N, tree.Hash, old.Tree.N, old.Tree.Hash); err != nil {
		fail("consistency api", fmt.Errorf("CheckTree on /v1/log/consistency proof: %v", err))
		return
	}
	pass("consistency api", "/v1/log/consistency proof (%d hashes) passes CheckTree", len(served))
}

func checkReceipt(path, entryPath string, verifiers note.Verifiers, origin string, tree tlog.Tree, hr tlog.HashReader) {
	text, err := os.ReadFile(path)
	if err != nil {
		fail("receipt", err)
		return
	}
	entry, err := os.ReadFile(entryPath)
	if err != nil {
		fail("receipt", err)
		return
	}
	r, err := parseReceipt(text)
	if err != nil {
		fail("receipt", err)
		return
	}
	cp, err := openCheckpoint(r.Checkpoint, verifiers, origin)
	if err != nil {
		fail("receipt", fmt.Errorf("receipt checkpoint: %v", err))
		return
	}
	if r.Index >= cp.Tree.N {
		fail("receipt", fmt.Errorf("index %d is outside the receipt's tree of size %d", r.Index, cp.Tree.N))
		return
	}
	leaf := tlog.RecordHash(entry)
	if err := tlog.CheckRecord(r.Proof, cp.Tree.N, cp.Tree.Hash, r.Index, leaf); err != nil {
		fail("receipt", fmt.Errorf("CheckRecord index %d in tree %d: %v", r.Index, cp.Tree.N, err))
		return
	}
	pass("receipt", "entry %s is leaf %d of tree %d (%d proof hashes, CheckRecord ok)",
		leaf, r.Index, cp.Tree.N, len(r.Proof))

	// The receipt's tree must be the current one or a prefix of it.
	switch {
	case cp.Tree.N > tree.N:
		fail("receipt tree", fmt.Errorf("receipt tree size %d is ahead of the checkpoint's %d", cp.Tree.N, tree.N))
	case cp.Tree.N == tree.N && cp.Tree.Hash != tree.Hash:
		fail("receipt tree", fmt.Errorf("receipt and checkpoint disagree on the root of tree %d", tree.N))
	case cp.Tree.N == tree.N:
		pass("receipt tree", "the receipt's tree is the current tree")
	default:
		proof, err := tlog.ProveTree(tree.N, cp.Tree.N, hr)
		if err == nil {
			err = tlog.CheckTree(proof, tree.N, tree.Hash, cp.Tree.N, cp.Tree.Hash)
		}
		if err != nil {
			fail("receipt tree", fmt.Errorf("receipt tree %d vs current %d: %v", cp.Tree.N, tree.N, err))
		} else {
			pass("receipt tree", "the receipt's tree %d is a prefix of the current tree %d", cp.Tree.N, tree.N)
		}
	}
	// And tlog's own proof from the tiles must agree with the receipt's.
	if r.Index < tree.N {
		own, err := tlog.ProveRecord(tree.N, r.Index, hr)
		if err == nil {
			err = tlog.CheckRecord(own, tree.N, tree.Hash, r.Index, leaf)
		}
		if err != nil {
			fail("receipt tiles", fmt.Errorf("ProveRecord/CheckRecord from tiles: %v", err))
		} else {
			pass("receipt tiles", "ProveRecord from tiles proves leaf %d in tree %d too", r.Index, tree.N)
		}
	}
}
