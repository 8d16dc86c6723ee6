package gitrepo

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// Object is a git object's type ("blob", "tree", "commit", "tag") and its
// content (without the "type size\0" header).
type Object struct {
	Type string
	Data []byte
}

// ID returns the object's id: the SHA-1 of "type size\0" + data.
func (o Object) ID() string {
	h := sha1.New()
	h.Write([]byte(o.Type + " " + strconv.Itoa(len(o.Data)) + "\x00"))
	h.Write(o.Data)
	return hex.EncodeToString(h.Sum(nil))
}

// ErrObjectNotFound is returned (wrapped) for a missing object.
var ErrObjectNotFound = errors.New("object not found")

// ReadObject reads an object from the object database (loose or packed,
// alternates included).
func (r *Repo) ReadObject(id string) (Object, error) {
	if !isHexID(id) {
		return Object{}, fmt.Errorf("read object %q: invalid id", id)
	}
	if o, ok, err := r.readLoose(id); ok || err != nil {
		return o, err
	}
	for try := 0; try < 2; try++ {
		o, ok, err := r.readPacked(id)
		if ok && err == nil {
			return o, nil
		}
		if err != nil || try == 1 {
			break // let go-git try (and report)
		}
		r.closePacks() // a pack may have appeared since we listed them
	}
	if !r.goGitReads() {
		// An extension that may change how objects are stored: git reads it.
		return r.readViaGit(id)
	}
	eo, err := r.goGit().EncodedObject(plumbing.AnyObject, plumbing.NewHash(id))
	if err != nil {
		// Not where we or go-git look, or not in a form we read (a pack
		// with a version 1 index, an alternate written in quotes, a
		// partial clone's missing blob, which git fetches): git decides,
		// and reports a missing object as missing.
		return r.readViaGit(id)
	}
	rd, err := eo.Reader()
	if err != nil {
		return Object{}, fmt.Errorf("read object %s: %w", id, err)
	}
	defer rd.Close()
	data := make([]byte, 0, eo.Size())
	buf := bytes.NewBuffer(data)
	if _, err := io.Copy(buf, rd); err != nil {
		return Object{}, fmt.Errorf("read object %s: %w", id, err)
	}
	return Object{Type: eo.Type().String(), Data: buf.Bytes()}, nil
}

func (r *Repo) loosePath(id string) string {
	return filepath.Join(r.ObjectDir, id[:2], id[2:])
}

// looseReader is a reusable reader of loose objects: a new zlib reader
// allocates its inflater (about 40 KB), and io.ReadAll grew a 240 KB tree
// ten times over; reading history reads such objects by the thousand.
type looseReader struct {
	br *bufio.Reader
	zr io.ReadCloser
}

var looseReaders sync.Pool // *looseReader

// readLoose reads a loose object directly (cheaper than go-git, which
// consults the pack indexes first); ok is false if there is none.
func (r *Repo) readLoose(id string) (Object, bool, error) {
	f, err := os.Open(r.loosePath(id))
	if err != nil {
		for _, d := range r.objectDirs()[1:] { // the alternates
			if f, err = os.Open(filepath.Join(d, id[:2], id[2:])); err == nil {
				break
			}
		}
		if err != nil {
			return Object{}, false, nil
		}
	}
	defer f.Close()
	lr, _ := looseReaders.Get().(*looseReader)
	if lr == nil {
		lr = &looseReader{br: bufio.NewReaderSize(f, 32<<10)}
	} else {
		lr.br.Reset(f)
	}
	defer looseReaders.Put(lr)
	if lr.zr == nil {
		if lr.zr, err = zlib.NewReader(lr.br); err != nil {
			lr.zr = nil
			return Object{}, false, fmt.Errorf("read object %s: %w", id, err)
		}
	} else if err := lr.zr.(zlib.Resetter).Reset(lr.br, nil); err != nil {
		return Object{}, false, fmt.Errorf("read object %s: %w", id, err)
	}
	// The header ("blob 123\0"), then exactly the size it gives, then the
	// end of the stream (where zlib checks its checksum).
	var head [64]byte
	n, err := io.ReadFull(lr.zr, head[:])
	if err != nil && err != io.ErrUnexpectedEOF {
		return Object{}, false, fmt.Errorf("read object %s: %w", id, err)
	}
	nul := bytes.IndexByte(head[:n], 0)
	if nul < 0 {
		return Object{}, false, fmt.Errorf("read object %s: corrupt header", id)
	}
	typ, sizeText, ok := strings.Cut(string(head[:nul]), " ")
	size, err := strconv.Atoi(sizeText)
	if !ok || err != nil || size < n-nul-1 || (n < len(head) && size != n-nul-1) {
		return Object{}, false, fmt.Errorf("read object %s: corrupt header %q", id, head[:nul])
	}
	if fi, err := f.Stat(); err == nil && int64(size) > 1100*fi.Size()+1024 {
		// More than deflate can expand to: a corrupt header, not a
		// reason to allocate.
		return Object{}, false, fmt.Errorf("read object %s: corrupt header %q", id, head[:nul])
	}
	data := make([]byte, size)
	got := copy(data, head[nul+1:n])
	if n == len(head) {
		if _, err := io.ReadFull(lr.zr, data[got:]); err != nil {
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				return Object{}, false, fmt.Errorf("read object %s: corrupt header %q", id, head[:nul])
			}
			return Object{}, false, fmt.Errorf("read object %s: %w", id, err)
		}
		var one [1]byte
		if k, err := io.ReadFull(lr.zr, one[:]); k > 0 {
			return Object{}, false, fmt.Errorf("read object %s: corrupt header %q", id, head[:nul])
		} else if err != io.EOF {
			return Object{}, false, fmt.Errorf("read object %s: %w", id, err)
		}
	}
	return Object{Type: typ, Data: data}, true, nil
}

