namespace TcWorker.Engines.Native;

/// <summary>The native engine's documentation for task authors and operators.</summary>
internal static class NativeDocumentation
{
    public static IReadOnlyList<DocSection> Sections { get; } =
    [
        new("Security: who a task runs as", """
            Without `createUser` (the default, and what `tc-worker run` and `tc-worker local` use) a task runs
            as the user the worker runs as, with all of that user's authority: it may read and change
            whatever that user may (the worker's config file and the token in it, the worker's temporary
            folder with other tasks' directories and logs, the user's home, SSH keys and cloud credentials),
            read the environment and memory of the worker's processes under `/proc`, and signal them. Run
            tasks in this mode only when you would run their commands yourself, in your own shell: like
            generic-worker's insecure engine, it is for development and trusted tasks. For tasks you do not
            trust, set `createUser: true` (the worker runs as root): each task then runs as its own
            throwaway user in a directory only it may enter, and cannot read the worker's private files
            (mode 600 and 700), its processes' environment or other tasks' directories.
            """),
        new("Payload", """
            `command` is a list of commands, each an argv array run without a shell, in order, in a fresh
            task directory (also `HOME`). The first command that exits non-zero stops the task, which then
            fails; a command that does not exist fails the task with a `[tc-worker:error]` line.
            Example: `command: [["make", "-j4"], ["bash", "-c", "make test > results.txt"]]`.
            """),
        new("generic-worker's payload keys", """
            Besides `command`, the engine takes these keys of generic-worker's native POSIX payload. Each
            is checked before anything of the task runs: a payload is refused whole (malformed-payload,
            with one line per problem) or run whole.
            - `osGroups`: groups of the host the task user is added to, with `createUser` (Linux, usermod;
              the user leaves them when it is deleted). Each group needs the scope
              `generic-worker:os-group:<provisionerId>/<workerType>/<group>`; a group the host does not
              have is refused, naming it. Without `createUser` (or with `runTaskAsCurrentUser`) the task
              runs as the worker's own user, which cannot join a group for one task: only groups that user
              is already in are accepted, as generic-worker's insecure engine does.
            - `features.runTaskAsCurrentUser`: the commands run as the worker's own user (usually root),
              not a task user. Needs the scope
              `generic-worker:run-task-as-current-user:<provisionerId>/<workerType>`. Unlike generic-worker,
              it is not switched off when the worker's capacity is above 1.
            - `features.resourceMonitor` (default true): after each command the task log gets the host's
              peak and average used memory, average available memory and total memory; when the host's
              used memory stays above `resourceMonitor.maxMemoryUsagePercent` (default 90) while its
              available memory stays below `resourceMonitor.minAvailableMemoryBytes` (default 524288000) for
              `resourceMonitor.allowedHighMemoryDuration` seconds (default 5), the command is killed and the
              task fails with a `[resource monitor]` line, unless `resourceMonitor.disableOOMProtection`
              (engine config). Linux only (/proc/meminfo); elsewhere a line says memory is not watched.
            - `features.loopbackVideo` and `features.loopbackAudio`: refused when true; this worker does not
              set up loopback devices.
            - `supersederUrl`: accepted for compatibility, and ignored (as generic-worker does).
            """),
        new("Environment", """
            The environment is built from scratch: none of the worker's own variables (credentials above
            all) is handed to the task; without `createUser` that is no barrier (see above). It holds
            `HOME` (the task directory), `PATH`
            (`/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`), `USER`, what plugins set
            (`env` in the payload, `TASK_ID`, ...), and `TCW_SANDBOX_ID`, which marks the task's processes
            where control groups are unavailable (see Processes).
            """),
        new("Processes", """
            When the task ends or is aborted, every process it started gets SIGTERM and, after
            `killGracePeriodSeconds` (default 5), SIGKILL: background jobs, `setsid` and double-forked
            daemons included. A kill (max run time) does the same with the grace period its caller gives
            (none for max run time); a task that traps SIGTERM may use it to save its work, but its result
            stays unsuccessful, without an exit code. On Linux with control groups (the worker runs as root)
            each task has its own group, which every process it starts stays in whatever it does (`env -i`,
            `setsid`, `nohup`, `disown`, double forks, daemons that close every descriptor); the SIGKILL
            freezes, kills and thaws the whole group at once, and the group is removed. The worker reaps the
            task's orphans: no zombie is left. `maxProcesses` (default 10000, threads included) caps the task's
            processes: a task that reaches it (a fork bomb) is stopped and fails. Without control groups the
            worker says so when it starts: processes are then found by the `TCW_SANDBOX_ID` marker in their
            initial environment and, with `createUser`, by their user id; a process that clears its
            environment (`env -i`) escapes the marker, so use `createUser`, whose kill (`kill(-1)` as the task
            user) no fork can outrun.
            """),
        new("Artifacts", """
            Artifact paths are relative to the task directory. Symlinks inside it are followed; anything
            that leads outside the task directory is refused. On Linux every file is opened one path
            component at a time without letting the system follow a symlink (each link is resolved by the
            worker, inside the task directory), checked on its open handle and read from that handle, so a
            process that swaps a file or folder for a symlink while artifacts are read cannot make the
            worker read outside. Folders are listed where they really are: a symlink to a folder is not entered.
            """),
        new("Volumes", """
            Volumes (caches, preloaded content) are folders of the worker's temporary folder (Linux). They
            mount inside the task directory only: at a path relative to it, or at an absolute path below
            it; anywhere else is a malformed payload, as are nested mount points. A writable mount is a
            symbolic link to the volume's folder (or, with a sub-path, to one file or folder in it), so
            what the task writes is in the volume for the next task; `pwd -P` and `realpath` show the
            volume's own path, and artifacts are not read through the link (it leads outside the task
            directory). A read-only mount is a copy made when the task starts (modes, times, links and
            hard links kept; the time and disk of a copy): nothing the task does reaches the volume.
            With `createUser` the copy belongs to the worker's user, readable by the task and writable by
            no one else, so a write fails. Without `createUser` the task runs as the worker's user, which
            owns the copy: its writes succeed but stay in the copy, and nothing stops it from changing the
            volume's folder itself if it finds it (read-only cannot be enforced against the worker's own
            user). With `createUser`, where the host makes idmapped mounts, a writable volume is bind-mounted
            (nosuid, nodev) with its on-disk owner, an id no account has, mapped to the task user: nothing
            changes owner, so a warm cache attaches in constant time; the mount is detached when the task
            ends. Elsewhere a writable volume's content is handed to the task user when the task
            starts and back to the worker's user (set-id bits dropped, the folder made 700) when it ends,
            before the user is deleted. Either way, at rest no task user can enter it. A file hard-linked from outside
            the volume is never handed over nor copied. A volume builder's files default to 644, folders
            to 755; owners given to a builder are ignored (a volume's content changes owner with each task).
            """),
        new("Proxies", """
            A proxy attached for the task (such as a taskcluster-proxy) is served on a loopback port of the
            worker, started with the first proxy, below a path of 256 random bits:
            `http://127.0.0.1:PORT/SECRET/`, which is the URL a plugin hands to the task. Any local process
            can connect to a loopback port, so the path is what keeps other users' processes out; a task
            that prints its environment to a public log gives the path away until it ends. WebSockets pass
            through. The proxy answers 404 once the task's sandbox is disposed.
            """),
        new("Per-task users", """
            With `createUser: true` (the worker must run as root) each task runs as a new user `tcw-<random>`
            whose home is the task directory (mode 700, so tasks cannot read each other's files). The next
            task's user and directory are prepared while the current task runs (an account no process has
            run as, an empty directory; a prepared directory found not empty is not handed out), and each
            user is given to one task only. When the task's result is disposed, its processes are gone; the
            user and its files are then deleted in the background, and unused prepared users when the
            engine stops. User ids are handed
            out in rotation from login.defs' UID_MIN..UID_MAX, never one that still has an account or a process:
            a new task never inherits what an earlier one left. When a user's processes cannot all be killed
            or `userdel` fails, the worker logs an error with the reason and keeps that account and its uid
            out of use until the engine's next start, which removes it. Users and task directories left by a
            crashed worker are removed when the engine starts. Linux uses useradd/userdel; the macOS (dscl)
            and Windows (net user) code paths are untested.
            """),
    ];
}
