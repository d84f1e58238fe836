using Microsoft.Data.Sqlite;
using SessionVoice.Api.Standalone;

namespace SessionVoice.Api.Tests;

/// <summary>A standalone database in a folder of its own, reopened as after a restart and deleted at the end.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly string _dir = ApiHost.TempDataDir();
    private readonly TimeSpan? _checkpointInterval;
    private readonly int _restartFrames;

    /// <param name="checkpointInterval">The checkpointer's interval (its default when null; infinite: it never checkpoints).</param>
    /// <param name="restartFrames">WAL length at which the writer completes a checkpoint.</param>
    public TempDatabase(TimeSpan? checkpointInterval = null, int restartFrames = SqliteCheckpointer.DefaultRestartFrames)
    {
        _checkpointInterval = checkpointInterval;
        _restartFrames = restartFrames;
        Db = Create();
    }

    public SqliteDatabase Db { get; private set; }

    private SqliteDatabase Create() => new(_dir, checkpointInterval: _checkpointInterval, restartFrames: _restartFrames);

    /// <summary>Shuts the database down (its queue drains) and opens the same file again.</summary>
    public SqliteDatabase Restart()
    {
        Shutdown();
        return Db = Create();
    }

    /// <summary>Shuts the database down without opening it again.</summary>
    public void Shutdown()
    {
        Db.Dispose();
        SqliteConnection.ClearAllPools();
    }

    public void Dispose()
    {
        Shutdown();
        Directory.Delete(_dir, recursive: true);
    }
}