// WriteObjects stores objects as loose objects, as git does (zlib level 1,
// or stored for big objects, see storeAbove; read-only files). Each is
// written to a temporary file, fsynced when core.fsync asks for loose
// objects (all in parallel, so they share journal commits; git's default
// does not), and renamed into place only when all are written, so a ref
// written afterwards never points at a missing or half-written object. Objects already stored loose
// are skipped. When more than packAbove objects are new (a bulk import),
// those not already packed are written as one pack instead, which costs
// three fsyncs instead of one per object. It returns their ids in order.
func (r *Repo) WriteObjects(objs ...Object) ([]string, error) {
	ids := make([]string, len(objs))
	type pending struct {
		obj            Object
		id, tmp, final string
		err            error
	}
	var todo []*pending
	seen := make(map[string]bool, len(objs))
	for i, o := range objs {
		id := o.ID()
		ids[i] = id
		if seen[id] {
			continue
		}
		seen[id] = true
		final := r.loosePath(id)
		if _, err := os.Stat(final); err == nil {
			continue
		}
		todo = append(todo, &pending{obj: o, id: id, final: final})
	}
	if len(todo) > packAbove {
		// A bulk write: leave out what the packs already have (as git
		// does), then pack the rest if there is still much of it.
		kept := todo[:0]
		for _, p := range todo {
			if !r.inPacks(p.id) {
				kept = append(kept, p)
			}
		}
		todo = kept
	}
	if len(todo) > packAbove {
		packObjs := make([]Object, len(todo))
		packIDs := make([]string, len(todo))
		for i, p := range todo {
			if packTypeCode(p.obj.Type) == 0 {
				return nil, fmt.Errorf("write object %s: invalid type %q", p.id, p.obj.Type)
			}
			packObjs[i], packIDs[i] = p.obj, p.id
		}
		if err := r.writePack(packObjs, packIDs); err != nil {
			return nil, err
		}
		return ids, nil
	}
	if len(todo) > 1 && r.Fsyncs(FsyncLooseObject) {
		// Each file is fsynced: overlap the waits.
		var wg sync.WaitGroup
		for _, p := range todo {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.tmp, p.err = r.writeLooseTemp(filepath.Dir(p.final), p.obj)
			}()
		}
		wg.Wait()
	} else {
		// One after the other, so that they share one compressor (each
		// new one costs ~1 MB of zeroed memory, more than compressing the
		// few small objects of a commit).
		for _, p := range todo {
			p.tmp, p.err = r.writeLooseTemp(filepath.Dir(p.final), p.obj)
		}
	}
	var errs []error
	for _, p := range todo {
		if p.err != nil {
			errs = append(errs, fmt.Errorf("write %s object: %w", p.obj.Type, p.err))
		}
	}
	if len(errs) == 0 {
		for _, p := range todo {
			if err := os.Rename(p.tmp, p.final); err != nil {
				errs = append(errs, fmt.Errorf("store object %s: %w", p.final, err))
				break
			}
			p.tmp = ""
		}
	}
	if len(errs) > 0 {
		for _, p := range todo {
			if p.tmp != "" {
				os.Remove(p.tmp)
			}
		}
		return nil, errors.Join(errs...)
	}
	return ids, nil
}

// storeAbove is the size above which loose objects are stored without
// compression. A big tree (a flat directory of 10,000 milestones is a
// 400 KB tree, rewritten by every commit) is mostly binary object ids that
// barely compress; deflating it took ~6 ms and inflating it again ~4 ms.
// Git reads any zlib stream, and packs recompress when gc runs.
const storeAbove = 64 << 10

