package dbstore

import (
	"reflect"
	"testing"
	"time"
)

// TestDialectsComplete checks that each dialect fills every statement and
// behaviour: a field added for one database and forgotten for the other
// would otherwise be a nil call on that database only. clearRows, docJoin
// and storesBrief (no search rows, documents or brief documents apart on
// PostgreSQL), statsOnePass (PostgreSQL counts column by column), countRows (no
// capacity hint on PostgreSQL) and
// updateTx (SQLite's default transaction) may be empty.
func TestDialectsComplete(t *testing.T) {
	optional := map[string]bool{"clearRows": true, "docJoin": true, "storesBrief": true, "statsOnePass": true, "countRows": true, "updateTx": true, "clientDeadline": true}
	for _, d := range []*dialect{sqliteDialect, postgresDialect} {
		v := reflect.ValueOf(d).Elem()
		for i := 0; i < v.NumField(); i++ {
			name := v.Type().Field(i).Name
			if !optional[name] && v.Field(i).IsZero() {
				t.Errorf("%s dialect: %s is not set", d.name, name)
			}
		}
	}
	if sqliteDialect.name != TypeSQLite || postgresDialect.name != TypePostgreSQL {
		t.Errorf("dialect names %q, %q; want the Config.Type values", sqliteDialect.name, postgresDialect.name)
	}
}

// TestDialectTimeRoundTrip checks that an instant bound with timeArg reads
// back with timeValue as the same UTC instant to the microsecond, and that
// a value of the other database's kind is refused.
func TestDialectTimeRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("x", 3600))
	want := at.UTC().Truncate(time.Microsecond)
	for _, d := range []*dialect{sqliteDialect, postgresDialect} {
		got, err := d.timeValue(d.timeArg(at))
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: read back %v, want %v in UTC", d.name, got, want)
		}
	}
	if _, err := sqliteDialect.timeValue(want); err == nil {
		t.Error("sqlite: a time.Time was accepted as a stored timestamp")
	}
	if _, err := postgresDialect.timeValue(want.Format(sqliteTimeFormat)); err == nil {
		t.Error("postgresql: text was accepted as a stored timestamp")
	}
	if _, err := sqliteDialect.timeValue("yesterday"); err == nil {
		t.Error("sqlite: malformed text was accepted as a timestamp")
	}
}
