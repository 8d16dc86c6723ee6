package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/itchyny/gojq"
	"github.com/urfave/cli/v2"
)

// addDataFlags gives every command with a --json flag (its own or another
// engineer's) --jq EXPR and, unless it has a --format of its own,
// --format TEMPLATE: the command prints its JSON, which is then filtered.
func addDataFlags(c *cli.Command) {
	for _, s := range c.Subcommands {
		addDataFlags(s)
	}
	if c.Action == nil || findFlag(c.Flags, "json") == nil {
		return
	}
	c.Flags = append(c.Flags, &cli.StringFlag{Name: "jq", Usage: "filter the JSON output with a jq expression (implies --json)"})
	template := findFlag(c.Flags, "format") == nil
	if template {
		c.Flags = append(c.Flags, &cli.StringFlag{Name: "format", Usage: "print each JSON object through a Go text/template, as gh's --template (implies --json)"})
	}
	action := c.Action
	c.Action = func(ctx *cli.Context) error {
		jq := ctx.String("jq")
		tmpl := ""
		if template {
			tmpl = ctx.String("format")
		}
		if jq == "" && tmpl == "" {
			return action(ctx)
		}
		if jq != "" && tmpl != "" {
			return refused("%s: --jq and --format exclude each other", c.Name)
		}
		filter, err := compileFilter(jq, tmpl)
		if err != nil {
			return err
		}
		env := envOf(ctx)
		if err := ctx.Set("json", "true"); err != nil {
			return err
		}
		out := env.Stdout
		var captured bytes.Buffer
		env.Stdout = &captured
		err = action(ctx)
		env.Stdout = out
		if err != nil {
			return err
		}
		return filter(out, captured.Bytes())
	}
}

// envKey finds the Env of a run in the app's metadata.
const envKey = "git-milestone-env"

func envOf(ctx *cli.Context) *Env { return ctx.App.Metadata[envKey].(*Env) }

// compileFilter prepares --jq EXPR or --format TEMPLATE. The filter reads
// every JSON value in data and writes what the expression makes of it:
// strings as they are (one a line), anything else as JSON.
func compileFilter(jq, tmpl string) (func(io.Writer, []byte) error, error) {
	var run func(w io.Writer, v any) error
	if jq != "" {
		q, err := gojq.Parse(jq)
		if err != nil {
			return nil, refused("--jq %q: %v", jq, err)
		}
		code, err := gojq.Compile(q)
		if err != nil {
			return nil, refused("--jq %q: %v", jq, err)
		}
		run = func(w io.Writer, v any) error {
			iter := code.Run(v)
			for {
				r, ok := iter.Next()
				if !ok {
					return nil
				}
				if err, isErr := r.(error); isErr {
					var halt *gojq.HaltError
					if errors.As(err, &halt) && halt.Value() == nil {
						return nil
					}
					return refused("--jq %q: %v", jq, err)
				}
				if s, isStr := r.(string); isStr {
					fmt.Fprintln(w, s)
					continue
				}
				b, err := gojq.Marshal(r)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\n", b)
			}
		}
	} else {
		t, err := template.New("format").Option("missingkey=zero").Funcs(templateFuncs).Parse(tmpl)
		if err != nil {
			return nil, refused("--format: %v", err)
		}
		run = func(w io.Writer, v any) error {
			if err := t.Execute(w, v); err != nil {
				return refused("--format: %v", err)
			}
			return nil
		}
	}
	return func(w io.Writer, data []byte) error {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				return nil
			} else if err != nil {
				return fmt.Errorf("the command's output is not JSON: %w", err)
			}
			if err := run(w, milestone.PlainNumbers(v)); err != nil {
				return err
			}
		}
	}, nil
}

// templateFuncs are the helpers of --format, after gh's.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join": func(sep string, v any) string {
		list, _ := v.([]any)
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, sep)
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"pad": func(w int, v any) string {
		s := ""
		if v != nil {
			s = fmt.Sprint(v)
		}
		return padRight(s, w)
	},
}