// writeLooseTemp compresses o into a new read-only temporary file in dir
// (created if missing) and fsyncs it.
func (r *Repo) writeLooseTemp(dir string, o Object) (string, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, "tmp_obj_"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o777); err == nil {
			f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
		}
	}
	if err != nil {
		return "", err
	}
	head := []byte(o.Type + " " + strconv.Itoa(len(o.Data)) + "\x00")
	if len(o.Data) > storeAbove {
		err = writeStored(f, head, o.Data)
	} else {
		zw, _ := r.zlibPool.Get().(*zlib.Writer)
		if zw == nil {
			zw, _ = zlib.NewWriterLevel(f, zlib.BestSpeed)
		} else {
			zw.Reset(f)
		}
		_, err = zw.Write(head)
		if err == nil {
			_, err = zw.Write(o.Data)
		}
		if err == nil {
			err = zw.Close()
		}
		r.zlibPool.Put(zw)
	}
	if err == nil && r.Fsyncs(FsyncLooseObject) {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// NewCommit encodes a commit object. The message is stored untouched.
func NewCommit(tree string, parents []string, author, committer Signature, message string) Object {
	var b strings.Builder
	b.WriteString("tree " + tree + "\n")
	for _, p := range parents {
		b.WriteString("parent " + p + "\n")
	}
	b.WriteString("author " + author.identLine() + "\n")
	b.WriteString("committer " + committer.identLine() + "\n\n")
	b.WriteString(message)
	return Object{Type: "commit", Data: []byte(b.String())}
}

// NewBlob returns a blob object.
func NewBlob(content []byte) Object { return Object{Type: "blob", Data: content} }

// treeOf resolves rev and peels it (tags, commits) to a tree id; "" for an
// unborn HEAD.
func (r *Repo) treeOf(rev string) (string, error) {
	id, err := r.resolve(rev)
	if err != nil || id == "" {
		return "", err
	}
	tree, err := r.peel(id, "tree")
	if err != nil {
		return "", fmt.Errorf("%s: %w", rev, err)
	}
	return tree, nil
}

// CommitTree returns the tree id of a commit.
func (r *Repo) CommitTree(commit string) (string, error) {
	o, err := r.ReadObject(commit)
	if err != nil {
		return "", err
	}
	if o.Type != "commit" {
		return "", fmt.Errorf("%s is a %s, not a commit", commit, o.Type)
	}
	return headerField(o.Data, "tree")
}

// headerField returns the value of the first "name value" header line.
func headerField(data []byte, name string) (string, error) {
	prefix := []byte(name + " ")
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) == 0 {
			break
		}
		if bytes.HasPrefix(line, prefix) {
			v := string(line[len(prefix):])
			if !isHexID(v) {
				return "", fmt.Errorf("corrupt %s header %q", name, v)
			}
			return v, nil
		}
	}
	return "", fmt.Errorf("object has no %s header", name)
}

// goGitReads reports whether go-git's object reader may read this
// repository: format version 0 or 1, and no extension other than those
// that leave the object database as go-git knows it (partial clones are
// handled by ReadObject).
func (r *Repo) goGitReads() bool {
	cs, err := r.config()
	if err != nil {
		return false
	}
	local := cs.scope(scopeLocal)
	if v, ok := local.get("core.repositoryformatversion"); ok && v != "0" && v != "1" {
		return false
	}
	if local == nil {
		return true
	}
	for k := range local.values {
		switch k {
		case "extensions.noop", "extensions.noop-v1", "extensions.partialclone",
			"extensions.preciousobjects", "extensions.worktreeconfig":
		default:
			if strings.HasPrefix(k, "extensions.") {
				return false
			}
		}
	}
	return true
}

// partialClone reports whether objects may be missing on purpose, to be
// fetched from a promisor remote (a clone made with --filter).
func (r *Repo) partialClone() bool {
	if v, err := r.ConfigGet("extensions.partialClone"); err == nil && v != "" {
		return true
	}
	cs, err := r.config()
	if err != nil {
		return false
	}
	for _, f := range cs.files {
		for k, vs := range f.values {
			if strings.HasPrefix(k, "remote.") && strings.HasSuffix(k, ".promisor") && len(vs) > 0 && parseBool(vs[len(vs)-1]) {
				return true
			}
		}
	}
	return false
}

// readViaGit reads an object with `git cat-file --batch`, which also
// fetches a missing object of a partial clone from its promisor remote.
func (r *Repo) readViaGit(id string) (Object, error) {
	out, err := r.git(nil, strings.NewReader(id+"\n"), "cat-file", "--batch")
	if err != nil {
		return Object{}, fmt.Errorf("read object %s: %w", id, err)
	}
	header, rest, ok := bytes.Cut(out, []byte("\n"))
	f := strings.Fields(string(header))
	if !ok || len(f) < 2 || f[1] == "missing" {
		return Object{}, fmt.Errorf("read object %s: %w", id, ErrObjectNotFound)
	}
	if len(f) != 3 {
		return Object{}, fmt.Errorf("read object %s: unexpected git cat-file answer %q", id, header)
	}
	size, err := strconv.Atoi(f[2])
	if err != nil || size > len(rest) {
		return Object{}, fmt.Errorf("read object %s: unexpected git cat-file answer %q", id, header)
	}
	return Object{Type: f[1], Data: rest[:size]}, nil
}
