package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Remote names a forge whose milestones can be imported and exported.
type Remote string

// The forges.
const (
	GitHub Remote = "github"
	GitLab Remote = "gitlab"
)

// Key is the unknown key that records a milestone's remote identity:
// x-github: {number, url} or x-gitlab: {iid, id, url}.
func (r Remote) Key() string { return "x-" + string(r) }

// numberKey is the remote's per-repository number field.
func (r Remote) numberKey() string {
	if r == GitLab {
		return "iid"
	}
	return "number"
}

// urlMarker separates the project part of a milestone URL from the number.
func (r Remote) urlMarker() string {
	if r == GitLab {
		return "/-/milestones/"
	}
	return "/milestone/"
}

// remoteEntry is the union of the GitHub and GitLab REST milestone
// fields this tool reads.
type remoteEntry struct {
	ID           *int64  `json:"id"`
	Number       *int64  `json:"number"` // GitHub
	IID          *int64  `json:"iid"`    // GitLab
	Title        *string `json:"title"`
	Description  *string `json:"description"`
	State        string  `json:"state"`
	DueOn        *string `json:"due_on"`     // GitHub: an instant
	DueDate      *string `json:"due_date"`   // GitLab: a date
	StartDate    *string `json:"start_date"` // GitLab
	CreatedAt    *string `json:"created_at"`
	UpdatedAt    *string `json:"updated_at"`
	ClosedAt     *string `json:"closed_at"`
	OpenIssues   *int    `json:"open_issues"`
	ClosedIssues *int    `json:"closed_issues"`
	HTMLURL      string  `json:"html_url"`
	WebURL       string  `json:"web_url"`
	// XID is the id of the milestone here, when a script adds it to the
	// answer of a POST made from `export --to`: it links the two.
	XID     string `json:"x_id"`
	Creator *struct {
		Login string `json:"login"`
	} `json:"creator"`
}

// readEntries reads JSON arrays of objects (or single objects), one after
// another: `gh api --paginate` prints one array per page.
func readEntries(r io.Reader) ([]json.RawMessage, error) {
	dec := json.NewDecoder(r)
	var out []json.RawMessage
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("input is not JSON: %w", err)
		}
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) > 0 && raw[0] == '[':
			var page []json.RawMessage
			if err := json.Unmarshal(raw, &page); err != nil {
				return nil, fmt.Errorf("input is not JSON: %w", err)
			}
			out = append(out, page...)
		case len(raw) > 0 && raw[0] == '{':
			out = append(out, raw)
		default:
			return nil, fmt.Errorf("input is not a JSON array of milestones: found %.40s", raw)
		}
	}
	return out, nil
}

// ReadRemote reads the milestones a forge's REST API lists (GitHub:
// `gh api 'repos/OWNER/REPO/milestones?state=all' --paginate`; GitLab:
// GET /projects/:id/milestones) and maps them: open/active -> active,
// closed -> completed; progress from closed/(open+closed) issues when
// there are any; the due date is the calendar date of GitHub's due_on in
// tz (GitLab's due_date is a date already); the remote number and URL
// are kept under x-github / x-gitlab and match the milestone on
// re-import, never the title. A re-import updates only the fields the
// forge owns. Bad input fails naming the entry.
func ReadRemote(r io.Reader, remote Remote, tz *time.Location) ([]Incoming, error) {
	raws, err := readEntries(r)
	if err != nil {
		return nil, err
	}
	out := make([]Incoming, 0, len(raws))
	seen := map[int64]int{}
	for i, raw := range raws {
		var e remoteEntry
		origin := fmt.Sprintf("%s entry %d", remote, i+1)
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("%s: %w", origin, err)
		}
		inc, err := remoteIncoming(e, remote, tz, origin)
		if err != nil {
			return nil, err
		}
		n := remoteNumber(e, remote)
		if prev, dup := seen[n]; dup {
			return nil, fmt.Errorf("%s: %s %d is also entry %d", inc.Origin, remote.numberKey(), n, prev)
		}
		seen[n] = i + 1
		out = append(out, inc)
	}
	return out, nil
}

func remoteNumber(e remoteEntry, remote Remote) int64 {
	if remote == GitLab && e.IID != nil {
		return *e.IID
	}
	if remote == GitHub && e.Number != nil {
		return *e.Number
	}
	return -1
}

