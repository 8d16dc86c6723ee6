package migrate

import (
	"fmt"

	"github.com/git-milestone/git-milestone/internal/config"
)

// Hysteresis is the share of a threshold below which the automatic switch
// goes back down (80%): between it and the threshold the backend stays as
// it is, so a count that hovers at the threshold does not flap.
const (
	hysteresisNum = 4
	hysteresisDen = 5
)

// BelowHysteresis reports whether n is below 80% of threshold.
func BelowHysteresis(n, threshold int) bool { return n*hysteresisDen < threshold*hysteresisNum }

// AutoTarget decides the automatic file <-> hybrid switch of a repository
// on backend kind with open milestones and users (people who changed
// milestones in the last 30 days; asked only when needed, as counting
// them costs a git log). It returns the backend to move to ("" to stay)
// and why, in words. Up: at the file_to_hybrid milestone or users
// threshold. Down: only when both are below 80% of their threshold. The
// automatic switch never leaves git: database is never an answer, and a
// database backend never moves.
func AutoTarget(kind string, open int, users func() (int, error), t config.Thresholds) (to, reason string, err error) {
	mLimit, uLimit := t.MilestoneCount.FileToHybrid, t.ConcurrentUsers.FileToHybrid
	switch kind {
	case config.File:
		if open >= mLimit {
			return config.Hybrid, fmt.Sprintf("%d open milestones (threshold %d)", open, mLimit), nil
		}
		u, err := users()
		if err != nil {
			return "", "", err
		}
		if u >= uLimit {
			return config.Hybrid, fmt.Sprintf("%s changed milestones in 30 days (threshold %d)", People(u), uLimit), nil
		}
	case config.Hybrid:
		if !BelowHysteresis(open, mLimit) {
			return "", "", nil
		}
		u, err := users()
		if err != nil {
			return "", "", err
		}
		if BelowHysteresis(u, uLimit) {
			return config.File, fmt.Sprintf("%d open milestones and %s, below 80%% of the thresholds (%d, %d)", open, People(u), mLimit, uLimit), nil
		}
	}
	return "", "", nil
}

// People is "1 person" or "N people".
func People(n int) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}
