// Package pgtest gives tests their own PostgreSQL database. Tests read the
// server from MILESTONE_TEST_DATABASE_URL; without it they skip, saying how
// to run them. With CI=true an unreachable server fails the test instead.
package pgtest

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the variable holding the test server's URL.
const EnvVar = "MILESTONE_TEST_DATABASE_URL"

// Hint says how to run the PostgreSQL tests.
const Hint = "set " + EnvVar + "=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run them"

// BaseURL returns the server URL or skips tb.
func BaseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		if os.Getenv("MILESTONE_REQUIRE_POSTGRES") != "" {
			tb.Fatalf("PostgreSQL tests are required here but %s is not set", EnvVar)
		}
		tb.Skip("PostgreSQL tests skipped: " + Hint)
	}
	return u
}

// NewDatabase creates a database for one test, drops it when the test ends
// and returns its URL.
func NewDatabase(tb testing.TB, prefix string) string {
	tb.Helper()
	base := BaseURL(tb)
	name, err := Create(base, prefix)
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("MILESTONE_REQUIRE_POSTGRES") != "" {
			tb.Fatalf("PostgreSQL is required here: %v", err)
		}
		tb.Skipf("PostgreSQL not reachable (%v); %s", err, Hint)
	}
	tb.Cleanup(func() {
		if err := Drop(base, name); err != nil {
			tb.Error(err)
		}
	})
	return WithDatabase(base, name)
}

// Create makes a fresh, uniquely named database on the server at base.
func Create(base, prefix string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	crand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

// Drop removes a database made by Create.
func Drop(base, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// WithDatabase returns base with its database name replaced.
func WithDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}
