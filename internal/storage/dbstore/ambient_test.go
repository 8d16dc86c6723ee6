package dbstore

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// passwordCatcher is a fake PostgreSQL server that asks for a cleartext
// password and reports what the client sent.
func passwordCatcher(t *testing.T) (addr string, got chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				var n uint32
				if binary.Read(c, binary.BigEndian, &n) != nil || n < 8 || n > 1<<16 {
					return
				}
				io.CopyN(io.Discard, c, int64(n-4))          // the startup message
				c.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3}) // AuthenticationCleartextPassword
				var typ byte
				if binary.Read(c, binary.BigEndian, &typ) != nil || typ != 'p' {
					return
				}
				if binary.Read(c, binary.BigEndian, &n) != nil || n < 4 || n > 1<<16 {
					return
				}
				b := make([]byte, n-4)
				io.ReadFull(c, b)
				if len(b) > 0 {
					b = b[:len(b)-1] // NUL
				}
				got <- string(b)
			}(c)
		}
	}()
	return ln.Addr().String(), got
}

// TestRepositoryURLGetsNoAmbientPassword: a URL from the committed config
// (the repository chose the server) is never sent PGPASSWORD; a URL the
// user set is.
func TestRepositoryURLGetsNoAmbientPassword(t *testing.T) {
	t.Setenv("PGPASSWORD", "hunter2-ambient")
	t.Setenv("PGPASSFILE", "/nonexistent")
	for _, fromRepo := range []bool{true, false} {
		addr, got := passwordCatcher(t)
		cfg := Config{Type: TypePostgreSQL, URL: "postgres://bob@" + addr + "/db?sslmode=disable", ProjectKey: "p",
			ConnectTimeout: 2 * time.Second, URLFromRepository: fromRepo}
		s, err := Open(context.Background(), cfg)
		if err == nil {
			s.Close()
		}
		var sent string
		select {
		case sent = <-got:
		case <-time.After(5 * time.Second):
			t.Fatalf("fromRepo=%v: the client sent no password message (%v)", fromRepo, err)
		}
		if fromRepo && sent != "" {
			t.Errorf("the repository's server was sent %q", sent)
		}
		if !fromRepo && sent != "hunter2-ambient" {
			t.Errorf("the user's server was sent %q, want PGPASSWORD", sent)
		}
	}
}
