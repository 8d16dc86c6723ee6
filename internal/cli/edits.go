package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// fieldEdits are the field changes asked on the command line.
type fieldEdits struct {
	text                    map[string]string // new values of text, enum and date fields, by key
	progress                *int
	addLabels, removeLabels []string
	dependsOn               []string
	setDependsOn            bool
	extra                   []milestone.Field // unknown keys; nil Value removes
}

// textFlag reports whether f is set by a one-string flag of editFlags.
func textFlag(f *milestone.FieldSpec) bool {
	return f.Flag != "" && f.Kind != milestone.KindList && f.Kind != milestone.KindInt
}

// editFlags are the flags shared by create and update.
func editFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "title", Usage: "one line, 1-200 characters"},
		&cli.StringFlag{Name: "status", Usage: "planned, active, blocked, completed or cancelled"},
		&cli.StringFlag{Name: "priority", Usage: "low, medium, high or critical"},
		&cli.StringFlag{Name: "owner", Usage: "who owns it; @me is your git user.email (empty to clear)"},
		&cli.StringFlag{Name: "start", Usage: "start date: YYYY-MM-DD, today, tomorrow, +3d, +2w, +1m or a weekday (empty to clear)"},
		&cli.StringFlag{Name: "due", Usage: "due date: YYYY-MM-DD, today, tomorrow, +3d, +2w, +1m or a weekday (empty to clear)"},
		&cli.StringFlag{Name: "description", Usage: "free text (Markdown)"},
		&cli.StringSliceFlag{Name: "depends-on", Usage: "id of a milestone this one depends on (repeatable; replaces the list)"},
		&cli.BoolFlag{Name: "no-commit", Usage: "write the work tree only, do not commit"},
		&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "commit message (default: milestone(<id>): <what>)"},
	}
}

var protectedKeys = map[string]bool{"id": true, milestone.KeyCreatedAt: true, milestone.KeyUpdatedAt: true, milestone.KeyClosedAt: true}

