namespace TcWorker.Engines;

/// <summary>
/// An interactive process in a running sandbox. Disposing it aborts it if it still runs.
/// </summary>
public interface IShell : IAsyncDisposable
{
    /// <summary>The shell's standard input; dispose it to send end-of-file.</summary>
    Stream StandardInput { get; }

    /// <summary>The shell's standard output (with a terminal: everything it prints).</summary>
    Stream StandardOutput { get; }

    /// <summary>The shell's standard error; empty when a terminal was allocated.</summary>
    Stream StandardError { get; }

    /// <summary>Resizes the terminal; ignored without one.</summary>
    /// <param name="columns">Columns.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cancellationToken">Cancels the resize.</param>
    /// <returns>When the size is set.</returns>
    Task SetSizeAsync(int columns, int rows, CancellationToken cancellationToken = default);

    /// <summary>Kills the shell; <see cref="WaitAsync"/> then throws <see cref="OperationCanceledException"/>.</summary>
    /// <returns>When the shell has stopped.</returns>
    Task AbortAsync();

    /// <summary>Waits for the shell to exit.</summary>
    /// <param name="cancellationToken">Stops waiting (the shell keeps running).</param>
    /// <returns>The exit code.</returns>
    Task<int> WaitAsync(CancellationToken cancellationToken = default);
}