// remoteIncoming converts one forge milestone entry; errors name origin
// and the entry's number.
func remoteIncoming(e remoteEntry, remote Remote, tz *time.Location, origin string) (Incoming, error) {
	n := remoteNumber(e, remote)
	if n < 0 {
		return Incoming{}, fmt.Errorf("%s: no %s", origin, remote.numberKey())
	}
	origin += fmt.Sprintf(" (%s %d)", remote.numberKey(), n)
	fail := func(err error) (Incoming, error) {
		return Incoming{}, fmt.Errorf("%s: %s", origin, err)
	}
	if e.Title == nil || strings.TrimSpace(*e.Title) == "" {
		return fail(errors.New("no title"))
	}
	var m milestone.Milestone
	m.Title = *e.Title
	m.Priority = milestone.Medium
	closed, err := remoteStatus(&m, e.State, remote)
	if err != nil {
		return fail(err)
	}
	if e.Description != nil {
		m.Description = *e.Description
	}
	if err := remoteDates(&m, e, remote, tz); err != nil {
		return fail(err)
	}
	if err := remoteTimestamps(&m, e); err != nil {
		return fail(err)
	}
	if closed && m.ClosedAt == "" {
		m.ClosedAt = firstNonEmpty(m.UpdatedAt, m.CreatedAt)
	}
	if !closed {
		m.ClosedAt = ""
	}
	progress := remoteProgress(e)
	m.Progress = progress
	url := e.HTMLURL
	if remote == GitLab {
		url = e.WebURL
	}
	m.Extra = []milestone.Field{{Key: remote.Key(), Value: remoteIdentity(e, remote, n, url)}}
	if err := m.Validate(); err != nil {
		return fail(err)
	}
	inc := Incoming{M: m, Origin: origin}
	inc.Match = func(ex *milestone.Milestone) bool {
		id, ok := remoteIdent(ex, remote)
		if !ok {
			return e.XID != "" && ex.ID == e.XID // linked by the id we exported
		}
		if id.number != n {
			return false
		}
		return id.url == "" || url == "" || project(id.url, remote) == project(url, remote)
	}
	inc.Merge = func(ex milestone.Milestone) milestone.Milestone {
		return mergeRemote(ex, m, remote, progress != nil)
	}
	return inc, nil
}

// remoteStatus sets m's status from the forge's state and reports whether
// the milestone is closed.
func remoteStatus(m *milestone.Milestone, state string, remote Remote) (closed bool, err error) {
	switch state {
	case "open", "active":
		m.Status = milestone.Active
	case "closed":
		m.Status, closed = milestone.Completed, true
	default:
		return false, fmt.Errorf("state %q is not one of %s", state, map[Remote]string{GitHub: "open, closed", GitLab: "active, closed"}[remote])
	}
	return closed, nil
}

// remoteDates sets m's due date (GitHub: an instant, taken as a date in
// tz; GitLab: a date) and, from GitLab, its start date.
func remoteDates(m *milestone.Milestone, e remoteEntry, remote Remote, tz *time.Location) error {
	switch {
	case remote == GitHub && e.DueOn != nil && *e.DueOn != "":
		t, err := time.Parse(time.RFC3339, *e.DueOn)
		if err != nil {
			return fmt.Errorf("due_on %q is not an RFC 3339 instant", *e.DueOn)
		}
		m.Due = t.In(tz).Format(time.DateOnly)
	case remote == GitLab && e.DueDate != nil && *e.DueDate != "":
		if milestone.ValidateDate("due_date", *e.DueDate) != nil {
			return fmt.Errorf("due_date %q is not a date (YYYY-MM-DD)", *e.DueDate)
		}
		m.Due = *e.DueDate
	}
	if remote == GitLab && e.StartDate != nil && *e.StartDate != "" {
		if milestone.ValidateDate("start_date", *e.StartDate) != nil {
			return fmt.Errorf("start_date %q is not a date (YYYY-MM-DD)", *e.StartDate)
		}
		m.Start = *e.StartDate
	}
	return nil
}

// remoteTimestamps sets m's created, updated and closed instants, in UTC
// to the second.
func remoteTimestamps(m *milestone.Milestone, e remoteEntry) error {
	for _, ts := range []struct {
		name string
		src  *string
		dst  *string
	}{{"created_at", e.CreatedAt, &m.CreatedAt}, {"updated_at", e.UpdatedAt, &m.UpdatedAt}, {"closed_at", e.ClosedAt, &m.ClosedAt}} {
		if ts.src == nil || *ts.src == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, *ts.src)
		if err != nil {
			return fmt.Errorf("%s %q is not an RFC 3339 instant", ts.name, *ts.src)
		}
		*ts.dst = t.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	return nil
}

// remoteProgress is the share of the milestone's issues closed, in
// percent; nil when it has none.
func remoteProgress(e remoteEntry) *int {
	if e.OpenIssues == nil || e.ClosedIssues == nil || *e.OpenIssues+*e.ClosedIssues <= 0 {
		return nil
	}
	p := *e.ClosedIssues * 100 / (*e.OpenIssues + *e.ClosedIssues)
	return &p
}

// remoteIdentity is the value of the x-github / x-gitlab key: the number,
// GitLab's id, the URL and GitHub's creator.
func remoteIdentity(e remoteEntry, remote Remote, n int64, url string) map[string]any {
	ident := map[string]any{remote.numberKey(): int(n)}
	if remote == GitLab && e.ID != nil {
		ident["id"] = int(*e.ID)
	}
	if url != "" {
		ident["url"] = url
	}
	if remote == GitHub && e.Creator != nil && e.Creator.Login != "" {
		ident["creator"] = e.Creator.Login
	}
	return ident
}

