package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// resolveDate turns what a user may type for a date into YYYY-MM-DD:
// a date as it is, today, tomorrow, yesterday, +Nd/+Nw/+Nm (days, weeks,
// months from today; - for the past), or a weekday name (mon ... sunday:
// the next one after today). field names the flag in errors.
func resolveDate(field, v string, now time.Time) (string, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch s {
	case "":
		return "", nil
	case "today":
		return today.Format(time.DateOnly), nil
	case "tomorrow":
		return today.AddDate(0, 0, 1).Format(time.DateOnly), nil
	case "yesterday":
		return today.AddDate(0, 0, -1).Format(time.DateOnly), nil
	}
	if len(s) >= 3 && (s[0] == '+' || s[0] == '-') {
		n, err := strconv.Atoi(s[1 : len(s)-1])
		if err == nil && n >= 0 && n <= 100000 {
			if s[0] == '-' {
				n = -n
			}
			switch s[len(s)-1] {
			case 'd':
				return today.AddDate(0, 0, n).Format(time.DateOnly), nil
			case 'w':
				return today.AddDate(0, 0, 7*n).Format(time.DateOnly), nil
			case 'm':
				return today.AddDate(0, n, 0).Format(time.DateOnly), nil
			}
		}
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			ahead := (int(d)-int(today.Weekday())+6)%7 + 1 // 1..7: never today
			return today.AddDate(0, 0, ahead).Format(time.DateOnly), nil
		}
	}
	if err := milestone.ValidateDate(field, v); err != nil {
		return "", refused("%s %q is not a date: use YYYY-MM-DD, today, tomorrow, +3d, +2w, +1m or a weekday name", field, v)
	}
	return v, nil
}

// humanDue says when a due date falls relative to today, for people:
// "due today", "due in 3 days", "overdue 2 days".
func humanDue(due, today string) (string, bool) {
	d, err1 := time.Parse(time.DateOnly, due)
	t, err2 := time.Parse(time.DateOnly, today)
	if err1 != nil || err2 != nil {
		return "", false
	}
	days := int(d.Sub(t).Hours() / 24)
	plural := func(n int) string {
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	switch {
	case days == 0:
		return "due today", false
	case days == 1:
		return "due tomorrow", false
	case days > 1:
		return "due in " + plural(days), false
	}
	return "overdue " + plural(-days), true
}

// resolveOwner turns @me into git's user.email.
func (s *session) resolveOwner(owner string) (string, error) {
	if owner != "@me" {
		return owner, nil
	}
	email, err := s.repo.ConfigGet("user.email")
	if err != nil {
		return "", fmt.Errorf("@me: read user.email: %w", err)
	}
	if email == "" {
		return "", refused("@me: git config user.email is not set")
	}
	return email, nil
}