// validExtraKey matches ^[A-Za-z_][A-Za-z0-9_.-]{0,63}$, the keys --set
// may add (by hand: a compiled expression would cost every process at
// start-up).
func validExtraKey(key string) bool {
	if len(key) == 0 || len(key) > 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

// parseEdits reads the edit flags of c and checks every value.
func parseEdits(c *cli.Context) (*fieldEdits, error) {
	e := &fieldEdits{text: map[string]string{}}
	for i := range milestone.Fields {
		if f := &milestone.Fields[i]; textFlag(f) && c.IsSet(f.Flag) {
			e.text[f.Key] = c.String(f.Flag)
		}
	}
	if c.IsSet("depends-on") {
		e.setDependsOn = true
		e.dependsOn = nonEmpty(c.StringSlice("depends-on"))
	}
	if c.IsSet("label") {
		e.addLabels = c.StringSlice("label")
	}
	if c.IsSet("add-label") {
		e.addLabels = append(e.addLabels, c.StringSlice("add-label")...)
	}
	if c.IsSet("remove-label") {
		e.removeLabels = c.StringSlice("remove-label")
	}
	if c.IsSet("progress") {
		p := c.Int("progress")
		e.progress = &p
	}
	var sets []string
	if r, ok := c.Generic("set").(*rawValues); ok && r != nil {
		sets = r.values
	}
	for _, kv := range sets {
		if err := e.set(kv); err != nil {
			return nil, err
		}
	}
	now := envOf(c).Now()
	for _, f := range milestone.Fields {
		v, ok := e.text[f.Key]
		if f.Kind != milestone.KindDate || !ok {
			continue
		}
		date, err := resolveDate("--"+f.Flag, v, now)
		if err != nil {
			return nil, err
		}
		e.text[f.Key] = date
	}
	return e, e.check()
}

// rawValues is a repeatable flag whose values are kept whole: a slice
// flag would split "--set key=a,b" at the comma.
type rawValues struct{ values []string }

// Set implements cli.Generic.
func (r *rawValues) Set(v string) error {
	r.values = append(r.values, v)
	return nil
}

// String implements cli.Generic.
func (r *rawValues) String() string {
	if r == nil {
		return ""
	}
	return strings.Join(r.values, " ")
}

func nonEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// set applies one --set KEY=VALUE.
func (e *fieldEdits) set(kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	if !ok || key == "" {
		return refused("--set %q: expected KEY=VALUE", kv)
	}
	if protectedKeys[key] {
		return refused("--set %s: %s is set by git-milestone and cannot be changed", key, key)
	}
	f, known := milestone.Spec(key)
	switch {
	case known && f.Kind == milestone.KindInt:
		p, err := strconv.Atoi(value)
		if err != nil {
			return refused("--set %s=%q: not a whole number", key, value)
		}
		e.progress = &p
	case known && f.Kind == milestone.KindList:
		return refused("--set %s: use --add-label/--remove-label or --depends-on", key)
	case known:
		e.text[key] = value
	default:
		if !validExtraKey(key) {
			return refused("--set %q: a key is a letter or '_' then letters, digits, '_', '.' or '-'", key)
		}
		var v any
		if value != "" {
			v = format.ParseValue(value)
		}
		e.extra = append(e.extra, milestone.Field{Key: key, Value: v})
	}
	return nil
}

// check validates every value before anything is read or written.
func (e *fieldEdits) check() error {
	for _, f := range milestone.Fields {
		v, ok := e.text[f.Key]
		if !ok || f.Check == nil {
			continue
		}
		if err := f.Check(v); err != nil { // a date's "" clears it
			return err
		}
	}
	if e.progress != nil {
		if err := milestone.ValidateProgress(*e.progress); err != nil {
			return err
		}
	}
	for _, l := range append(append([]string(nil), e.addLabels...), e.removeLabels...) {
		if err := milestone.ValidateLabel("label", l); err != nil {
			return err
		}
	}
	for _, d := range e.dependsOn {
		if err := milestone.ValidateID(d); err != nil {
			return refused("--depends-on: %v", err)
		}
	}
	return nil
}

// empty reports whether no change was asked.
func (e *fieldEdits) empty() bool {
	return len(e.text) == 0 && e.progress == nil && len(e.addLabels) == 0 &&
		len(e.removeLabels) == 0 && !e.setDependsOn && len(e.extra) == 0
}

// apply changes m; now is the current timestamp for closed_at.
func (e *fieldEdits) apply(m *milestone.Milestone, now string) {
	for _, k := range milestone.Keys {
		v, ok := e.text[k]
		switch {
		case !ok:
		case k == milestone.KeyStatus:
			setStatus(m, milestone.Status(v), now) // keeps closed_at in step
		default:
			m.SetKnown(k, v, true)
		}
	}
	if e.progress != nil {
		p := *e.progress
		m.Progress = &p
	}
	for _, l := range e.addLabels {
		if !m.HasLabel(l) {
			m.Labels = append(m.Labels, l)
		}
	}
	for _, l := range e.removeLabels {
		m.Labels = remove(m.Labels, l)
	}
	if e.setDependsOn {
		m.DependsOn = e.dependsOn
	}
	for _, f := range e.extra {
		m.Extra = setExtra(m.Extra, f)
	}
}

// setStatus changes the status, keeping closed_at in step with it.
func setStatus(m *milestone.Milestone, st milestone.Status, now string) {
	switch {
	case st.Closed() && (!m.Status.Closed() || m.ClosedAt == ""):
		m.ClosedAt = now
	case !st.Closed():
		m.ClosedAt = ""
	}
	m.Status = st
}

func remove(list []string, v string) []string {
	var out []string
	for _, s := range list {
		if s != v {
			out = append(out, s)
		}
	}
	return out
}

func setExtra(fields []milestone.Field, f milestone.Field) []milestone.Field {
	for i := range fields {
		if fields[i].Key == f.Key {
			if f.Value == nil {
				return append(fields[:i:i], fields[i+1:]...)
			}
			fields[i].Value = f.Value
			return fields
		}
	}
	if f.Value == nil {
		return fields
	}
	return append(fields, f)
}

// summary describes the change for a commit message.
func (e *fieldEdits) summary() string {
	var parts []string
	add := func(cond bool, s string) {
		if cond {
			parts = append(parts, s)
		}
	}
	has := func(key string) bool { _, ok := e.text[key]; return ok }
	add(has(milestone.KeyTitle), "title")
	if st, ok := e.text[milestone.KeyStatus]; ok {
		parts = append(parts, "status "+st)
	}
	add(has(milestone.KeyPriority), "priority")
	add(has(milestone.KeyOwner), "owner")
	add(has(milestone.KeyStart), "start")
	add(has(milestone.KeyDue), "due")
	add(e.progress != nil, "progress")
	add(has(milestone.KeyDescription), "description")
	add(len(e.addLabels)+len(e.removeLabels) > 0, "labels")
	add(e.setDependsOn, "depends_on")
	for _, f := range e.extra {
		parts = append(parts, f.Key)
	}
	return fmt.Sprintf("update %s", strings.Join(parts, ", "))
}
