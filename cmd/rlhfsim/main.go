package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/internal/termsafe"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// usageError marks an error in the user's input: a bad flag value, a missing
// or malformed file. It exits with code 2; every other failure exits 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func main() {
	// A lesson runs in a copy of this program started as a worker; the
	// copy does that and exits here.
	worker.Main()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code. It is the
// whole program, so tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "rlhfsim:", termsafe.String(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || badPath(err) {
		return 2
	}
	return 1
}

// badPath reports an error about a path the user gave: a file that does
// not exist, one they may not read or write, a directory where a file
// should be or the reverse, or a device as an output. Those are bad
// input, like a bad flag, and exit with 2.
func badPath(err error) bool {
	for _, target := range []error{fs.ErrNotExist, fs.ErrPermission, fileio.ErrNotRegular, syscall.ENOTDIR, syscall.EISDIR, syscall.EROFS} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// flagParse matches pflag's message for a value its type cannot parse,
// which quotes Go's strconv error.
var flagParse = regexp.MustCompile(`^invalid argument (".*") for "(.*)" flag: strconv\.Parse(Uint|Int|Float|Bool): .*$`)

// plainFlagError says what a flag wants instead of quoting strconv.
func plainFlagError(err error) error {
	m := flagParse.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	want := map[string]string{"Uint": "a whole number, 0 or more", "Int": "a whole number", "Float": "a number", "Bool": "true or false"}[m[3]]
	return fmt.Errorf("invalid argument %s for %q: want %s", m[1], m[2], want)
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "rlhfsim",
		Short: "A simulator that teaches how the reward model of RLHF works",
		Long: `rlhfsim simulates the RLHF pipeline on synthetic responses with a hidden
gold reward: ranking data, pairwise reward-model training, scalar scoring and
policy optimisation. Because the gold reward is known, every stage can be
compared with the truth.

Without a command, rlhfsim runs the whole course: every lesson prints to the
terminal, and an HTML notebook is written to rlhfsim-out/html/index.html.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q: the commands are %s (see rlhfsim help)", args[0], commandNames(cmd))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLessons(cmd, nil, defaultRunOptions())
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%v (see %s --help)", plainFlagError(err), cmd.CommandPath())}
	})
	root.AddCommand(newDataCmd(), newTrainCmd(), newScoreCmd(), newPipelineCmd(), newSweepCmd(), newSeqCmd(), newFiguresCmd(),
		newLessonsCmd(), newRunCmd(), newServeCmd(), newSiteCmd(), newKeyCmd(), newSecretCmd(), newCodesCmd(), newReleaseCmd(), newSubmitCmd(), newGradeCmd(), newCheckCmd(), newNewCmd(), newExportCmd())
	return root
}

// commandNames lists the subcommands people use.
func commandNames(root *cobra.Command) string {
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" && c.Name() != "completion" {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}
