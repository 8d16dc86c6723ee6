package milestone

// Kind is the type of a document field: how it is decoded, encoded,
// validated and compared.
type Kind int

// The kinds of field.
const (
	KindText      Kind = iota // one string, written as is (title, owner, description)
	KindEnum                  // one string of a fixed vocabulary (FieldSpec.Values); empty keeps the default
	KindDate                  // YYYY-MM-DD or empty, written plain
	KindTimestamp             // RFC 3339 or empty, written plain; compared as instants
	KindInt                   // a whole number or unset (progress)
	KindList                  // a list of strings, each checked by FieldSpec.Entry
)

// MergeRule is how the three-way merge driver settles a field both sides changed.
type MergeRule int

// The merge rules.
const (
	MergeScalar      MergeRule = iota // the side that changed it; both changed differently is a conflict
	MergeSet                          // set union of additions minus removals
	MergeEarliest                     // the earlier instant (created_at)
	MergeLatest                       // the later instant (updated_at)
	MergeLines                        // line-wise three-way merge (description)
	MergeAfterStatus                  // settled after status (closed_at follows the merged status)
)

// FieldSpec describes one known document field. Fields lists them all;
// the codec, merge driver, semantic diff and CLI read it rather than
// naming fields one by one.
type FieldSpec struct {
	Key    string    // YAML and JSON key
	Kind   Kind      // type
	Values []string  // the vocabulary of a KindEnum field
	Merge  MergeRule // three-way merge rule
	Column string    // column of the hybrid index's milestones table, "" if none (dbstore keeps a subset)
	Flag   string    // the mutating commands' flag, "" if the CLI sets it itself

	// Check validates a non-list value as Milestone.Validate does (nil: no
	// check). Dates and timestamps accept "".
	Check func(s string) error
	// Entry validates one entry of a KindList field.
	Entry func(s string) error

	text func(m *Milestone) *string
	list func(m *Milestone) *[]string
	num  func(m *Milestone) **int
}

// Fields lists the known document fields in canonical order: the order
// of a written document and of the JSON contract.
var Fields = []FieldSpec{
	{Key: KeyTitle, Kind: KindText, Merge: MergeScalar, Column: "title", Flag: "title",
		Check: ValidateTitle, text: func(m *Milestone) *string { return &m.Title }},
	{Key: KeyStatus, Kind: KindEnum, Values: statusValues(), Merge: MergeScalar, Column: "status", Flag: "status",
		Check: ValidateStatus, text: func(m *Milestone) *string { return (*string)(&m.Status) }},
	{Key: KeyPriority, Kind: KindEnum, Values: priorityValues(), Merge: MergeScalar, Column: "priority", Flag: "priority",
		Check: ValidatePriority, text: func(m *Milestone) *string { return (*string)(&m.Priority) }},
	{Key: KeyOwner, Kind: KindText, Merge: MergeScalar, Column: "owner", Flag: "owner",
		Check: ValidateOwner, text: func(m *Milestone) *string { return &m.Owner }},
	{Key: KeyStart, Kind: KindDate, Merge: MergeScalar, Column: "start", Flag: "start",
		Check: dateCheck(KeyStart), text: func(m *Milestone) *string { return &m.Start }},
	{Key: KeyDue, Kind: KindDate, Merge: MergeScalar, Column: "due", Flag: "due",
		Check: dateCheck(KeyDue), text: func(m *Milestone) *string { return &m.Due }},
	{Key: KeyLabels, Kind: KindList, Merge: MergeSet, Column: "labels", Flag: "label",
		Entry: func(s string) error { return ValidateLabel(KeyLabels, s) },
		list:  func(m *Milestone) *[]string { return &m.Labels }},
	{Key: KeyDependsOn, Kind: KindList, Merge: MergeSet, Column: "depends_on", Flag: "depends-on",
		Entry: validateDependency, list: func(m *Milestone) *[]string { return &m.DependsOn }},
	{Key: KeyProgress, Kind: KindInt, Merge: MergeScalar, Column: "progress", Flag: "progress",
		num: func(m *Milestone) **int { return &m.Progress }},
	{Key: KeyDescription, Kind: KindText, Merge: MergeLines, Flag: "description",
		text: func(m *Milestone) *string { return &m.Description }},
	{Key: KeyCreatedAt, Kind: KindTimestamp, Merge: MergeEarliest, Column: "created_at",
		Check: timestampCheck(KeyCreatedAt), text: func(m *Milestone) *string { return &m.CreatedAt }},
	{Key: KeyUpdatedAt, Kind: KindTimestamp, Merge: MergeLatest, Column: "updated_at",
		Check: timestampCheck(KeyUpdatedAt), text: func(m *Milestone) *string { return &m.UpdatedAt }},
	{Key: KeyClosedAt, Kind: KindTimestamp, Merge: MergeAfterStatus, Column: "closed_at",
		Check: timestampCheck(KeyClosedAt), text: func(m *Milestone) *string { return &m.ClosedAt }},
}

