package migrate

import (
	"errors"
	"testing"

	"github.com/git-milestone/git-milestone/internal/config"
)

func TestAutoTargetWalksAroundEachThreshold(t *testing.T) {
	th := config.Default().Storage.Thresholds
	th.MilestoneCount.FileToHybrid = 10 // down below 8
	th.ConcurrentUsers.FileToHybrid = 5 // down below 4
	for _, c := range []struct {
		kind        string
		open, users int
		want        string
	}{
		// milestones, going up from file
		{config.File, 0, 1, ""},
		{config.File, 9, 1, ""},
		{config.File, 10, 1, config.Hybrid},
		{config.File, 11, 1, config.Hybrid},
		// milestones, coming down from hybrid: the band 8..9 stays
		{config.Hybrid, 10, 1, ""},
		{config.Hybrid, 9, 1, ""},
		{config.Hybrid, 8, 1, ""},
		{config.Hybrid, 7, 1, config.File},
		{config.Hybrid, 0, 0, config.File},
		// back up from file inside the band: stays file
		{config.File, 8, 1, ""},
		// users, going up
		{config.File, 0, 4, ""},
		{config.File, 0, 5, config.Hybrid},
		// users, coming down: 4 is not below 80% of 5
		{config.Hybrid, 0, 4, ""},
		{config.Hybrid, 0, 3, config.File},
		// either count keeps hybrid
		{config.Hybrid, 7, 4, ""},
		{config.Hybrid, 8, 3, ""},
		// the automatic switch never touches a database
		{config.Database, 0, 0, ""},
		{config.Database, 1000, 100, ""},
	} {
		got, reason, err := AutoTarget(c.kind, c.open, func() (int, error) { return c.users, nil }, th)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s with %d open, %d users: got %q (%s), want %q", c.kind, c.open, c.users, got, reason, c.want)
		}
		if (got == "") != (reason == "") {
			t.Errorf("%s with %d open, %d users: target %q with reason %q", c.kind, c.open, c.users, got, reason)
		}
	}
}

func TestAutoTargetCountsUsersOnlyWhenNeeded(t *testing.T) {
	th := config.Default().Storage.Thresholds
	boom := func() (int, error) { return 0, errors.New("git log failed") }
	if got, _, err := AutoTarget(config.File, 25, boom, th); err != nil || got != config.Hybrid {
		t.Errorf("over the milestone threshold: got %q, %v; users need not be counted", got, err)
	}
	if _, _, err := AutoTarget(config.Hybrid, 24, boom, th); err != nil {
		t.Errorf("inside the band: users need not be counted, got %v", err)
	}
	if _, _, err := AutoTarget(config.File, 3, boom, th); err == nil {
		t.Error("below the milestone threshold, a failing users count must be reported")
	}
}

func TestBelowHysteresis(t *testing.T) {
	for _, c := range []struct {
		n, threshold int
		want         bool
	}{{19, 25, true}, {20, 25, false}, {24, 25, false}, {79, 100, true}, {80, 100, false}, {1, 2, true}, {2, 2, false}, {0, 0, false}} {
		if got := BelowHysteresis(c.n, c.threshold); got != c.want {
			t.Errorf("BelowHysteresis(%d, %d) = %v, want %v", c.n, c.threshold, got, c.want)
		}
	}
}