// project is the part of a milestone URL that names the repository.
func project(url string, remote Remote) string {
	for _, marker := range []string{remote.urlMarker(), "/milestones/"} {
		if i := strings.LastIndex(url, marker); i >= 0 {
			return url[:i]
		}
	}
	return url
}

type ident struct {
	number int64
	url    string
	id     int64
}

// remoteIdent reads x-github / x-gitlab of a milestone.
func remoteIdent(m *milestone.Milestone, remote Remote) (ident, bool) {
	v, ok := m.Get(remote.Key())
	if !ok {
		return ident{}, false
	}
	mp, ok := v.(map[string]any)
	if !ok {
		return ident{}, false
	}
	num := func(v any) (int64, bool) {
		n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		return n, err == nil
	}
	var id ident
	if id.number, ok = num(mp[remote.numberKey()]); !ok {
		return ident{}, false
	}
	id.url, _ = mp["url"].(string)
	id.id, _ = num(mp["id"])
	return id, true
}

// mergeRemote applies what the forge owns (title, description, due,
// start for GitLab, status open/closed, timestamps, progress when it has
// issues, the remote identity) to an existing milestone and keeps the
// rest (priority, owner, labels, dependencies, other keys). A finer
// local status (planned, blocked; cancelled) survives while the forge
// agrees it is open (closed).
func mergeRemote(ex, in milestone.Milestone, remote Remote, hasProgress bool) milestone.Milestone {
	ex.Title, ex.Description, ex.Due = in.Title, in.Description, in.Due
	if remote == GitLab {
		ex.Start = in.Start
	}
	if in.Status.Closed() != ex.Status.Closed() {
		ex.Status = in.Status
	}
	if ex.Status.Closed() {
		ex.ClosedAt = firstNonEmpty(in.ClosedAt, ex.ClosedAt)
	} else {
		ex.ClosedAt = ""
	}
	if in.CreatedAt != "" {
		ex.CreatedAt = in.CreatedAt
	}
	if in.UpdatedAt != "" {
		ex.UpdatedAt = in.UpdatedAt
	}
	if hasProgress {
		ex.Progress = in.Progress
	}
	key := remote.Key()
	replaced := false
	for i, f := range ex.Extra {
		if f.Key == key {
			ex.Extra[i].Value = in.Extra[0].Value
			replaced = true
		}
	}
	if !replaced {
		ex.Extra = append(ex.Extra, in.Extra[0])
	}
	return ex
}

// GitHubMilestone is one body for `gh api --method POST
// repos/OWNER/REPO/milestones` (no number: a new one) or `--method PATCH
// repos/OWNER/REPO/milestones/NUMBER`.
type GitHubMilestone struct {
	Number      *int64  `json:"number,omitempty"`
	ID          string  `json:"x_id"` // the milestone's id here, for scripts
	Title       string  `json:"title"`
	State       string  `json:"state"`
	Description string  `json:"description"`
	DueOn       *string `json:"due_on"`
}

// GitLabMilestone is one body for POST /projects/:id/milestones or PUT
// /projects/:id/milestones/:milestone_id (id where known).
type GitLabMilestone struct {
	ID          *int64  `json:"id,omitempty"`
	IID         *int64  `json:"iid,omitempty"`
	XID         string  `json:"x_id"`
	Title       string  `json:"title"`
	State       string  `json:"state"`
	StateEvent  string  `json:"state_event"`
	Description string  `json:"description"`
	DueDate     *string `json:"due_date"`
	StartDate   *string `json:"start_date"`
}

// ExportRemote returns the request bodies for the forge, one per
// milestone. GitHub's due_on is the due date at 12:00 UTC, which is that
// calendar date in every zone from UTC-11 to UTC+11 (GitHub keeps only a
// date and shifts midnight instants).
func ExportRemote(ms []milestone.Milestone, remote Remote) any {
	if remote == GitLab {
		out := make([]GitLabMilestone, 0, len(ms))
		for i := range ms {
			m := &ms[i]
			g := GitLabMilestone{XID: m.ID, Title: m.Title, State: "active", StateEvent: "activate", Description: m.Description}
			if m.Status.Closed() {
				g.State, g.StateEvent = "closed", "close"
			}
			if id, ok := remoteIdent(m, GitLab); ok {
				g.IID = &id.number
				if id.id != 0 {
					g.ID = &id.id
				}
			}
			if m.Due != "" {
				d := m.Due
				g.DueDate = &d
			}
			if m.Start != "" {
				s := m.Start
				g.StartDate = &s
			}
			out = append(out, g)
		}
		return out
	}
	out := make([]GitHubMilestone, 0, len(ms))
	for i := range ms {
		m := &ms[i]
		g := GitHubMilestone{ID: m.ID, Title: m.Title, State: "open", Description: m.Description}
		if m.Status.Closed() {
			g.State = "closed"
		}
		if id, ok := remoteIdent(m, GitHub); ok {
			g.Number = &id.number
		}
		if m.Due != "" {
			d := m.Due + "T12:00:00Z"
			g.DueOn = &d
		}
		out = append(out, g)
	}
	return out
}