// Keys lists the known document keys in canonical order (the keys of Fields).
var Keys = fieldKeys()

func fieldKeys() []string {
	keys := make([]string, len(Fields))
	for i, f := range Fields {
		keys[i] = f.Key
	}
	return keys
}

// Spec returns the FieldSpec of a known key.
func Spec(key string) (*FieldSpec, bool) {
	for i := range Fields {
		if Fields[i].Key == key {
			return &Fields[i], true
		}
	}
	return nil, false
}

// IsKnownKey reports whether key is one of Keys.
func IsKnownKey(key string) bool {
	_, ok := Spec(key)
	return ok
}

// Text returns the value of a text, enum, date or timestamp field of m.
func (f *FieldSpec) Text(m *Milestone) string { return *f.text(m) }

// SetText stores s as the value of a text, enum, date or timestamp field
// of m, checking it as a decoder does: an enum's "" keeps the default, a
// date or timestamp is checked when not empty, text is not checked here
// (the title is checked by the decoder, also when it is missing).
func (f *FieldSpec) SetText(m *Milestone, s string) error {
	switch f.Kind {
	case KindEnum:
		if s == "" {
			return nil
		}
		*f.text(m) = s
		return f.Check(s)
	case KindDate, KindTimestamp:
		*f.text(m) = s
		return f.Check(s)
	}
	*f.text(m) = s
	return nil
}

// List returns the value of a KindList field of m.
func (f *FieldSpec) List(m *Milestone) []string { return *f.list(m) }

// SetList stores the value of a KindList field of m (entries are checked by the caller with Entry).
func (f *FieldSpec) SetList(m *Milestone, list []string) { *f.list(m) = list }

// Int returns the value of a KindInt field of m, nil when unset.
func (f *FieldSpec) Int(m *Milestone) *int { return *f.num(m) }

// SetInt stores n as the value of a KindInt field of m and checks it.
func (f *FieldSpec) SetInt(m *Milestone, n int) error {
	*f.num(m) = &n
	return ValidateProgress(n)
}

// get returns the value of f in m as Get does.
func (f *FieldSpec) get(m *Milestone) (any, bool) {
	switch f.Kind {
	case KindList:
		l := f.List(m)
		return l, len(l) > 0
	case KindInt:
		p := f.Int(m)
		if p == nil {
			return nil, false
		}
		return *p, true
	}
	s := f.Text(m)
	return s, s != ""
}

// validate checks the value of f in m as Milestone.Validate does.
func (f *FieldSpec) validate(m *Milestone) error {
	switch f.Kind {
	case KindList:
		for _, s := range f.List(m) {
			if err := f.Entry(s); err != nil {
				return err
			}
		}
		return nil
	case KindInt:
		if p := f.Int(m); p != nil {
			return ValidateProgress(*p)
		}
		return nil
	}
	if f.Check == nil {
		return nil
	}
	return f.Check(f.Text(m))
}

func dateCheck(key string) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return ValidateDate(key, s)
	}
}

func timestampCheck(key string) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return ValidateTimestamp(key, s)
	}
}

// validateDependency checks one depends_on entry: a milestone id.
func validateDependency(s string) error {
	if err := ValidateID(s); err != nil {
		return fieldErr(KeyDependsOn, "depends_on: %v", err)
	}
	return nil
}

func statusValues() []string {
	s := make([]string, len(Statuses))
	for i, v := range Statuses {
		s[i] = string(v)
	}
	return s
}

func priorityValues() []string {
	s := make([]string, len(Priorities))
	for i, v := range Priorities {
		s[i] = string(v)
	}
	return s
}

// SetKnown stores v, a value as Get returns it (string, []string or int),
// as the value of the known key in m; present false, or a value of another
// type, clears the field (an enum to ""). Lists are copied. It reports
// false, changing nothing, when key is not a known key.
func (m *Milestone) SetKnown(key string, v any, present bool) bool {
	f, ok := Spec(key)
	if !ok {
		return false
	}
	switch f.Kind {
	case KindList:
		var l []string
		if present {
			l, _ = v.([]string)
			l = append([]string(nil), l...)
		}
		f.SetList(m, l)
	case KindInt:
		*f.num(m) = nil
		if n, ok := v.(int); present && ok {
			*f.num(m) = &n
		}
	default:
		s, _ := v.(string)
		if !present {
			s = ""
		}
		*f.text(m) = s
	}
	return true
}
