// The CLI's help: the overview (`aerie --help`) and each command's own (`aerie help <command>`,
// `aerie <command> --help`). Plain data, so that `--help` loads nothing else.

export const USAGE = `Usage: aerie <command> [options]

Commands:
  list [--json]        list the stacks and their state
  status [stack] [--json]
                       show stacks with their processes, pids and ports
  start <stack>        start a stack (in the running app/server, or here in the foreground)
  stop <stack>         stop a stack in the running app/server
  logs [stack] [-f]    the last log lines (of one stack); -f follows the running engine's new lines
  import <folder>      add the stack kept in <folder>/aerie.stack.json (edits there apply)
  export <stack> --to nginx|apache|caddy|yarp|iis|systemd [options]
                       the stack as production configuration, with a diff against the last export
  cache purge <stack> [path]
                       empty a running stack's response cache (proxy.cache), or what is under path
  doctor <stack> [--json]
                       what makes the app behave differently behind the proxy, with evidence and fix
  hosts apply|remove|show
                       map every stack's host names to 127.0.0.1 and ::1 in the hosts file
  serve [--port N]     run the engine with its UI in a browser, on 127.0.0.1 only
  help [command]       this help, or one command's

Options:
  --json               \`list\`, \`status\`, \`doctor\`: the answer as JSON; with any command, a failure
                       as JSON on stderr ({"error":{"code","message"}}; shapes in the README)
  --color, --no-color  colours on or off (default: on for a terminal; NO_COLOR and FORCE_COLOR count)
  -v, --version        print Aerie's version
  -h, --help           show this help (after a command: that command's)

Exit status: 0 done, 1 failed, 2 usage, 3 invalid input, 4 not found, 5 conflict (a taken port,
another engine), 6 unavailable (a missing binary, no engine running), 7 denied.
Data directory: $AERIE_HOME, else the platform's user data directory.`

/** Each command's help: its synopsis, what it does, and its options. */
export const COMMAND_HELP: Record<string, string> = {
  list: `Usage: aerie list [--json]

The stacks of this data directory and their state, from the running engine (the app or
\`aerie serve\`) or, when none runs, from the stack files (every stack is then stopped).
  --json   {"engineRunning", "stacks": [{"id", "name", "state", "urls", "error"?}]}`,
  status: `Usage: aerie status [stack] [--json]

Every stack (or one) with its processes: state, pid, port and time to ready.
  --json   as \`list --json\`, each stack with "processes": [{"instance", "state", "pid", "port",
           "restarts", "cpuPercent", "rssMB"}]`,
  start: `Usage: aerie start <stack>

Starts the stack in the running engine; when none runs, runs it here in the foreground until
Ctrl+C (which stops it).`,
  stop: `Usage: aerie stop <stack>

Stops the stack in the running engine: the proxy first, then each instance's process tree.`,
  logs: `Usage: aerie logs [stack] [-f] [--color]

The last 200 log lines (of one stack), from the running engine or the log files.
  -f, --follow   then follow the running engine's new lines until Ctrl+C
  --color        keep the colours the processes wrote (default: only on a terminal); cursor and
                 mode sequences are always taken out`,
  import: `Usage: aerie import <folder | aerie.stack.json>

Adds the stack kept in an app's repository; Aerie then watches the file and applies its edits.`,
  export: `Usage: aerie export <stack> --to nginx|apache|caddy|yarp|iis|systemd [options]

The stack as production configuration, with a diff against the last export.
  --server-name a.com,b.com   the public host names (default example.com)
  --cert FILE, --key FILE     the certificate and key on the server (default: placeholders)
  --base-port N               Kestrel's first port on the server (default 5000)
  --app-dir DIR               where the published app lives (default /var/www/app)
  --listen ADDR               the address the proxy listens on (default: all)
  --http-port N, --https-port N
  --out DIR                   write the files there instead of printing them`,
  cache: `Usage: aerie cache purge <stack> [path]

Empties a running stack's response cache (proxy.cache), or only what is under path.`,
  doctor: `Usage: aerie doctor <stack> [--json]

Looks through a running stack's recent traces and log lines for what makes an app behave
differently behind the proxy, and names each finding with its evidence and the fix.
  --json   {"stack", "findings": [{"id", "title", "evidence": [...], "fix"}]}`,
  hosts: `Usage: aerie hosts apply|remove|show

  apply    write a marked block mapping every stack's host names (but localhost) to 127.0.0.1
           and ::1 into the hosts file ($AERIE_HOSTS_FILE overrides it); says the privileged
           command when it may not write it
  remove   take the block out; the rest of the file stays byte for byte
  show     print the block apply would write`,
  serve: `Usage: aerie serve [--port N] [--quiet] [--log-buffer N] [--new-token]

Runs the engine and serves its UI on http://127.0.0.1:<port>/?token=…, until SIGTERM or Ctrl+C
(which stop every stack first).
  --port N          the port (default: a free one)
  --quiet           do not print the processes' log lines
  --log-buffer N    log lines kept in memory for the UI (100–1000000; default 10000 or
                    $AERIE_LOG_BUFFER_LINES)
  --new-token       a new access token (the old URL stops working)`,
  help: `Usage: aerie help [command]

Aerie's help, or one command's.`,
}
