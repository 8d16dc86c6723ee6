package dbstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrBadURL is wrapped by every *URLError: the database URL was refused
// (input refused, exit 2), not the server.
var ErrBadURL = errors.New("malformed database URL")

// URLError says a database URL cannot be used. It never holds any part of
// the password: Shown is the URL with its whole user-info part (or its
// password) masked, and Reason is our own words.
type URLError struct {
	Shown  string
	Reason string
}

func (e *URLError) Error() string {
	return fmt.Sprintf("database URL %s: %s", e.Shown, e.Reason)
}

// Unwrap makes errors.Is(err, ErrBadURL) true.
func (e *URLError) Unwrap() error { return ErrBadURL }

// mask replaces secrets.
const mask = "xxxxx"

// dsn is a connection string parsed once: what may be shown, and the
// secret strings no message may contain.
type dsn struct {
	shown       string
	secrets     []string
	hasPassword bool // the string itself holds a password
}

// parseDSN parses a PostgreSQL URL (postgres://user:password@host/db?...)
// or key=value connection string once. A URL that does not parse cleanly
// (an unescaped @, :, /, ?, # or % in the password, say) is refused with
// its whole user-info part masked: which part of it is the password
// cannot be known.
func parseDSN(raw string) (dsn, error) {
	scheme, rest, isURL := strings.Cut(raw, "://")
	if !isURL {
		d := dsn{shown: kvPassword().ReplaceAllString(raw, "${1}"+mask)}
		for _, m := range kvPassword().FindAllStringSubmatch(raw, -1) {
			d.secrets = append(d.secrets, strings.Trim(m[2], "'"))
			d.hasPassword = true
		}
		return d, nil
	}
	// What is shown of a URL that cannot be trusted to parse: a password
	// in the query masked to the end, then everything before the last @
	// (the whole user-info, and more if need be), then any fragment.
	masked := rest
	if i := strings.Index(strings.ToLower(masked), "password="); i >= 0 {
		masked = masked[:i+len("password=")] + mask
	}
	var rawUser string // the raw user-info: everything before the last @
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rawUser = rest[:at]
	}
	if at := strings.LastIndex(masked, "@"); at >= 0 {
		masked = mask + masked[at:]
	}
	if i := strings.Index(masked, "#"); i >= 0 {
		masked = masked[:i+1] + mask
	}
	masked = scheme + "://" + masked
	refuse := func() (dsn, error) {
		if !strings.Contains(masked, "@") {
			masked = scheme + "://" + mask // no @ to tell user-info from host: show nothing
		}
		return dsn{shown: masked, secrets: secretsOf(rawUser, nil)},
			&URLError{Shown: masked, Reason: "it is not a valid URL (in a password, characters such as @ : / ? # % and spaces must be percent-encoded)"}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || strings.Contains(u.Host, "@") || u.Fragment != "" || strings.Contains(raw, "#") ||
		strings.Contains(rawUser, "@") { // two @: drivers disagree on which one ends the user-info
		return refuse()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return refuse()
	}
	if _, hasPW := u.User.Password(); hasPW && (strings.Contains(u.Path, "@") || strings.Contains(u.RawQuery, "@")) {
		return refuse() // an @ past the host: which one ends the user-info?
	}
	shown := *u
	var pw string
	if p, ok := u.User.Password(); ok {
		pw = p
		shown.User = url.UserPassword(u.User.Username(), mask)
	}
	changed := false
	var qsecrets []string
	for k, vs := range q {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			qsecrets = append(qsecrets, vs...)
			q.Set(k, mask)
			changed = true
		}
	}
	if changed {
		shown.RawQuery = q.Encode()
	}
	_, userPW := u.User.Password()
	secrets := secretsOf(rawUser, append(qsecrets, pw))
	return dsn{shown: kvPassword().ReplaceAllString(shown.String(), "${1}"+mask), secrets: secrets,
		hasPassword: userPW || len(qsecrets) > 0}, nil
}

// secretsOf lists the strings to scrub: the raw user-info (when it holds
// a password), its password part, and each secret as written and escaped.
func secretsOf(rawUser string, more []string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 2 {
			out = append(out, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	if _, pw, ok := strings.Cut(rawUser, ":"); ok {
		add(rawUser)
		add(pw)
	}
	for _, s := range more {
		add(s)
	}
	return out
}

// scrub removes every secret of d from msg.
func (d dsn) scrub(msg string) string {
	for _, s := range d.secrets {
		msg = strings.ReplaceAll(msg, s, mask)
	}
	return msg
}
