namespace TcWorker.Engines.Docker;

/// <summary>The docker engine's documentation for task authors and operators.</summary>
internal static class DockerDocumentation
{
    public static IReadOnlyList<DocSection> Sections { get; } =
    [
        new("Payload", """
            Payloads have docker-worker's shape. `image` names the image: `ubuntu:24.04`,
            `registry.example.com/team/tool:1.2`, or `{type: docker-image, name: ...}`. A name with a digest
            (`name@sha256:<64 hex>`) runs exactly that manifest: a local image with another digest is not
            used, and the pull asks the registry for that digest only. An image that is not on the worker is
            pulled from its registry (Docker Hub when the name has no host), with its progress in the task log.
            `{type: task-image, taskId, path}` runs the image in an artifact of another task, which must be
            among the task's `dependencies`; `{type: indexed-image, namespace, path}` finds the task in the
            index. The artifact is a `docker save` tarball or an OCI image layout, plain or gzip, zstd or lz4
            compressed. It is read with the task's own scopes: a private artifact needs
            `queue:get-artifact:<path>` (public ones and index look-ups are open to every task on public
            deployments). It is loaded once per worker and kept; every later task asks the queue again, and
            a task the queue refuses is refused even when the image is already loaded. A missing or
            unreadable artifact, an unknown namespace, or a file that is not an image archive is
            malformed-payload naming it. Names the archive carries are ignored.
            `command` is one argv list run without a shell (`["/bin/bash", "-c", "make test"]`); empty or
            absent runs the image's default command. `supersederUrl` is accepted and ignored, as
            docker-worker's schema says. `features.allowPtrace: true` lets processes in the container use
            ptrace (the container gets CAP_SYS_PTRACE); it needs the scope `docker-worker:feature:allowPtrace`
            and `allowPtrace: true` in the worker config, or the task resolves malformed-payload naming the
            one that is missing. `features.localLiveLog` and `features.bulkLog` may be true (their default);
            false is not supported yet and resolves malformed-payload. Other docker-worker keys (`env`, `maxRunTime`, `artifacts`, `cache`,
            `onExitStatus`, the other `features`) belong to the worker's plugins. A feature no engine or
            plugin of this worker provides (`dind`, `balrogVPNProxy`, ...), and the key `log` (the log
            artifacts keep their default names), resolve malformed-payload naming them.
            """),
        new("The container", """
            Each task runs in a container of its own, as `docker run -t` runs it: with a terminal, so the
            task's stdout and stderr arrive merged, byte for byte as the terminal writes them (it turns `\n`
            into `\r\n`), in the task log. The working directory is the image's (or `workingDirectory` of the
            worker config); the environment holds what the image sets and what plugins set (`env`, `TASK_ID`,
            ...). The exit code of the command decides success. A container killed by the kernel for
            reaching its memory limit fails the task with "out of memory" in the log. Network mode, memory,
            CPUs and processes are the worker config's (`network`, `memory`, `cpus`, `pids`). Containers
            carry labels naming the worker (`org.tcworker.worker-pool`, `-group`, `-id`) and the run
            (`org.tcworker.task-id`, `run-id`).
            """),
        new("Kill, abort and clean-up", """
            Max run time stops the container as `docker stop` does: SIGTERM, then SIGKILL after the grace
            period; the files it wrote stay readable for artifacts until the run is finished. A cancelled or
            aborted task's container is stopped and removed at once. No container outlives its task: it is
            removed with its anonymous volumes when the run ends, and at start-up the worker removes every
            container, volume and network labelled with its own identity (what a crash left) and logs how
            many. If the daemon stops answering during a task, the run resolves `worker-shutdown` (the queue
            runs it again) with the reason in the log, and the worker claims nothing until the daemon answers.
            """),
        new("Artifacts", """
            Artifact paths are absolute in the container (docker-worker's form), or relative to the working
            directory without climbing out of it. Files are read from the stopped container through the
            Docker archive API and streamed, never held whole. The daemon resolves the folders on the way
            inside the container's own file system; on top of that, a symbolic link that points outside the
            requested path is refused: a file path that is itself a link, or a link in an artifact folder
            that leads out of that folder.
            """),
        new("Volumes and shells", """
            Caches and other volumes are Docker named volumes labelled with the worker's identity, mounted
            at an absolute path (or one in the working directory), read-only when asked, and held by one
            task at a time. Interactive shells run with `docker exec` in the task's container, with or
            without a terminal; they end when the task ends.
            """),
        new("Proxies", """
            A proxy attached for the task (such as the taskcluster proxy, `features.taskclusterProxy`) is
            served inside the container's own network namespace: when the container starts, the worker opens
            a listener on the container's `127.0.0.1:80` (through `setns`, so it must run as root on the
            daemon's machine) and the container's `/etc/hosts` names each proxy, so the task reaches the
            proxy `taskcluster` at `http://taskcluster/`, which is also the URL a plugin hands to the task
            (`TASKCLUSTER_PROXY_URL`). Only processes in that container can connect. This works with
            `network: none`, `bridge` and named networks, each container having its own namespace; with
            `network: host` there is none of its own (nor with a daemon that is not at a local unix socket),
            and a task asking for a proxy resolves malformed-payload. The listener opens just after the container's process starts: a connection
            in its first milliseconds may be refused, so a task's first call should retry (the official
            clients retry refused connections). The proxy answers 404 once the task has ended.
            """),
        new("Capabilities and security", """
            A container is not a strong boundary against a task that is root in it; use a dedicated machine
            per trust level. `capabilities.privileged: true` (full access to the host) needs both
            `allowPrivileged: true` in the worker config and the scope `docker-worker:capability:privileged`
            (or `docker-worker:capability:privileged:<provisionerId>/<workerType>`); otherwise the task
            resolves malformed-payload, naming the scope or the config key. Devices (`kvm`,
            `hostSharedMemory`, `loopbackAudio`, `loopbackVideo`) need the device in `allowDevices` and the
            scope `docker-worker:capability:device:<name>` (or its `:<provisionerId>/<workerType>` form).
            `network: none` gives a task no network at all; `host` shares the worker's, loopback services
            included; `bridge` (the default) gives a private address with outbound access.
            """),
    ];
}
