package cli

import (
	"github.com/urfave/cli/v2"
)

// commands lists every command, in help order.
func commands(env *Env) []*cli.Command {
	return []*cli.Command{
		newInitCommand(env),
		newCreateCommand(env),
		newShowCommand(env),
		newListCommand(env),
		newSearchCommand(env),
		newStatsCommand(env),
		newUpdateCommand(env),
		newEditCommand(env),
		newCloseCommand(env),
		newReopenCommand(env),
		newRmCommand(env),
		newMvCommand(env),
		newEventsCommand(env),
		newFsckCommand(env),
		newDiffCommand(env),
		newLogCommand(env),
		newHistoryCommand(env),
		newGraphCommand(env),
		newReportCommand(env),
		newMergeDriverCommand(env),
		newTextconvCommand(env),
		newBackendCommand(env),
		newMigrateCommand(env),
		newIndexCommand(env),
		newHooksCommand(env),
		newHookCommand(env),
		newImportCommand(env),
		newExportCommand(env),
		newSetupCommand(env),
		newResolveCommand(env),
	}
}
