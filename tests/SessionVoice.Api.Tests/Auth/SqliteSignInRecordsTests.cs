using SessionVoice.Api.Standalone;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Tests.Auth;

/// <summary>
/// The standalone store's sign-in records: single use holds, and the periodic clean-up forgets only what no sign-in
/// can match again, reading only those rows (it runs inside the write queue's transaction: every write queued
/// meanwhile waits for it).
/// </summary>
public sealed class SqliteSignInRecordsTests : IDisposable
{
    private const long Now = 1_800_000_000;

    private static readonly Address Wallet = Address.Parse("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");

    private readonly TempDatabase _temp = new();
    private readonly SqliteStore _store;

    public SqliteSignInRecordsTests() => _store = new SqliteStore(_temp.Db);

    public void Dispose() => _temp.Dispose();

    private long Rows(string table)
    {
        using var connection = _temp.Db.OpenRead();
        using var command = SqliteDatabase.Command(connection, $"SELECT count(*) FROM {table}");
        return (long)command.ExecuteScalar()!;
    }

    private static string Nonce(int i) => i.ToString("x80");

    [Theory]
    [InlineData(SqliteStore.ForgetOldMessages, "auth_messages_ts")]
    [InlineData(SqliteStore.ForgetExpiredNonces, "used_nonces_expiry")]
    public void A_clean_up_reads_only_the_rows_it_deletes(string sql, string index)
    {
        using var connection = _temp.Db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "EXPLAIN QUERY PLAN " + sql, ("$cutoff", Now), ("$now", Now));
        using var reader = command.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        // A range search on the index, not a scan of the table.
        Assert.Contains(plan, step => step.StartsWith("SEARCH", StringComparison.Ordinal) && step.Contains(index, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_clean_up_forgets_expired_nonces_and_old_messages_only_and_single_use_holds()
    {
        var writes = 0;
        var recent = Now - 200;
        async Task WriteRecentMessagesUntil(int count)
        {
            for (; writes < count; writes++)
            {
                Assert.True(await _store.TryUseSignInMessageAsync(Wallet, recent++, Now, default));
            }
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.True(await _store.TryUseNonceAsync(Wallet, Nonce(i), Now - 1, Now - 100, default));       // expired by Now
            Assert.True(await _store.TryUseSignInMessageAsync(Wallet, Now - 4000 + i, Now - 4000, default)); // over an hour old by Now
        }
        Assert.True(await _store.TryUseNonceAsync(Wallet, Nonce(100), Now + 300, Now, default));
        writes = 21;
        await WriteRecentMessagesUntil(SqliteStore.CleanUpEvery - 1);
        Assert.Equal(11, Rows("used_nonces"));

        // The 1000th write, a nonce's, forgets the expired nonces.
        Assert.True(await _store.TryUseNonceAsync(Wallet, Nonce(101), Now + 300, Now, default));
        writes++;
        Assert.Equal(2, Rows("used_nonces"));
        Assert.Equal(writes - 12, Rows("auth_messages"));

        // The 2000th, a message's, forgets the messages over an hour old.
        await WriteRecentMessagesUntil(2 * SqliteStore.CleanUpEvery);
        Assert.Equal(writes - 12 - 10, Rows("auth_messages"));

        // What was kept is still single use.
        Assert.False(await _store.TryUseNonceAsync(Wallet, Nonce(100), Now + 300, Now, default));
        Assert.False(await _store.TryUseSignInMessageAsync(Wallet, Now - 200, Now, default));
    }
}
