using Microsoft.Data.Sqlite;
using SessionVoice.Api.Standalone;

namespace SessionVoice.Api.Tests;

/// <summary>A standalone database in a folder of its own, reopened as after a restart and deleted at the end.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly string _dir = ApiHost.TempDataDir();

    public TempDatabase() => Db = new SqliteDatabase(_dir);

    public SqliteDatabase Db { get; private set; }

    /// <summary>Shuts the database down (its queue drains) and opens the same file again.</summary>
    public SqliteDatabase Restart()
    {
        Shutdown();
        return Db = new SqliteDatabase(_dir);
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
