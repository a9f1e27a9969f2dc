package main

import (
	"bufio"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/notebook/grade"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// secretEnv names the environment variable that may hold the course
// secret itself, for an instructor who would rather not keep a file.
const secretEnv = "RLHFSIM_SECRET"

// minSecret is the shortest secret accepted: shorter ones can be guessed
// from a handful of codes.
const minSecret = 16

// studentFlags are the flags that pick a student's variant of the world.
type studentFlags struct {
	name, code, secretFile string
}

func (f *studentFlags) add(cmd *cobra.Command, withCode bool) {
	cmd.Flags().StringVar(&f.name, "student", "", "the student's name")
	if withCode {
		cmd.Flags().StringVar(&f.code, "variant", "", "the student's variant code (16 hex digits, from the instructor); without it, and without the course secret, the lesson runs in the standard world")
	}
	cmd.Flags().StringVar(&f.secretFile, "secret", "", "file holding the course secret (or set "+secretEnv+"): the instructor's key to every student's variant")
}

// secret returns the course secret from --secret or the environment, or
// nil if neither is given.
func (f *studentFlags) secret() ([]byte, error) {
	var s string
	switch {
	case f.secretFile != "":
		b, err := readSmall(f.secretFile, 4096)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		s = string(b)
	case os.Getenv(secretEnv) != "":
		s = os.Getenv(secretEnv)
	default:
		return nil, nil
	}
	s = strings.TrimSpace(s)
	if len(s) < minSecret {
		return nil, usagef("the course secret is %d characters long; use at least %d (make one with: rlhfsim secret --out course.secret)", len(s), minSecret)
	}
	return []byte(s), nil
}

// needSecret is secret for the commands that cannot work without it.
func (f *studentFlags) needSecret(what string) ([]byte, error) {
	s, err := f.secret()
	if err == nil && s == nil {
		err = usagef("%s needs the course secret: give --secret FILE or set %s (an instructor makes one with: rlhfsim secret --out course.secret)", what, secretEnv)
	}
	return s, err
}

// variant returns the variant the flags pick: from --variant, or from the
// name and the course secret, or the standard world. note says which,
// for a line on standard error; it is "" when nothing needs saying.
func (f *studentFlags) variant() (v world.Variant, note string, err error) {
	if f.name == "" {
		if f.code != "" {
			return v, "", usagef("--variant needs --student: a variant code belongs to a name")
		}
		return v, "", nil
	}
	code := f.code
	if code == "" {
		secret, err := f.secret()
		if err != nil {
			return v, "", err
		}
		if secret == nil {
			note = fmt.Sprintf("note: no variant code for %q, so the lessons run in the standard world; give the code your instructor sent with --variant CODE", f.name)
		} else if code, err = world.Code(secret, f.name); err != nil {
			return v, "", usagef("invalid --student %q: %v", f.name, err)
		}
	}
	v, err = world.Student(f.name, code)
	if err != nil {
		return v, "", usagef("invalid --student %q or --variant: %v", f.name, err)
	}
	return v, note, nil
}

// readSmall reads a regular file of at most max bytes.
func readSmall(path string, max int64) ([]byte, error) {
	var b []byte
	err := fileio.Read(path, func(r io.Reader) error {
		var err error
		b, err = io.ReadAll(io.LimitReader(r, max+1))
		if err == nil && int64(len(b)) > max {
			err = usagef("%s is larger than %d bytes", path, max)
		}
		return err
	})
	return b, err
}

func newSecretCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "secret --out FILE",
		Short: "Make a course secret: the instructor's key to every student's variant",
		Long: `secret writes a new random course secret (256 bits, hex) to FILE, readable
by you alone. Keep it out of the students' reach: with it, "rlhfsim codes"
gives each student's variant code, "rlhfsim key" prints any student's
answers and "rlhfsim grade" grades submissions. Lose it and the codes you
handed out can no longer be graded; it refuses to overwrite a file.`,
		Example: `  rlhfsim secret --out course.secret
  rlhfsim codes --secret course.secret --roster class.txt > codes.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("secret needs --out FILE")
			}
			var b [32]byte
			rand.Read(b[:])
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("--out: %w (secret never overwrites a file)", err)
			}
			if _, err := fmt.Fprintln(f, hex.EncodeToString(b[:])); err != nil {
				f.Close()
				os.Remove(out)
				return err
			}
			if err := f.Close(); err != nil {
				os.Remove(out)
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote a course secret to %s; keep it private and back it up\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the file to create")
	return cmd
}

func newCodesCmd() *cobra.Command {
	f := &studentFlags{}
	var roster string
	cmd := &cobra.Command{
		Use:   "codes --secret FILE [NAME...] [--roster FILE]",
		Short: "Print each student's variant code, for the instructor to hand out",
		Long: `codes prints a CSV of name and variant code, one row per student, for the
names given and the lines of --roster (one name per line; blank lines and
lines starting with # are skipped). Give each student their own row: the
code draws their variant of the hidden world ("rlhfsim run --student NAME
--variant CODE"), and a code works only with its name.`,
		Example: `  rlhfsim codes --secret course.secret "Ada Lovelace" "Alan Turing"
  rlhfsim codes --secret course.secret --roster class.txt > codes.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			secret, err := f.needSecret("codes")
			if err != nil {
				return err
			}
			names := append([]string(nil), args...)
			var where []string
			for i := range args {
				where = append(where, fmt.Sprintf("name %d", i+1))
			}
			line := 0
			if roster != "" {
				b, err := readSmall(roster, 1<<20)
				if err != nil {
					return fmt.Errorf("--roster: %w", err)
				}
				sc := bufio.NewScanner(strings.NewReader(string(b)))
				for sc.Scan() {
					line++
					if t := strings.TrimSpace(sc.Text()); t != "" && !strings.HasPrefix(t, "#") {
						names = append(names, t)
						where = append(where, fmt.Sprintf("--roster line %d", line))
					}
				}
			}
			if len(names) == 0 {
				return usagef("codes needs names: give them as arguments or with --roster FILE")
			}
			w := csv.NewWriter(cmd.OutOrStdout())
			w.Write([]string{"student", "variant"})
			for i, n := range names {
				code, err := world.Code(secret, n)
				if err != nil {
					return usagef("%s (%.40q): %v", where[i], n, err)
				}
				w.Write([]string{grade.SafeCell(strings.TrimSpace(n)), code})
			}
			w.Flush()
			return w.Error()
		},
	}
	cmd.Flags().StringVar(&f.secretFile, "secret", "", "file holding the course secret (or set "+secretEnv+")")
	cmd.Flags().StringVar(&roster, "roster", "", "file of names, one per line")
	return cmd
}
